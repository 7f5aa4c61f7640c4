"""Rates with their confidence intervals: the table and figure shared by the incidence
and outcome sections."""

from __future__ import annotations

from collections.abc import Iterable

from pharmacoepi.report.charts import Estimate
from pharmacoepi.report.html import Cells, esc, not_drawn, table


def band(lower: str) -> str:
    """An age band from its lower bound ("0" -> "0-4"; 5-year bands)."""
    return f"{lower}-{int(lower) + 4}" if lower.isdigit() else lower


def rate_cell(row: dict, cells: Cells) -> str:
    """A rate: masked when a count it derives from is; "not estimable" for a standardised
    rate left empty with its events shown (a band of the standard without person-time)."""
    standardised = str(row.get("measure") or "").startswith("standardised_")
    if row["rate"] is None and standardised and row["events"] is not None:
        return '<span class="masked" title="no estimate: see docs/methods.md">not estimable</span>'
    return cells.number(row["rate"])


def rate_rows(rows: Iterable[dict], cells: Cells, label, years) -> list[list[str]]:
    return [
        [
            esc(label(r)),
            cells.count(r["events"]),
            cells.number(years(r)),
            rate_cell(r, cells),
            cells.interval(r["ci_lower"], r["ci_upper"]),
        ]
        for r in rows
    ]


def rate_table(rows: list[list[str]], first: str, per: int) -> str:
    heads = (first, "events", "person-years", f"rate per {per:,} PY", "95% CI")
    return table(heads, rows, cls="numbers")


def estimates_of(rows: Iterable[dict], category, series) -> list[Estimate]:
    return [Estimate(category(r), series(r), r["rate"], r["ci_lower"], r["ci_upper"]) for r in rows]


def not_plotted(points: list[Estimate]) -> str:
    return not_drawn(p.value for p in points)
