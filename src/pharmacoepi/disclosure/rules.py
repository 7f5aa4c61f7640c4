"""The rules of small-cell suppression (SNDS/CASD: no published cell under 11).

A count from 1 to min_cell_count - 1 is masked (null). Secondary suppression makes sure a
masked count cannot be recovered by subtraction from the counts left visible.
"""

from __future__ import annotations

import polars as pl


def suppress_attrition(
    persons: list[int], min_cell_count: int
) -> list[tuple[int | None, int | None]]:
    """Mask an attrition chain.

    persons[i] remain after step i; excluded[i] = persons[i-1] - persons[i].

    Returns (persons, excluded) per step with masked cells as None. If a step's excluded
    count is small, its persons count is masked too, and so is the next step's excluded
    count, so that neither can be solved from its neighbours.
    """

    def small(n: int) -> bool:
        return 0 < n < min_cell_count

    excluded = [0] + [persons[i - 1] - persons[i] for i in range(1, len(persons))]
    hide_p = [small(p) for p in persons]
    hide_e = [i > 0 and small(e) for i, e in enumerate(excluded)]
    changed = True
    while changed:  # propagate until no masked cell is the difference of two visible ones
        changed = False
        for i in range(1, len(persons)):
            # persons[i-1] = persons[i] + excluded[i]: one hidden term needs a second one.
            hidden = [hide_p[i - 1], hide_p[i], hide_e[i]]
            if sum(hidden) == 1:
                if hide_p[i - 1]:
                    hide_e[i] = True  # keep the earlier total hidden, hide the difference
                else:
                    hide_p[i] = hide_p[i] or hide_e[i]
                    hide_e[i] = True
                changed = True
    return [
        (None if hide_p[i] else persons[i], None if (i == 0 or hide_e[i]) else excluded[i])
        for i in range(len(persons))
    ]


def suppress_cells(counts: list[int], min_cell_count: int, *, total_known: bool) -> list[bool]:
    """Which cells of one group to mask: counts 1..min_cell_count-1 (primary), and, when
    the group's total is published or derivable (`total_known`), a second cell whenever
    exactly one is masked, so the masked one is not the total minus the rest. The second
    cell is the smallest other non-zero count (the least information lost)."""
    hide = [0 < n < min_cell_count for n in counts]
    if total_known and sum(hide) == 1:
        others = [(n, i) for i, n in enumerate(counts) if not hide[i] and n > 0]
        if others:
            hide[min(others)[1]] = True
    return hide


def spread_suppression(hide: list[bool], counts: list[int], groups: list[list[int]]) -> None:
    """Cells of a table whose groups (rows, columns, margins) each add up to a published
    total: while a group has exactly one hidden cell, hide its smallest other non-zero
    cell too (which may leave another group with one). Changes `hide` in place."""
    changed = True
    while changed:
        changed = False
        for group in groups:
            masked = [i for i in group if hide[i]]
            others = [(counts[i], i) for i in group if not hide[i] and counts[i] > 0]
            if len(masked) == 1 and others:
                hide[min(others)[1]] = changed = True


def hide_columns(frame: pl.DataFrame, columns) -> pl.DataFrame:
    """Null every value of the given columns (all of a table's counts and what derives
    from them, when a total it adds up to is masked elsewhere)."""
    return frame.with_columns(pl.lit(None).cast(frame.schema[c]).alias(c) for c in columns)


def may_fit_model(events: int, smallest_group: int, min_cell_count: int) -> bool:
    """A model is fitted (and published) only on min_cell_count events or more, with as
    many persons in each level of a categorical covariate: a handful of persons would be
    described by its coefficients."""
    return events >= min_cell_count and smallest_group >= min_cell_count
