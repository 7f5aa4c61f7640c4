"""Incidence of the case definition in the extract: incident cases (every one, children and
secondary cases included) over internal person-time, crude, by sex, 5-year age band,
calendar year, calendar month (seasonality) and age band x sex, and standardised to the
European Standard Population 2013 and the WHO world standard (docs/methods.md, "Incidence
of the cohort definition"). Cases are dated at their index date (FAITH's drug-refined
diagnosis date) or, as an option, their first qualifying code. The table is raw: the
disclosure package masks small event counts with the rates derived from them."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import polars as pl

from pharmacoepi.analyses.lexis import DAYS_PER_YEAR, completed_years
from pharmacoepi.definition import Definition
from pharmacoepi.engines import Engine
from pharmacoepi.errors import DataError
from pharmacoepi.estimate import ESP2013, WHO_WORLD, direct_standardize, incidence_rates
from pharmacoepi.plan import RunState, Step, python, sql

BAND_YEARS = 5  # the standard populations' age bands
MONTHS = list(range(1, 13))
STANDARDS = {"esp2013": ESP2013, "who_world": WHO_WORLD}
SCHEMA = {
    "measure": pl.String,
    "stratum": pl.String,
    "events": pl.Int64,
    "person_years": pl.Float64,
    "rate": pl.Float64,
    "ci_lower": pl.Float64,
    "ci_upper": pl.Float64,
}


def steps(d: Definition) -> list[Step]:
    """The incidence cells (internal person-time, split in the engine, or an external
    population) by year, sex and age band, and by calendar month, then the rate table;
    gives "incidence_cells", "incidence_months" and "incidence.parquet"."""
    if d.analyses.incidence is None:
        return []
    internal = d.analyses.incidence.population_file is None

    def cells(state: RunState) -> None:
        if internal:
            state.results["incidence_cells"] = cells_of(state.engine.frame("person_time_cells"))
            state.results["incidence_months"] = months_of(state.engine.frame("person_time_months"))
            return
        monthly = external_person_time(state.engine, d, state.data_dir)
        state.results["incidence_cells"] = _summed(monthly, ["year", "sex", "age_band"])
        state.results["incidence_months"] = _summed(monthly, ["year", "month"])

    def table(state: RunState) -> None:
        cells, months = state.results["incidence_cells"], state.results["incidence_months"]
        rates = incidence_table(cells, d, months)
        denominator = "internal" if internal else "external"
        state.results["incidence.parquet"] = rates.with_columns(
            pl.lit(denominator).alias("denominator")
        )

    person_time = []
    if internal:
        years = list(range(d.study_period.start.year, d.study_period.end.year + 1))
        person_time = [
            # per person and spell, the days on which a first code would make an incident
            # case (sql/analyses/at_risk_intervals.sql)
            sql(
                "analyses/at_risk_intervals",
                {
                    "study_start": d.study_period.start,
                    "study_end": d.study_period.end,
                    "washout_days": d.incident.washout_window,
                    "prior_observation_days": d.incident.prior_observation_days,
                    "dated_at": d.analyses.incidence.dated_at,
                },
            ),
            # split by calendar year and 5-year age band in the engine: no person-level
            # table reaches Python; by calendar month from the days coverage changes
            sql("analyses/person_time_cells", {"years": years, "band_years": BAND_YEARS}),
            sql("analyses/person_time_months", {"years": years, "months": MONTHS}),
        ]
    return [
        *person_time,
        python(
            "analyses/incidence_cells",
            cells,
            inputs=("person_time_cells", "person_time_months")
            if internal
            else ("classified_cases",),
            gives=("incidence_cells", "incidence_months"),
        ),
        python(
            "analyses/incidence.parquet",
            table,
            uses=("incidence_cells", "incidence_months"),
            gives=("incidence.parquet",),
        ),  # fmt: skip
    ]


def external_person_time(engine: Engine, d: Definition, data_dir: Path) -> pl.DataFrame:
    """Cells of the external denominator: person-years per month = the year's population x
    the month's days inside the study period / the year's days; events = incident cases by
    the year, month, sex and 5-year age band of their index date (or code_date, as the
    definition dates them). Returns year, month, sex, age_band, events, person_years."""
    path = Path(d.analyses.incidence.population_file)
    path = path if path.is_absolute() else data_dir / path
    population = _read_population(path)
    start, end = d.study_period.start, d.study_period.end
    fractions = []
    for year in range(start.year, end.year + 1):
        days_in_year = (dt.date(year, 12, 31) - dt.date(year, 1, 1)).days + 1
        for month in range(1, 13):
            first = dt.date(year, month, 1)
            last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
            inside = (min(end, last) - max(start, first)).days + 1
            if inside > 0:
                fractions.append({"year": year, "month": month, "fraction": inside / days_in_year})
    years = pl.DataFrame(
        fractions, schema={"year": pl.Int64, "month": pl.Int64, "fraction": pl.Float64}
    )
    missing = set(years["year"]) - set(population["year"])
    if missing:
        raise DataError(
            f"population table has no rows for year(s) {sorted(missing)}",
            where=str(path),
            hint="the external denominator needs every year of the study period",
        )
    denominator = population.join(years, on="year").select(
        "year", "month", "sex", "age_band",
        (pl.col("population") * pl.col("fraction")).alias("person_years"),
    )  # fmt: skip
    dated = pl.col(d.analyses.incidence.dated_at)
    cases = engine.frame("classified_cases").select(
        dated.dt.year().cast(pl.Int64).alias("year"),
        dated.dt.month().cast(pl.Int64).alias("month"),
        "sex",
        ((completed_years(pl.col("birth_date"), dated) // BAND_YEARS) * BAND_YEARS)
        .cast(pl.Int64).alias("age_band"),
    )  # fmt: skip
    keys = ["year", "month", "sex", "age_band"]
    cases = cases.group_by(keys).agg(pl.len().cast(pl.Int64).alias("events"))
    cells = denominator.join(cases, on=keys, how="full", coalesce=True)
    uncounted = cells.filter(pl.col("person_years").is_null() & (pl.col("events") > 0))
    if uncounted.height:
        raise DataError(
            f"{int(uncounted['events'].sum())} incident case(s) fall in strata the population "
            "table does not have",
            where=str(path),
            hint="give a population for every year, sex and 5-year age band with cases",
        )
    return (
        cells.with_columns(pl.col("events").fill_null(0))
        .filter(pl.col("person_years") > 0)
        .with_columns(
            pl.col("year").cast(pl.Int32),
            pl.col("month").cast(pl.Int32),
            pl.col("age_band").cast(pl.Int32),
        )
    )


def _read_population(path: Path) -> pl.DataFrame:
    if not path.is_file():
        raise DataError(
            "population table not found",
            where=str(path),
            hint="analyses.incidence.population_file is relative to the data directory",
        )
    try:
        table = pl.read_csv(path, schema_overrides={"sex": pl.String})
        return table.select(
            pl.col("year").cast(pl.Int64), "sex", pl.col("age_band").cast(pl.Int64),
            pl.col("population").cast(pl.Float64),
        )  # fmt: skip
    except (pl.exceptions.PolarsError, KeyError) as exc:
        raise DataError(
            f"population table is not year,sex,age_band,population: {exc}",
            where=str(path),
            hint="one row per year, sex (M/F) and 5-year age band (lower bound)",
        ) from None


# The margins of the table, in order: (measure, the cells' column it is by).
MARGINS = (
    ("crude", []),
    ("sex", ["sex"]),
    ("age_band", ["age_band"]),
    ("year", ["year"]),
    ("month", ["month"]),
    ("age_band_sex", ["age_band_sex"]),
)


def _stratum_order(measure: str) -> pl.Expr | str:
    """Numeric strata in numeric order; age band x sex by sex, then band."""
    if measure in ("age_band", "month"):
        return pl.col("stratum").cast(pl.Int32)
    if measure == "age_band_sex":
        parts = pl.col("stratum").str.split(":")
        return pl.struct(
            parts.list.get(0).alias("sex"), parts.list.get(1).cast(pl.Int32).alias("band")
        )
    return "stratum"


def _standard_for(table: pl.DataFrame, standard: pl.DataFrame) -> pl.DataFrame:
    """Cap the standard's bands at the open top band: ages above it join that band."""
    top = int(standard["stratum"].max())
    return table.with_columns(pl.min_horizontal("age_band", pl.lit(top)).alias("age_band"))


