"""Section 7: safety-outcome rates (crude, by stratum, on and off treatment) and their
cumulative incidence curves."""

from __future__ import annotations

import polars as pl

from pharmacoepi.report import charts
from pharmacoepi.report.html import Cells, esc, figure, section
from pharmacoepi.report.inputs import RunOutputs
from pharmacoepi.report.sections.rates import estimates_of, not_plotted, rate_rows, rate_table
from pharmacoepi.report.sections.survival import curve_figures


def _years(r: dict) -> float | None:
    return None if r["person_days"] is None else r["person_days"] / 365.25


def _rates(frame: pl.DataFrame, cells: Cells) -> list[str]:
    """One figure of crude rates per unit (`per` is each analysis's own), then each
    analysis by stratum in its own unit."""
    parts = []
    for index, per in enumerate(frame["per"].unique(maintain_order=True)):
        crude = frame.filter((pl.col("stratum") == "crude") & (pl.col("per") == per))
        rows = list(crude.iter_rows(named=True))
        points = estimates_of(rows, lambda r: r["analysis"], lambda r: "crude")
        svg = charts.estimates(
            points,
            prefix=f"outcome-crude{index}",
            horizontal=True,
            value_label=f"rate per {per:,} person-years",
        )
        numbers = rate_table(
            rate_rows(rows, cells, lambda r: f"{r['analysis']} ({r['time_at_risk']})", _years),
            "analysis (time at risk)",
            per,
        )
        caption = (
            f"Crude rate of each outcome analysis per {per:,} person-years, 95% CIs; analyses "
            "named on_/off_ split the same follow-up on and off a treatment." + not_plotted(points)
        )
        name = "outcome_rates" if index == 0 else f"outcome_rates_per_{per}"
        parts.append(figure(name, svg, caption, "Crude outcome rates with CIs", numbers))
    for analysis in frame["analysis"].unique(maintain_order=True):
        strata = frame.filter((pl.col("analysis") == analysis) & (pl.col("stratum") != "crude"))
        if not strata.height:
            continue
        label = lambda r: f"{r['stratum']} {r['level']}"  # noqa: E731
        per = int(strata["per"][0])
        body = rate_table(
            rate_rows(strata.iter_rows(named=True), cells, label, _years), "stratum", per
        )
        parts.append(f"<details><summary>{esc(analysis)} by stratum</summary>{body}</details>")
    return parts


def render(run: RunOutputs, cells: Cells) -> str | None:
    rates, curves = run.table("outcome_incidence.parquet"), run.table("outcome_survival.parquet")
    if rates is None and curves is None:
        return None
    parts = _rates(rates, cells) if rates is not None else []
    if curves is not None:
        parts.append("<h3>Cumulative incidence of outcomes</h3>")
        parts += curve_figures(curves, cells, "outsurv", "")
    return section("outcomes", "7. Safety outcomes", "".join(parts) + cells.legend())
