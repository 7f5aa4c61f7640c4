"""The synthetic population's census: persons alive on 1 July of each year by sex and
5-year age band, as a national statistics office (INSEE) publishes it. It is the external
denominator for a database that covers the whole population (docs/methods.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl


def _age_on_1_july(birth: pl.Expr, year: int) -> pl.Expr:
    """Completed years on 1 July of `year`: one less if the birthday falls after 1 July.
    (The generator's own arithmetic, not the Lexis split it serves to check.)"""
    after_1_july = (birth.dt.month() > 7) | ((birth.dt.month() == 7) & (birth.dt.day() > 1))
    return year - birth.dt.year() - after_1_july.cast(pl.Int32)


def write_census(data_dir: Path, start: dt.date, end: dt.date, out: Path) -> int:
    """population.csv: year, sex, age_band, population (alive and born by 1 July)."""
    persons = pl.scan_parquet(data_dir / "persons.parquet").select(
        "sex", "birth_date", "death_date"
    )
    frames = []
    for year in range(start.year, end.year + 1):
        day = dt.date(year, 7, 1)
        alive = persons.filter(
            pl.col("birth_date") <= day,
            pl.col("death_date").is_null() | (pl.col("death_date") > day),
        )
        frames.append(
            alive.with_columns(
                pl.lit(year).alias("year"),
                ((_age_on_1_july(pl.col("birth_date"), year) // 5) * 5).alias("age_band"),
            )
            .group_by("year", "sex", "age_band")
            .agg(pl.len().alias("population"))
        )
    census = pl.concat(frames).collect().sort("year", "sex", "age_band")
    census.write_csv(out)
    return census.height
