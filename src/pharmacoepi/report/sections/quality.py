"""Section 8: data quality: the inputs read, rows set aside by table and reason, the
source adapter's problems. Row counts come from the manifest (not masked there), so they
are masked here with the run's threshold."""

from __future__ import annotations

from pharmacoepi.report.html import Cells, esc, section, table
from pharmacoepi.report.inputs import RunOutputs


def render(run: RunOutputs, cells: Cells) -> str:
    m = run.manifest
    inputs = table(
        ("table", "format", "files", "rows"),
        (
            [
                esc(name),
                esc(i.get("format", "")),
                f"{len(i.get('files', [])):,}",
                cells.count(_masked(i.get("rows"), cells)),
            ]
            for name, i in sorted(m.get("inputs", {}).items())
        ),
        cls="numbers",
    )
    rejected = m.get("rejected_rows") or []
    rejected_html = (
        table(
            ("table", "column", "reason", "rows"),
            (
                [
                    esc(r["table"]),
                    esc(r.get("column") or ""),
                    esc(r["reason"]),
                    cells.count(_masked(r["rows"], cells)),
                ]
                for r in rejected
            ),
            cls="numbers",
        )
        if rejected
        else "<p>No input row was set aside.</p>"
    )
    problems = m.get("source_problems") or []
    problems_html = (
        table(
            ("source table", "problem", "handling", "rows"),
            (
                [
                    esc(p["source_table"]),
                    esc(p["problem"]),
                    esc(p["handling"]),
                    cells.count(_masked(p["rows"], cells)),
                ]
                for p in problems
            ),
            cls="numbers",
        )
        if problems
        else "<p>The source adapter reported no problem.</p>"
    )
    body = (
        "<h3>Inputs read</h3>"
        + inputs
        + "<h3>Rows set aside</h3><p>Rows of the codelists' records that fail the data "
        "contract are set aside (rejected_rows.parquet, kept inside the secure environment) "
        "and counted here.</p>"
        + rejected_html
        + "<h3>Source problems</h3>"
        + problems_html
        + cells.legend()
    )
    return section("quality", "8. Data quality", body)


def _masked(rows: int | None, cells: Cells) -> int | None:
    """Row counts from 1 to the threshold - 1 are masked like any small count."""
    return None if rows is None or 0 < rows < cells.min_cell else rows
