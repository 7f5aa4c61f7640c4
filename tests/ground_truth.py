"""The cohort a synthetic dataset's ground truth calls for, derived from the generator's
truth (onset, first recorded code, secondary flag) and the raw observation periods.

Shared by the ground-truth tests and `make bench` (recovery at 1,000,000 persons).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

START, END = dt.date(2009, 7, 1), dt.date(2011, 6, 30)
WASHOUT = 730


def spells(data) -> pl.DataFrame:
    """Observation periods merged when they overlap or touch (a second implementation)."""
    periods = pl.read_parquet(data / "observation_periods.parquet").sort("person_id", "start_date")
    return (
        periods.with_columns(
            pl.col("end_date").cum_max().shift(1).over("person_id").alias("covered_until")
        )
        .with_columns(
            (
                pl.col("covered_until").is_null()
                | (pl.col("start_date") > pl.col("covered_until") + pl.duration(days=1))
            )
            .cum_sum()
            .over("person_id")
            .alias("spell")
        )
        .group_by("person_id", "spell")
        .agg(pl.col("start_date").min(), pl.col("end_date").max())
    )


def _completed_years(birth: pl.Expr, day: pl.Expr) -> pl.Expr:
    before = (day.dt.month() < birth.dt.month()) | (
        (day.dt.month() == birth.dt.month()) & (day.dt.day() < birth.dt.day())
    )
    return day.dt.year() - birth.dt.year() - before.cast(pl.Int32)


def expected_incident_cases(data: Path) -> pl.DataFrame:
    """Incident cases with their first code in the study period and 730 days of prior
    observation (children and secondary ITP included), with what the rules must find:
    `expected_index` = the generator's back-dated index date (FAITH's rule over every
    recorded dispensing, background corticosteroids included: not always the true onset),
    `expected_secondary` = a secondary cause recorded in [expected_index - 365,
    expected_index + 183] (a cause found after T can fall past a wrongly early index),
    `expected_age` at that index."""
    truth = pl.read_parquet(data / "ground_truth" / "itp_cases.parquet")
    in_period = truth.filter(~pl.col("prevalent"), pl.col("first_code_date").is_between(START, END))
    covered = (
        in_period.join(spells(data), on="person_id")
        .filter(
            pl.col("start_date") <= pl.col("first_code_date") - pl.duration(days=WASHOUT),
            pl.col("end_date") >= pl.col("first_code_date"),
        )
        .select("person_id")
    )
    index = pl.col("backdated_index_date")
    cause = pl.col("secondary_cause_date")
    return in_period.join(covered, on="person_id").with_columns(
        index.alias("expected_index"),
        (
            pl.col("secondary")
            & cause.is_between(index - pl.duration(days=365), index + pl.duration(days=183))
        ).alias("expected_secondary"),
        _completed_years(pl.col("birth_date"), index).alias("expected_age"),
    )


def expected_cohort(data: Path) -> pl.DataFrame:
    """The primary adult incident cases, as the rules must read them."""
    return expected_incident_cases(data).filter(
        ~pl.col("expected_secondary"), pl.col("expected_age") >= 18
    )
