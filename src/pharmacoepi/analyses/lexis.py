"""Lexis split of at-risk intervals by calendar year and 5-year age band.

Intervals are inclusive day ranges [start_date, end_date]; a segment's person-time is its
number of days / 365.25. Ages are completed years, a birthday counting from the day itself
(a 29 February birthday is reached on 1 March in common years), as everywhere else.
"""

from __future__ import annotations

import polars as pl

DAYS_PER_YEAR = 365.25


def _birthday(birth: pl.Expr, age: pl.Expr) -> pl.Expr:
    """The date a person born on `birth` reaches `age` completed years."""
    year = birth.dt.year() + age
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    feb29 = (birth.dt.month() == 2) & (birth.dt.day() == 29)
    return (
        pl.when(feb29 & ~leap)
        .then(pl.date(year, 3, 1))
        .otherwise(pl.date(year, birth.dt.month(), birth.dt.day()))
    )


def completed_years(birth: pl.Expr, day: pl.Expr) -> pl.Expr:
    before_birthday = (day.dt.month() < birth.dt.month()) | (
        (day.dt.month() == birth.dt.month()) & (day.dt.day() < birth.dt.day())
    )
    return (day.dt.year() - birth.dt.year() - before_birthday.cast(pl.Int32)).cast(pl.Int32)


def lexis_split(intervals: pl.DataFrame, band_years: int = 5) -> pl.DataFrame:
    """intervals: person_id, sex, birth_date, start_date, end_date, event_date (null or a
    day inside the interval) -> segments: person_id, sex, year, age_band (lower bound),
    start_date, end_date, days, person_years, events (0/1: the event day is in it)."""
    by_year = (
        intervals.with_columns(
            pl.int_ranges(pl.col("start_date").dt.year(), pl.col("end_date").dt.year() + 1).alias(
                "year"
            )
        )
        .explode("year")
        .with_columns(
            pl.max_horizontal("start_date", pl.date(pl.col("year"), 1, 1)).alias("start_date"),
            pl.min_horizontal("end_date", pl.date(pl.col("year"), 12, 31)).alias("end_date"),
        )
    )
    # a calendar year holds at most one change of 5-year band: split there
    band = (completed_years(pl.col("birth_date"), pl.col("start_date")) // band_years) * band_years
    with_band = by_year.with_columns(band.alias("age_band")).with_columns(
        _birthday(pl.col("birth_date"), pl.col("age_band") + band_years).alias("next_band_from")
    )
    crosses = pl.col("next_band_from") <= pl.col("end_date")
    first = with_band.with_columns(
        pl.when(crosses).then(pl.col("next_band_from") - pl.duration(days=1))
        .otherwise(pl.col("end_date")).alias("end_date")
    )  # fmt: skip
    second = with_band.filter(crosses).with_columns(
        pl.col("next_band_from").alias("start_date"), pl.col("age_band") + band_years
    )
    segments = pl.concat([first, second]).drop("next_band_from")
    days = (pl.col("end_date") - pl.col("start_date")).dt.total_days() + 1
    event_in = pl.col("event_date").is_between(pl.col("start_date"), pl.col("end_date"))
    return segments.select(
        "person_id",
        "sex",
        pl.col("year").cast(pl.Int32),
        pl.col("age_band").cast(pl.Int32),
        "start_date",
        "end_date",
        days.alias("days"),
        (days / DAYS_PER_YEAR).alias("person_years"),
        event_in.fill_null(False).cast(pl.Int64).alias("events"),
    ).sort("person_id", "start_date")