def standardised_rate(cells: pl.DataFrame, standard: pl.DataFrame, per: float) -> dict | None:
    """The directly standardised rate of cells (age_band, events, person_years) with its
    Fay-Feuer interval (events, person_time, rate, ci_lower, ci_upper), or None when a band
    of the standard has no person-time (its rate, so the standardised rate, is unknown).
    Ages above the standard's open top band count in it."""
    banded = _standard_for(cells, standard)
    covered = set(banded.filter(pl.col("person_years") > 0)["age_band"].to_list())
    if not set(standard["stratum"].to_list()) <= covered:
        return None
    result = direct_standardize(
        banded, events_col="events", person_time_col="person_years", stratum_col="age_band",
        standard=standard, per=per,
    )  # fmt: skip
    return result.filter(pl.col("measure") == "standardised").row(0, named=True)


def cells_of(segments: pl.DataFrame) -> pl.DataFrame:
    """Person-time segments or cells (year, sex, age_band, events, days) -> cells: year,
    sex, age_band, events, person_years. Days are summed (integers, exact in any order),
    then turned into years: the cells do not depend on the row order of the engine."""
    return (
        segments.group_by("year", "sex", "age_band")
        .agg(pl.col("events").sum(), pl.col("days").sum())
        .with_columns((pl.col("days") / DAYS_PER_YEAR).alias("person_years"))
        .drop("days")
        .sort("year", "sex", "age_band")
    )


