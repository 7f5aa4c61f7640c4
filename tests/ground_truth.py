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


def expected_incident_cases(data: Path) -> pl.DataFrame:
    """Incident cases with their first code in the study period and 730 days of prior
    observation (children and secondary ITP included)."""
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
    return in_period.join(covered, on="person_id")


def expected_cohort(data: Path) -> pl.DataFrame:
    """The primary adult incident cases."""
    return expected_incident_cases(data).filter(~pl.col("secondary"), pl.col("age_at_onset") >= 18)
