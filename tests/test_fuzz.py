"""Fuzz: random definitions and damaged data files end in a result or in the project's user
error (exit 2, a message), never in another exception (a traceback). Each example runs the
whole build in the test's process, as the command does."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pharmacoepi.definition import load_definition
from pharmacoepi.errors import UserError
from pharmacoepi.pipeline.build import build_cohort
from pharmacoepi.progress import Reporter
from tests.claims import SCHEMAS, Claims

QUIET = Reporter.for_stderr(quiet=True)
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


def _claims() -> Claims:
    c = Claims()
    c.person(1).diagnosis(1, "2010-03-01").dispensing(1, "2010-02-01")
    c.person(2, sex="M", death="2012-01-01").diagnosis(2, "2010-05-01")
    c.dispensing(2, "2010-06-01", atc="B02BX05", quantity=2.0)
    c.dispensing(2, "2011-01-10", atc="L01FA01", setting="hospital")
    c.person(3, birth="2000-01-01").diagnosis(3, "2011-01-01").procedure(3, "2011-02-01")
    return c


def _build(data: Path, overrides: dict | None = None) -> None:
    """A build that must end in a result or a UserError."""
    out = Path(tempfile.mkdtemp(prefix="fuzz-out-"))
    try:
        loaded = load_definition("itp_faith", overrides or {})
        build_cohort(loaded, data, out / "o", reporter=QUIET)
    except UserError as error:
        assert error.message  # what, and where or a hint
    finally:
        shutil.rmtree(out, ignore_errors=True)


# Keys of the shipped definition and values of every YAML type.
KEYS = [
    "incident.washout_days", "incident.prior_observation_days", "adult.min_age",
    "study_period.start", "study_period.end", "follow_up.administrative_end",
    "privacy.min_cell_count", "diagnosis_date.lookback_days", "primary.days_before",
    "case_finding.settings", "case_finding.codelist", "treatments.lookback_days",
    "treatments.classes.rituximab.course_gap_days", "phase.persistent_after_days",
    "phase.evidence_classes", "lines.combination_window_days", "summaries.exposed_at_days",
    "analyses.survival.report_days", "analyses.survival.cox_covariates",
    "analyses.incidence.per", "analyses.incidence.standards", "codelists.itp.match",
    "diagnosis_date", "primary", "treatments", "analyses.survival", "sex", "unknown_key",
]  # fmt: skip
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 40_000), st.floats(allow_nan=True),
    st.text(max_size=12), st.sampled_from(["2010-01-01", "2099-12-31", "1899-01-01"]),
    st.lists(st.one_of(st.integers(-5, 400), st.text(max_size=5)), max_size=4),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)  # fmt: skip


@SETTINGS
@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=3))
def test_random_definitions_end_in_a_result_or_a_user_error(tmp_path_factory, overrides):
    data = _claims().write(tmp_path_factory.mktemp("data"))
    _build(data, overrides)


TABLES = ["persons", "observation_periods", "diagnoses", "dispensings", "procedures"]
ODD_VALUES = st.one_of(
    st.none(), st.just(""), st.just("x"), st.just("2010-13-45"), st.just("NaN"),
    st.integers(-(2**62), 2**62), st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
)  # fmt: skip


@st.composite
def damage(draw):
    table = draw(st.sampled_from(TABLES))
    column = draw(st.sampled_from(list(SCHEMAS[table])))
    kind = draw(st.sampled_from(["drop", "retype", "values", "csv", "partitions", "ragged"]))
    value = draw(ODD_VALUES)
    return table, column, kind, value


def _apply(data: Path, table: str, column: str, kind: str, value) -> None:
    path = data / f"{table}.parquet"
    frame = pl.read_parquet(path)
    if kind == "drop":
        frame.drop(column).write_parquet(path)
    elif kind == "retype":  # text, or booleans: a type the contract may not accept
        retyped = pl.col(column).is_not_null() if isinstance(value, bool) else pl.col(column)
        frame.with_columns(retyped.cast(pl.String if not isinstance(value, bool) else
                                        pl.Boolean)).write_parquet(path)  # fmt: skip
    elif kind == "values":
        filled = pl.Series(column, [value] * frame.height, strict=False)
        frame.with_columns(filled).write_parquet(path)
    elif kind == "csv":
        path.unlink()
        frame.with_columns(pl.col(column).cast(pl.String)).write_csv(data / f"{table}.csv")
    elif kind == "partitions":  # two partitions, the second without the column
        path.unlink()
        for i, part in enumerate((frame.head(1), frame.tail(max(frame.height - 1, 0)))):
            folder = data / table / f"part={i}"
            folder.mkdir(parents=True)
            (part.drop(column) if i else part).write_parquet(folder / "0.parquet")
    else:  # a CSV with a ragged line
        path.unlink()
        text = frame.write_csv()
        (data / f"{table}.csv").write_text(text + "1,2,3,4,5,6,7,8,9,10,11\n")


@SETTINGS
@given(damage())
def test_damaged_data_files_end_in_a_result_or_a_user_error(tmp_path_factory, change):
    data = _claims().write(tmp_path_factory.mktemp("data"))
    _apply(data, *change)
    _build(data)
