"""Masking of the safety-outcome tables: small counts, the cell that would give one away
from its margin, and every rate derived from a hidden count."""

from __future__ import annotations

import polars as pl

from pharmacoepi.analyses.outcomes import INCIDENCE_SCHEMA
from pharmacoepi.disclosure.outcome_tables import outcome_incidence


def _row(stratum, level, persons, events, pre=None, with_outcome=None):
    return {
        "analysis": "a",
        "outcome": "o",
        "time_at_risk": "t",
        "stratum": stratum,
        "level": level,
        "persons_pre_exclusion": pre if pre is not None else persons,
        "person_days_pre_exclusion": persons * 300,
        "persons": persons,
        "person_days": persons * 300,
        "persons_with_outcome": with_outcome if with_outcome is not None else events,
        "events": events,
        "rate": 1.0,
        "ci_lower": 0.5,
        "ci_upper": 2.0,
        "per": 100_000,
    }


def _table(rows):
    return pl.DataFrame(rows, schema=INCIDENCE_SCHEMA, orient="row")


def test_a_small_margin_cell_hides_a_second_and_its_rates():
    raw = _table([
        _row("crude", "all", 100, 40),
        _row("sex", "F", 60, 35), _row("sex", "M", 40, 5),
        _row("calendar_year", "2010", 100, 20), _row("calendar_year", "2011", 90, 20),
        _row("standardised", "esp2013", 100, 40),
    ])  # fmt: skip
    masked = outcome_incidence(raw, 11)
    by = {(r["stratum"], r["level"]): r for r in masked.to_dicts()}
    assert by[("sex", "M")]["events"] is None and by[("sex", "M")]["rate"] is None
    assert by[("sex", "M")]["persons_with_outcome"] is None
    # 40 - 5 would give M's events back from F's: F is hidden too
    assert by[("sex", "F")]["events"] is None and by[("sex", "F")]["ci_upper"] is None
    assert by[("crude", "all")]["events"] == 40
    assert by[("calendar_year", "2010")]["events"] == 20
    assert by[("standardised", "esp2013")]["rate"] == 1.0
    assert by[("sex", "M")]["person_days"] == 12_000  # values are not counts of persons


def test_few_persons_with_the_outcome_hide_the_events_and_a_small_crude_hides_all():
    raw = _table([_row("crude", "all", 100, 30, with_outcome=4),
                  _row("standardised", "esp2013", 100, 30, with_outcome=4)])  # fmt: skip
    masked = outcome_incidence(raw, 11).to_dicts()
    assert masked[0]["events"] is None and masked[0]["persons_with_outcome"] is None
    assert masked[1]["events"] is None and masked[1]["rate"] is None  # standardised too


def test_a_few_persons_excluded_hide_the_persons_at_risk():
    raw = _table([_row("crude", "all", 100, 30, pre=103)])
    row = outcome_incidence(raw, 11).row(0, named=True)
    assert row["persons"] is None and row["persons_pre_exclusion"] == 103
    assert row["events"] == 30
