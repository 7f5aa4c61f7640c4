"""Section 4: incidence: crude and standardised rates, by age band and sex (the figure of
every incidence paper), by calendar year."""

from __future__ import annotations

import polars as pl

from pharmacoepi.report import charts
from pharmacoepi.report.html import Cells, figure, section
from pharmacoepi.report.inputs import RunOutputs
from pharmacoepi.report.sections.rates import (
    band,
    estimates_of,
    not_plotted,
    rate_rows,
    rate_table,
)


def _years(r: dict) -> float | None:
    return r["person_years"]


def render(run: RunOutputs, cells: Cells) -> str | None:
    frame = run.table("incidence.parquet")
    if frame is None:
        return None
    per = int((run.definition.get("analyses", {}).get("incidence") or {}).get("per", 100000))
    unit = f"per {per:,} person-years"
    denominator = frame["denominator"][0]
    headline = frame.filter(
        pl.col("measure").is_in(["crude", "sex"])
        | pl.col("measure").str.starts_with("standardised")
    )

    def label(r: dict) -> str:
        if r["measure"] == "crude":
            return "crude, all"
        if r["measure"].startswith("standardised_"):
            return "standardised (" + r["measure"].removeprefix("standardised_") + ")"
        return f"{r['measure']} {r['stratum']}"

    parts = [
        f"<p>Incident cases over person-years of the population ({denominator} "
        f"denominator); rates {unit}, exact Poisson 95% CIs.</p>",
        rate_table(rate_rows(headline.iter_rows(named=True), cells, label, _years), "rate", per),
    ]
    by_age_sex = frame.filter(pl.col("measure") == "age_band_sex")
    by_age = by_age_sex if by_age_sex.height else frame.filter(pl.col("measure") == "age_band")
    if by_age.height:
        rows = list(by_age.iter_rows(named=True))
        sexed = by_age_sex.height > 0

        def age(r: dict) -> str:
            return band(r["stratum"].split(":")[-1])

        def sex(r: dict) -> str:
            return r["stratum"].split(":")[0] if sexed else "all"

        points = estimates_of(rows, age, sex)
        svg = charts.estimates(points, prefix="inc-age", value_label=f"rate {unit}")
        numbers = rate_table(
            rate_rows(rows, cells, lambda r: f"{sex(r)} {age(r)}", _years), "sex, age band", per
        )
        caption = (
            f"Incidence {unit} by age band"
            + (" and sex" if sexed else "")
            + ", with 95% CIs."
            + not_plotted(points)
        )
        alt = "Incidence rate by age band" + (" for each sex" if sexed else "") + " with CIs"
        parts.append(figure("incidence_age_sex", svg, caption, alt, numbers))
    by_year = frame.filter(pl.col("measure") == "year")
    if by_year.height:
        rows = list(by_year.iter_rows(named=True))
        points = estimates_of(rows, lambda r: r["stratum"], lambda r: "all")
        svg = charts.estimates(points, prefix="inc-year", value_label=f"rate {unit}")
        numbers = rate_table(rate_rows(rows, cells, lambda r: r["stratum"], _years), "year", per)
        caption = f"Incidence {unit} by calendar year, with 95% CIs." + not_plotted(points)
        parts.append(figure("incidence_year", svg, caption, "Incidence rate by year", numbers))
    return section("incidence", "4. Incidence", "".join(parts) + cells.legend())
