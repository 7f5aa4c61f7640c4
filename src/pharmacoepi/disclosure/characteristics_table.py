"""How Table 1 is masked (characteristics.parquet), from its raw frame; registered in
disclosure/tables.py.

- persons of a level: hidden when 1..min_cell - 1; the levels of a stratum add up to the
  overall persons, so a stratum with one level hidden hides a second;
- n of a binary feature or a category: hidden when n or its complement (persons - n) is
  1..min_cell - 1, so a percent never reveals a small cell. The levels' n add up to the
  overall n, and a level's categories to its persons: a group with one hidden cell hides
  a second (rules.spread_suppression);
- percent: hidden with its n, or with its level's persons (n / percent would give them);
- mean and sd: hidden when the level has fewer than min_cell persons; the quartiles are
  values of single persons' order statistics, shown only then too;
- a stratum with a level of 1..min_cell - 1 persons shows no n of any of its levels: a small
  level's zero counts, its categories adding up to its hidden persons and the margins over
  the levels would otherwise pin its cells together (the disclosure audit's Table 1
  relations, tests/test_disclosure_audit_characteristics.py, found such chains); the
  overall column and the continuous summaries of the other levels stay;
- smd: hidden when any cell of its feature in the stratum is hidden (the SMD and one side's
  percent would give the other's).
"""

from __future__ import annotations

import polars as pl

from pharmacoepi.disclosure.rules import spread_suppression

_CONTINUOUS = ("mean", "sd", "median", "q1", "q3")


def _small(n: int | None, min_cell: int) -> bool:
    return n is not None and 0 < n < min_cell


def _grouped(rows: list[dict], key) -> list[list[int]]:
    groups: dict[tuple, list[int]] = {}
    for i, r in enumerate(rows):
        k = key(r)
        if k is not None:
            groups.setdefault(k, []).append(i)
    return list(groups.values())


def characteristics(raw: pl.DataFrame, min_cell: int) -> pl.DataFrame:
    rows = raw.to_dicts()
    # persons, one cell per (stratum, level)
    levels = list(dict.fromkeys((r["stratum"], r["level"]) for r in rows))
    persons = {lv: r["persons"] for r in rows for lv in [(r["stratum"], r["level"])]}
    sizes = [persons[lv] for lv in levels]
    hide_level = [_small(n, min_cell) for n in sizes]
    overall = [i for i, lv in enumerate(levels) if lv[0] == "overall"]
    by_stratum = _grouped(
        [{"stratum": s} for s, _ in levels], lambda r: r["stratum"] if r["stratum"] else None
    )
    spread_suppression(
        hide_level, sizes, [g + overall for g in by_stratum if levels[g[0]][0] != "overall"]
    )
    level_hidden = {lv: h for lv, h in zip(levels, hide_level, strict=True)}
    # n: binary features and categories
    counted = [i for i, r in enumerate(rows) if r["n"] is not None]
    cells = [rows[i] for i in counted]
    counts = [r["n"] for r in cells]
    small_strata = {s for (s, _), n in zip(levels, sizes, strict=True) if _small(n, min_cell)}
    hide = [
        _small(r["n"], min_cell)
        or _small(r["persons"] - r["n"], min_cell)
        or r["stratum"] in small_strata
        for r in cells
    ]
    margins = _grouped(
        cells,
        lambda r: (
            (r["stratum"], r["feature"], r["window"], r["category"])
            if r["stratum"] != "overall"
            else None
        ),
    )
    totals = {
        (r["feature"], r["window"], r["category"]): j
        for j, r in enumerate(cells)
        if r["stratum"] == "overall"
    }
    margins = [
        g + [totals[(cells[g[0]]["feature"], cells[g[0]]["window"], cells[g[0]]["category"])]]
        for g in margins
    ]
    categories = _grouped(
        cells,
        lambda r: (
            (r["stratum"], r["level"], r["feature"], r["window"])
            if r["kind"] == "categorical"
            else None
        ),
    )
    spread_suppression(hide, counts, margins + categories)
    hidden_n = {counted[j] for j, h in enumerate(hide) if h}
    # what each hidden cell hides with it, and the SMDs of the features touched
    touched = set()
    for i, r in enumerate(rows):
        lv = (r["stratum"], r["level"])
        if i in hidden_n:
            r["n"] = r["percent"] = None
            touched.add((r["stratum"], r["feature"], r["window"]))
        if level_hidden[lv]:
            r["persons"] = r["percent"] = None
            touched.add((r["stratum"], r["feature"], r["window"]))
        if persons[lv] < min_cell:
            for c in _CONTINUOUS:
                r[c] = None
            touched.add((r["stratum"], r["feature"], r["window"]))
    for r in rows:
        if (r["stratum"], r["feature"], r["window"]) in touched:
            r["smd"] = None
    return pl.DataFrame(rows, schema=raw.schema, orient="row")