def months_of(months: pl.DataFrame) -> pl.DataFrame:
    """Days at risk and events by calendar month (year, month, events, days) -> year,
    month, events, person_years."""
    return months.with_columns((pl.col("days") / DAYS_PER_YEAR).alias("person_years")).select(
        "year", "month", "events", "person_years"
    )


def _summed(cells: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """External cells summed over the other strata (person-years exactly, in order)."""
    return (
        cells.sort(by)
        .group_by(by, maintain_order=True)
        .agg(pl.col("events").sum(), pl.col("person_years"))
        .with_columns(pl.col("person_years").map_elements(math.fsum, return_dtype=pl.Float64))
    )


def age_band_sex(cells: pl.DataFrame) -> pl.DataFrame:
    """The age band x sex cross-table's stratum: 'F:60' (sex, then the band's lower bound)."""
    return cells.with_columns(
        (pl.col("sex") + ":" + pl.col("age_band").cast(pl.String)).alias("age_band_sex")
    )


def incidence_table(cells: pl.DataFrame, d: Definition, months: pl.DataFrame) -> pl.DataFrame:
    """Unmasked rates: crude, by sex, age band, year, month (from `months`: year, month,
    events, person_years), age band x sex; standardised rates."""
    per = d.analyses.incidence.per
    parts = []
    crossed = age_band_sex(cells)
    for measure, by in MARGINS:
        frame = months if measure == "month" else crossed
        rates = incidence_rates(
            frame.sort(by or "year"), events_col="events", person_time_col="person_years",
            by=by, per=per,
        )  # fmt: skip
        stratum = pl.lit("all") if not by else pl.col(by[0]).cast(pl.String)
        parts.append(
            rates.select(
                pl.lit(measure).alias("measure"),
                stratum.alias("stratum"),
                "events",
                pl.col("person_time").alias("person_years"),
                "rate",
                "ci_lower",
                "ci_upper",
            ).sort(_stratum_order(measure))
        )
    for name in d.analyses.incidence.standards:
        row = standardised_rate(cells, STANDARDS[name], per)
        # an age band without person-time has no rate: the standardised rate is unknown
        parts.append(
            pl.DataFrame(
                {"measure": [f"standardised_{name}"], "stratum": ["all"],
                 **{c: [row[c] if row else None] for c in ("events", "rate", "ci_lower",
                                                            "ci_upper")},
                 "person_years": [row["person_time"] if row else None]}
            ).select(list(SCHEMA))
        )  # fmt: skip
    return pl.concat([p.cast(SCHEMA) for p in parts])
