"""Treatments recovered from the default synthetic dataset, against the generator's truth
(ground_truth/itp_treatments.parquet and ms_treatments.parquet: episodes as recorded).

ITP: rituximab courses, TPO-RA eras, splenectomies and the treatment lines they make.
MS: the incident cohort, every DMT episode, and the switch type after each episode.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from pharmacoepi.definition import load_definition
from pharmacoepi.pipeline.build import build_cohort
from pharmacoepi.progress import Reporter
from pharmacoepi.synth.writer import table_files
from tests.ground_truth import spells
from tests.reference_treatments import Person, _lines

LOOKBACK = pl.duration(days=183)
QUIET = Reporter.for_stderr(quiet=True)


def _build(data, out, name, **overrides):
    build_cohort(load_definition(name, overrides), data, out, reporter=QUIET)
    return {p.stem: pl.read_parquet(p) for p in out.glob("*.parquet")}


@pytest.fixture(scope="module")
def itp(default_data, tmp_path_factory):
    # Background azathioprine (an immunosuppressant) is dispensed for other diseases; the
    # generator's truth covers ITP treatments only, so here it may not open lines.
    out = tmp_path_factory.mktemp("itp_treatments") / "out"
    built = _build(
        default_data, out, "itp_faith", **{"treatments.classes.immunosuppressants.role": "rescue"}
    )
    truth = pl.read_parquet(default_data / "ground_truth" / "itp_treatments.parquet")
    window = built["cohort"].select("person_id", "index_date", "follow_up_end")
    truth = truth.join(window, on="person_id").filter(
        pl.col("start_date").is_between(pl.col("index_date") - LOOKBACK, pl.col("follow_up_end"))
    )
    return built, truth


def test_rituximab_courses_are_recovered(itp):
    built, truth = itp
    courses = built["courses"].select("person_id", "start_date", "n_administrations",
                                      "last_administration_date")  # fmt: skip
    expected = truth.filter(
        pl.col("class") == "rituximab", pl.col("last_date") <= pl.col("follow_up_end")
    ).select("person_id", "start_date", "n_records", "last_date")
    assert expected.height >= 10
    assert sorted(courses.rows()) == sorted(expected.rows())


def test_tpo_ra_eras_and_splenectomies_are_recovered(itp):
    built, truth = itp
    exposures = built["exposures"]
    for cls in ("tpo_ra", "splenectomy"):
        got = exposures.filter(pl.col("class") == cls).select("person_id", "start_date")
        want = truth.filter(pl.col("class") == cls).select("person_id", "start_date")
        assert want.height >= 3, cls
        assert sorted(got.rows()) == sorted(want.rows()), cls
    # 30-day boxes: an era ends 29 days after its last box, or at follow-up end
    tpo = truth.filter(pl.col("class") == "tpo_ra").with_columns(
        pl.min_horizontal(pl.col("last_date") + pl.duration(days=29), "follow_up_end").alias("end")
    )
    got = exposures.filter(pl.col("class") == "tpo_ra").select("person_id", "end_date")
    assert sorted(got.rows()) == sorted(tpo.select("person_id", "end").rows())


def test_lines_follow_the_true_treatment_episodes(itp):
    """The line rule applied to the true episodes gives the lines the build writes."""
    built, truth = itp
    cohort = built["cohort"]
    window = built["lines"]
    combination = load_definition("itp_faith").definition.lines.combination_window_days
    ends = {
        "tpo_ra": pl.col("last_date") + pl.duration(days=29),
        "rituximab": pl.col("start_date") + pl.duration(days=181),
        "splenectomy": pl.col("follow_up_end"),
    }
    episodes = truth.with_columns(
        pl.min_horizontal(
            pl.when(pl.col("class") == "tpo_ra").then(ends["tpo_ra"])
            .when(pl.col("class") == "rituximab").then(ends["rituximab"])
            .otherwise(ends["splenectomy"]),
            "follow_up_end",
        ).alias("end_date")
    )  # fmt: skip
    expected = []
    for pid, index, end in cohort.select("person_id", "index_date", "follow_up_end").rows():
        mine = episodes.filter(pl.col("person_id") == pid)
        person_episodes = list(mine.select("start_date", "end_date", "class").rows())
        expected += _lines(pid, Person(index, end), person_episodes, combination)
    got = window.select("person_id", "line_number", "regimen", "start_date", "end_date")
    assert sum(1 for row in expected if row[1] > 1) >= 10  # enough second lines to matter
    assert sorted(got.rows()) == sorted(expected)


def test_phase_matches_the_true_course_of_disease(itp, default_data):
    """Adults whose disease the generator made persistent or chronic are read so, and the
    others newly diagnosed, for every person whose phase is decided."""
    built, _ = itp
    truth = pl.read_parquet(default_data / "ground_truth" / "itp_cases.parquet")
    decided = built["cohort"].filter(pl.col("phase") != "insufficient_follow_up")
    joined = decided.join(truth.select("person_id", "chronic"), on="person_id")
    read = joined["phase"].is_in(["persistent", "chronic"])
    agreement = (read == joined["chronic"]).mean()
    assert joined.height >= 100
    assert agreement >= 0.95, agreement  # measured: 117 of 119 (98.3%)
    share = read.mean()
    assert 0.6 <= share <= 0.8, share  # FAITH: 67% of adults; generator target 67-70%


@pytest.fixture(scope="module")
def ms(default_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("ms_treatments") / "out"
    return _build(default_data, out, "ms_dmt")


def _expected_ms_cohort(data) -> set[int]:
    """True incident MS: first MS evidence (a G35 hospital/ALD code, or the second DMT
    dispensing day) in 2010-2013, 730 days of prior coverage, adult on that day."""
    cases = pl.read_parquet(data / "ground_truth" / "ms_cases.parquet")
    episodes = pl.read_parquet(data / "ground_truth" / "ms_treatments.parquet")
    dmt_atc = load_definition("ms_dmt").codelists
    codes = {c for name, cl in dmt_atc.items() if name not in ("ms", "rituximab_off_label")
             for c in cl.codes}  # fmt: skip
    disp = (
        pl.scan_parquet(table_files(data, "dispensings"))
        .filter(pl.col("atc").is_in(codes))
        .select("person_id", "date")
        .unique()
        .sort("person_id", "date")
        .collect()
        .group_by("person_id", maintain_order=True)
        .agg(pl.col("date").slice(1, 1).first().alias("second_day"),
             pl.col("date").first().alias("first_day"))
    )  # fmt: skip
    assert episodes.height > 0
    start, end = dt.date(2010, 1, 1), dt.date(2013, 12, 31)
    evidence = (
        cases.filter(~pl.col("prevalent"))
        .join(disp, on="person_id", how="left")
        .with_columns(
            pl.when(pl.col("second_day") <= pl.col("first_day") + pl.duration(days=365))
            .then(pl.col("second_day"))
            .alias("second_day")
        )
        .with_columns(pl.min_horizontal("first_code_date", "second_day").alias("evidence"))
        .filter(pl.col("evidence").is_between(start, end))
        .with_columns(
            (
                pl.col("evidence").dt.year() - pl.col("birth_date").dt.year()
                - (pl.col("evidence").dt.ordinal_day() < pl.col("birth_date").dt.ordinal_day())
                .cast(pl.Int32)
            ).alias("approx_age")
        )
    )  # fmt: skip
    covered = evidence.join(spells(data), on="person_id").filter(
        pl.col("start_date") <= pl.col("evidence") - pl.duration(days=730),
        pl.col("end_date") >= pl.col("evidence"),
        pl.col("approx_age") >= 18,
    )
    return set(covered["person_id"])


def test_ms_cohort_is_the_true_incident_cases(ms, default_data):
    """Every true incident case is found. The only others are prevalent persons with no
    MS evidence at all in the 730-day washout (no G35 code ever recorded, treatment
    stopped for over two years, then restarted): a washout cannot tell them from new
    cases, as in real claims. Measured: 6 of 225 on the default dataset."""
    got = set(ms["cohort"]["person_id"])
    expected = _expected_ms_cohort(default_data)
    assert len(expected) >= 100
    assert expected <= got
    extra = ms["cohort"].filter(~pl.col("person_id").is_in(list(expected)))
    cases = pl.read_parquet(default_data / "ground_truth" / "ms_cases.parquet")
    joined = extra.join(cases, on="person_id")
    assert joined.height == extra.height and joined["prevalent"].all()
    assert joined["first_code_date"].is_null().all()
    assert extra.height <= 0.03 * len(got)
    # before the restart that holds index, no DMT record in the 730 days before index: the
    # earlier treatment's last record is older (its supply may run into the washout; the
    # evidence is the record)
    dmt = pl.read_parquet(default_data / "ground_truth" / "ms_treatments.parquet")
    restart = (
        dmt.join(extra.select("person_id", "index_date"), on="person_id")
        .filter(pl.col("start_date") <= pl.col("index_date"))
        .group_by("person_id")
        .agg(pl.col("start_date").max().alias("restart"), pl.col("index_date").first())
    )
    definition = load_definition("ms_dmt")
    dmt_codes = sorted(
        {c for cl in definition.codelists.values() if cl.domain == "dispensings" for c in cl.codes}
    )
    records = (
        pl.scan_parquet(table_files(default_data, "dispensings"))
        .filter(pl.col("atc").is_in(dmt_codes))
        .collect()
        .join(restart, on="person_id")
        .filter(
            pl.col("date") < pl.col("restart"),
            pl.col("date") >= pl.col("index_date") - pl.duration(days=730),
        )
    )
    assert restart.height == extra.height
    assert records.height == 0


def test_dmt_episodes_and_switches_are_recovered(ms, default_data):
    truth = pl.read_parquet(default_data / "ground_truth" / "ms_treatments.parquet")
    window = ms["cohort"].select("person_id", "index_date", "follow_up_end")
    truth = truth.join(window, on="person_id").filter(
        pl.col("start_date").is_between(pl.col("index_date") - LOOKBACK, pl.col("follow_up_end"))
    )
    switches = ms["switches"]
    got = switches.select("person_id", "from_class", "from_start_date")
    want = truth.select("person_id", "dmt_class", "start_date")
    assert want.height >= 40
    assert sorted(got.rows()) == sorted(want.rows())
    # the transition after each episode, where the truth is observable within follow-up
    decidable = truth.filter(
        pl.col("next") != "ongoing",
        pl.col("last_covered_date") + pl.duration(days=90) < pl.col("follow_up_end"),
    )
    joined = decidable.join(
        switches,
        left_on=["person_id", "dmt_class", "start_date"],
        right_on=["person_id", "from_class", "from_start_date"],
    )
    assert joined.height == decidable.height
    assert joined.filter(pl.col("next") != pl.col("transition")).height == 0
    assert set(joined["transition"]) >= {"escalation", "discontinuation"}
