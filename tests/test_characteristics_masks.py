"""How Table 1 is masked (disclosure/characteristics_table.py): n from 1 to
min_cell_count - 1 and its complement, the levels adding up to the overall column, a
level's categories adding up to its persons, quantiles and means of small levels, SMDs."""

from __future__ import annotations

import polars as pl

from pharmacoepi.characteristics.table import SCHEMA
from pharmacoepi.disclosure.characteristics_table import characteristics

MIN = 11


def row(stratum, level, persons, feature, n=None, kind="binary", category=None, **more):
    r = {k: None for k in SCHEMA}
    r |= {"stratum": stratum, "level": level, "persons": persons, "feature": feature,
          "window": "prior_year", "kind": kind, "category": category, "n": n}  # fmt: skip
    if n is not None:
        r["percent"] = 100.0 * n / persons
    return r | more


def masked(rows) -> dict[tuple, dict]:
    out = characteristics(pl.DataFrame(rows, schema=SCHEMA, orient="row"), MIN)
    return {(r["stratum"], r["level"], r["feature"], r["category"]): r for r in out.to_dicts()}


def test_small_n_and_small_complement():
    got = masked([
        row("overall", "all", 100, "a", 5),  # small
        row("overall", "all", 100, "b", 95),  # complement 5: hidden too
        row("overall", "all", 100, "c", 89),  # complement 11: shown
        row("overall", "all", 100, "d", 0),  # zero: shown
    ])  # fmt: skip
    assert [got[("overall", "all", f, None)]["n"] for f in "abcd"] == [None, None, 89, 0]
    assert got[("overall", "all", "b", None)]["percent"] is None
    assert got[("overall", "all", "c", None)]["percent"] == 89.0


def test_levels_add_up_to_the_overall_column():
    """F 3 is small; the overall 40 and M 37 would give it back: M is hidden too."""
    got = masked([
        row("overall", "all", 100, "a", 40),
        row("sex", "F", 50, "a", 3, smd=0.9, smd_reference="M"),
        row("sex", "M", 50, "a", 37, smd=-0.9, smd_reference="F"),
    ])  # fmt: skip
    assert got[("overall", "all", "a", None)]["n"] == 40
    assert got[("sex", "F", "a", None)]["n"] is None
    assert got[("sex", "M", "a", None)]["n"] is None
    assert got[("sex", "M", "a", None)]["smd"] is None  # with p_F hidden, SMD would give it


def test_categories_add_up_to_the_persons():
    got = masked([
        row("overall", "all", 60, "band", 4, "categorical", "18-39"),
        row("overall", "all", 60, "band", 30, "categorical", "40-59"),
        row("overall", "all", 60, "band", 26, "categorical", "60+"),
    ])  # fmt: skip
    shown = [got[("overall", "all", "band", c)]["n"] for c in ("18-39", "40-59", "60+")]
    assert shown == [None, None, 30] or shown == [None, 30, None]
    assert shown.count(None) == 2


def test_a_small_level_hides_its_persons_and_statistics():
    got = masked([
        row("overall", "all", 60, "age", kind="continuous", mean=50.0, sd=10.0, median=49.0,
            q1=40.0, q3=60.0),
        row("line", "a", 5, "age", kind="continuous", mean=70.0, sd=1.0, median=70.0, q1=69.0,
            q3=71.0, smd=1.2, smd_reference="rest"),
        row("line", "b", 25, "age", kind="continuous", mean=45.0, sd=9.0, median=44.0, q1=40.0,
            q3=50.0, smd=-0.3, smd_reference="rest"),
        row("line", "c", 30, "age", kind="continuous", mean=48.0, sd=9.0, median=47.0, q1=41.0,
            q3=52.0, smd=-0.1, smd_reference="rest"),
    ])  # fmt: skip
    a, b, c = (got[("line", lv, "age", None)] for lv in "abc")
    assert a["persons"] is None and a["mean"] is None and a["q1"] is None
    assert b["persons"] is None  # 5 + 25 + 30 = 60: a second level hidden
    assert c["persons"] == 30 and c["median"] == 47.0
    assert b["mean"] == 45.0  # 25 persons: the mean describes no one
    assert a["smd"] is None and c["smd"] is None  # the stratum has a hidden level
    assert got[("overall", "all", "age", None)]["persons"] == 60
