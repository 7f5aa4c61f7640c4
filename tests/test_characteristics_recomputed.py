"""Table 1's covariates on the default synthetic dataset (generator 1.7.0: comorbidities
recorded as associated hospital diagnoses and long-term disease statuses, background
drugs), recomputed here from the raw files with Polars, independently of the SQL stages:
every person's condition flags in every window, hospital stays and days, and Charlson
index agree exactly (docs/methods.md, "Baseline characteristics")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from pharmacoepi.characteristics import charlson
from pharmacoepi.definition import load_definition
from pharmacoepi.definition.load import charlson_dir

FAR = dt.date(2999, 12, 31)


@pytest.fixture(scope="module")
def inputs(faith_unmasked, default_data):
    cohort = pl.read_parquet(faith_unmasked / "cohort.parquet")
    covariates = pl.read_parquet(faith_unmasked / "covariates.parquet")
    persons = cohort["person_id"].implode()
    diagnoses = (
        pl.scan_parquet(Path(default_data) / "diagnoses" / "**" / "*.parquet")
        .filter(pl.col("person_id").is_in(persons))
        .select("person_id", "date", "code", "setting", "end_date")
        .collect()
        # codes as the data contract reads them: 'e11.9' is E119 (docs/data-model.md)
        .with_columns(pl.col("code").str.replace_all(r"[.\s\u00a0]", "").str.to_uppercase())
    )
    stays = pl.read_parquet(Path(default_data) / "hospital_stays.parquet").filter(
        pl.col("person_id").is_in(persons)
    )
    return cohort, covariates, diagnoses, stays


def _windows(cohort: pl.DataFrame) -> pl.DataFrame:
    definition = load_definition("itp_faith").definition.characteristics
    rows = []
    for name, (start, end) in definition.windows.items():
        rows.append(cohort.select(
            "person_id",
            pl.lit(name).alias("window"),
            (pl.col("observation_start") if start is None
             else pl.col("index_date") + pl.duration(days=start)).alias("start"),
            (pl.col("index_date") + pl.duration(days=end)).alias("end"),
        ))  # fmt: skip
    return pl.concat(rows)


def _held(diagnoses: pl.DataFrame, prefixes: list[str], windows: pl.DataFrame) -> pl.DataFrame:
    """(person_id, window) holding a code of the list: [date, holds_until] meets the window."""
    coded = diagnoses.filter(
        pl.any_horizontal(pl.col("code").str.starts_with(p) for p in prefixes)
    ).with_columns(
        pl.when(pl.col("setting") == "long_term_disease")
        .then(pl.col("end_date").fill_null(FAR))
        .otherwise(pl.col("date"))
        .alias("until")
    )
    return (
        coded.join(windows, on="person_id")
        .filter((pl.col("date") <= pl.col("end")) & (pl.col("until") >= pl.col("start")))
        .select("person_id", "window")
        .unique()
    )


def _codes(file: Path) -> list[str]:
    return pl.read_csv(file, infer_schema=False)["code"].to_list()


def test_condition_flags_equal_the_raw_files(inputs):
    cohort, covariates, diagnoses, _ = inputs
    windows = _windows(cohort)
    table1 = Path(__file__).parents[1] / "cohorts" / "codelists" / "table1"
    compared = 0
    for feature in ("diabetes", "hypertension", "copd", "autoimmune_disease"):
        held = _held(diagnoses, _codes(table1 / f"{feature}.csv"), windows)
        ours = covariates.filter(pl.col("feature") == feature)
        for window in ours["window"].unique().to_list():
            expected = set(held.filter(pl.col("window") == window)["person_id"])
            got = set(
                ours.filter((pl.col("window") == window) & (pl.col("value") == 1))["person_id"]
            )
            assert got == expected, (feature, window)
            compared += len(expected)
    assert compared > 100  # the comorbidities are there to be found


def test_hospital_use_equals_the_raw_files(inputs):
    cohort, covariates, _, stays = inputs
    windows = _windows(cohort)
    cut = (
        stays.join(windows, on="person_id")
        .filter(
            (pl.col("admission_date") <= pl.col("end"))
            & (pl.col("discharge_date") >= pl.col("start"))
        )  # fmt: skip
        .with_columns(
            (
                (
                    pl.min_horizontal("discharge_date", "end")
                    - pl.max_horizontal("admission_date", "start")
                ).dt.total_days()
                + 1
            ).alias("days"),
            pl.col("admission_date").is_between(pl.col("start"), pl.col("end")).alias("admitted"),
        )  # fmt: skip
        .group_by("person_id", "window")
        .agg(pl.col("days").sum(), pl.col("admitted").sum())
    )
    for feature, column in (("hospital_days", "days"), ("hospital_stays", "admitted")):
        ours = covariates.filter(pl.col("feature") == feature).join(
            cut, on=["person_id", "window"], how="left"
        )
        assert ours.height == cohort.height * 2
        expected = ours[column].fill_null(0).cast(pl.Float64)
        assert (ours["value"] == expected).all(), feature
    assert cut["days"].sum() > 0


def test_charlson_equals_the_raw_files(inputs):
    cohort, covariates, diagnoses, _ = inputs
    windows = _windows(cohort).filter(pl.col("window") == "prior_year")
    present: dict[int, set[str]] = {p: set() for p in cohort["person_id"]}
    for component in charlson.WEIGHTS:
        held = _held(diagnoses, _codes(charlson_dir() / f"{component}.csv"), windows)
        for pid in held["person_id"]:
            present[pid].add(component)
    ours = dict(
        covariates.filter((pl.col("feature") == "charlson") & (pl.col("window") == "prior_year"))
        .select("person_id", "value")
        .rows()
    )
    assert ours == {p: float(charlson.score(c)) for p, c in present.items()}
    assert sum(1 for v in ours.values() if v > 0) >= 5
