"""Section 5: cumulative incidence curves (Aalen-Johansen with death competing, or
1 - Kaplan-Meier) on the report days, with CI bands and the numbers at risk under each;
the Cox hazard ratios as a forest plot."""

from __future__ import annotations

import polars as pl

from pharmacoepi.report import charts
from pharmacoepi.report.html import Cells, esc, figure, not_drawn, section, table
from pharmacoepi.report.inputs import RunOutputs

METHODS = {
    "aalen_johansen": "Aalen-Johansen, death as a competing event",
    "kaplan_meier": "1 - Kaplan-Meier",
}


def curve_figures(frame: pl.DataFrame, cells: Cells, prefix: str, what: str) -> list[str]:
    """One figure per analysis: its curve and, under it, persons at risk on each day."""
    out = []
    for index, analysis in enumerate(frame["analysis"].unique(maintain_order=True)):
        rows = list(
            frame.filter(pl.col("analysis") == analysis).sort("time_days").iter_rows(named=True)
        )
        first = rows[0]
        points = [
            charts.CurvePoint(
                r["time_days"], r["cumulative_incidence"], r["ci_lower"], r["ci_upper"]
            )
            for r in rows
        ]
        svg = charts.curves(
            {analysis: points},
            prefix=f"{prefix}{index}",
            x_label=f"days from {first['origin']}",
            y_label="cumulative incidence",
        )
        days = [str(r["time_days"]) for r in rows]
        at_risk = table(
            ("day", *days),
            [["at risk", *(cells.count(r["at_risk"]) for r in rows)]],
            cls="at-risk",
        )
        numbers = table(
            ("day", "persons", "at risk", "cumulative incidence", "95% CI"),
            (
                [
                    str(r["time_days"]),
                    cells.count(r["persons"]),
                    cells.count(r["at_risk"]),
                    cells.percent(r["cumulative_incidence"]),
                    cells.interval(
                        *(None if v is None else 100 * v for v in (r["ci_lower"], r["ci_upper"]))
                    )
                    + ("" if r["ci_lower"] is None else " %"),
                ]
                for r in rows
            ),
            cls="numbers",
        )
        caption = (
            f"<strong>{esc(analysis)}</strong>{esc(what)}: cumulative incidence from "
            f"{esc(first['origin'])} ({METHODS.get(first['method'], esc(first['method']))}), "
            "95% CI band, on the report days only."
            + not_drawn((r["cumulative_incidence"] for r in rows), "day")
        )
        alt = f"Cumulative incidence of {analysis} over days from {first['origin']}"
        out.append(figure(f"survival_{analysis}", svg, caption + at_risk, alt, numbers))
    return out


def _forest(frame: pl.DataFrame, cells: Cells) -> str:
    rows = list(frame.iter_rows(named=True))
    fitted = [r for r in rows if r["fitted"]]
    points = [
        charts.Estimate(
            f"{r['analysis']}: {r['term']}",
            "hazard ratio",
            r["hazard_ratio"],
            r["ci_lower"],
            r["ci_upper"],
        )
        for r in fitted
    ]
    numbers = table(
        ("analysis", "term", "hazard ratio", "95% CI", "p"),
        (
            [
                esc(r["analysis"]),
                esc(r["term"] or "(no model)"),
                cells.number(r["hazard_ratio"], 2) if r["fitted"] else "not fitted",
                cells.interval(r["ci_lower"], r["ci_upper"], 2) if r["fitted"] else "",
                cells.number(r["p_value"], 3) if r["fitted"] else "",
            ]
            for r in rows
        ),
        cls="numbers",
    )
    if not points:
        return "<p>No Cox model had enough events to be fitted.</p>" + numbers
    svg = charts.estimates(
        points,
        prefix="cox",
        value_label="hazard ratio (log scale)",
        horizontal=True,
        log=True,
        reference=1.0,
    )
    unfitted = len(rows) - len(fitted)
    caption = "Cause-specific Cox models: hazard ratios with 95% CIs." + (
        f" {unfitted} term(s) not fitted (too few events)." if unfitted else ""
    )
    return figure("cox_forest", svg, caption, "Forest plot of hazard ratios", numbers)


def render(run: RunOutputs, cells: Cells) -> str | None:
    curves, cox = run.table("survival.parquet"), run.table("cox.parquet")
    if curves is None and cox is None:
        return None
    parts = curve_figures(curves, cells, "surv", "") if curves is not None else []
    if cox is not None:
        parts.append("<h3>Cox proportional hazards</h3>" + _forest(cox, cells))
    return section(
        "survival", "5. Survival and cumulative incidence", "".join(parts) + cells.legend()
    )
