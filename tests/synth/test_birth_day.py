"""Birth dates sit on the 15th of their month (generator 1.3.0), the day the SNDS adapter
imputes, so the claims and SNDS layouts of one dataset describe the same persons."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np

from pharmacoepi.synth.population import on_the_15th

EPOCH = dt.date(1970, 1, 1)


def _days(*dates: dt.date) -> np.ndarray:
    return np.array([(d - EPOCH).days for d in dates], dtype=np.int64)


def _dates(days: np.ndarray) -> list[dt.date]:
    return [EPOCH + dt.timedelta(days=int(d)) for d in days]


def test_every_birth_date_is_a_15th(extract):
    root, _ = extract
    days = duckdb.sql(
        f"SELECT DISTINCT day(birth_date) FROM read_parquet('{root / 'persons.parquet'}')"
    ).fetchall()
    assert days == [(15,)]


def test_moved_to_the_15th_without_crossing_the_period_bounds():
    start, end = _days(dt.date(2005, 1, 20), dt.date(2014, 12, 10))
    birth = _days(
        dt.date(1950, 3, 2),  # present at start: 15 March
        dt.date(2005, 1, 18),  # present at start, its 15th is before start: kept in January
        dt.date(2004, 12, 31),  # present at start: 15 December
        dt.date(2005, 1, 25),  # newborn whose 15th is before start: next month
        dt.date(2014, 12, 5),  # newborn whose 15th is after end: previous month
        dt.date(2010, 2, 28),  # newborn: 15 February
    )
    born = np.array([False, False, False, True, True, True])
    assert _dates(on_the_15th(birth, born, int(start), int(end))) == [
        dt.date(1950, 3, 15),
        dt.date(2005, 1, 15),
        dt.date(2004, 12, 15),
        dt.date(2005, 2, 15),
        dt.date(2014, 11, 15),
        dt.date(2010, 2, 15),
    ]


def test_edges_start_on_a_15th_and_a_period_without_one():
    start, end = _days(dt.date(2005, 1, 15), dt.date(2005, 1, 31))
    birth = _days(dt.date(2005, 1, 14), dt.date(2005, 1, 20))
    born = np.array([False, True])
    assert _dates(on_the_15th(birth, born, int(start), int(end))) == [
        dt.date(2004, 12, 15),  # present at start: born before it
        dt.date(2005, 1, 15),  # a newborn may be born on the first day
    ]
    start, end = _days(dt.date(2005, 1, 16), dt.date(2005, 2, 10))
    newborn = _days(dt.date(2005, 1, 20))
    # the period holds no 15th: the drawn day is kept
    assert _dates(on_the_15th(newborn, np.array([True]), int(start), int(end))) == [
        dt.date(2005, 1, 20)
    ]
