"""Section 2: the attrition as a flow diagram: a box per step with the persons remaining,
the persons excluded beside the arrow that leads to it. Drawn in HTML and CSS (it is text,
so it is its own text alternative and prints sharp)."""

from __future__ import annotations

from pharmacoepi.report.html import Cells, esc, section, table
from pharmacoepi.report.inputs import RunOutputs


def render(run: RunOutputs, cells: Cells) -> str | None:
    frame = run.table("attrition.parquet")
    if frame is None:
        return None
    steps = []
    for row in frame.sort("step").iter_rows(named=True):
        if row["step"] > 0:
            steps.append(
                '<div class="arrow" role="listitem"><span class="excluded">excluded: '
                f"{cells.count(row['excluded'])}</span></div>"
            )
        steps.append(
            f'<div class="box" role="listitem" data-step="{row["step"]}"><span class="persons">'
            f"{cells.count(row['persons'])} persons</span>"
            f'<span class="what">{esc(row["description"])}</span></div>'
        )
    numbers = table(
        ("step", "description", "persons", "excluded"),
        (
            (
                str(r["step"]),
                esc(r["description"]),
                cells.count(r["persons"]),
                "" if r["step"] == 0 else cells.count(r["excluded"]),
            )
            for r in frame.sort("step").iter_rows(named=True)
        ),
        cls="numbers",
    )
    causes = run.table("secondary_causes.parquet")
    if causes is not None:
        numbers += "<h3>Incident cases by secondary cause</h3>" + table(
            ("cause", "persons", "share"),
            (
                [esc(r["cause"]), cells.count(r["persons"]), cells.percent(r["share"])]
                for r in causes.iter_rows(named=True)
            ),
            cls="numbers",
        )
    body = (
        f'<div class="flow" role="list" aria-label="attrition flow">{"".join(steps)}</div>'
        f"<details><summary>Attrition table (attrition.parquet)</summary>{numbers}</details>"
        + cells.legend()
    )
    return section("attrition", "2. Attrition", body)
