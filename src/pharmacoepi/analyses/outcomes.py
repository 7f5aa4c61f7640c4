"""Safety outcomes (`outcomes`, `analyses.outcome_incidence`, `analyses.outcome_survival`):
the outcome days and time-at-risk windows in the engine (sql/outcomes/), then rates with
exact Poisson intervals (outcome_incidence.parquet) and cumulative incidence curves, death
competing (outcome_survival.parquet). docs/methods.md, "Safety outcomes", gives every rule
with a worked example. Both tables are raw here: the disclosure package masks them."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pyarrow as pa

from pharmacoepi.analyses.incidence import BAND_YEARS, STANDARDS, standardised_rate
from pharmacoepi.analyses.lexis import DAYS_PER_YEAR
from pharmacoepi.analyses.survival import curve_points
from pharmacoepi.analyses.survival_block import all_outcomes, survival_entries
from pharmacoepi.definition import Definition
from pharmacoepi.definition.outcomes import Anchor, OutcomeIncidence, OutcomeSurvival
from pharmacoepi.errors import DataError
from pharmacoepi.estimate import poisson_ci
from pharmacoepi.plan import RunState, Step, python, sql

_ANCHOR_KIND = {"course_start": "course", "era_start": "era", "line_start": "line"}

DEFINITIONS_SCHEMA = pa.schema(
    [("outcome", pa.string()), ("source", pa.string()), ("codelist", pa.string()),
     ("setting", pa.string()), ("class", pa.string())]
)  # fmt: skip
_ANCHOR_COLUMNS = [
    (f"{end}_{part}", kind)
    for end in ("start", "end", "origin")
    for part, kind in (("anchor", pa.string()), ("kind", pa.string()), ("class", pa.string()),
                       ("number", pa.int32()), ("offset", pa.int32()))
]  # fmt: skip
ANALYSES_SCHEMA = pa.schema(
    [("analysis", pa.string()), ("purpose", pa.string()), ("outcome", pa.string()),
     ("time_at_risk", pa.string()), *_ANCHOR_COLUMNS,
     ("clean_window_days", pa.int32()), ("first_only", pa.bool_()),
     ("exclude_prior_days", pa.int32()), ("exclude_prior_all", pa.bool_())]
)  # fmt: skip
TREATMENT_DATES_SCHEMA = pa.schema(
    [("person_id", pa.int64()), ("kind", pa.string()), ("class", pa.string()),
     ("number", pa.int32()), ("start_date", pa.date32()), ("end_date", pa.date32())]
)  # fmt: skip


def has_outcome_analyses(d: Definition) -> bool:
    return bool(d.analyses.outcome_incidence or survival_entries(d))


def outcome_definitions(d: Definition) -> pa.Table:
    """One row per way an outcome occurs (a diagnosis setting, a course class): the SQL
    joins this table, so no value is pasted into a query."""
    rows = []
    for name, o in all_outcomes(d).items():
        if o.kind == "codelist":
            domain = d.codelists[o.codelist].domain
            for setting in o.settings or (None,):
                rows.append({"outcome": name, "source": domain, "codelist": o.codelist,
                             "setting": setting})  # fmt: skip
        elif o.kind == "death":
            rows.append({"outcome": name, "source": "death"})
        else:
            if o.new_line:
                rows.append({"outcome": name, "source": "new_line"})
            rows += [{"outcome": name, "source": "new_course", "class": c} for c in o.new_course]
    return pa.Table.from_pylist(rows, schema=DEFINITIONS_SCHEMA)


def _anchor(prefix: str, a: Anchor | None) -> dict:
    if a is None:
        return {}
    return {
        f"{prefix}_anchor": a.anchor,
        f"{prefix}_kind": _ANCHOR_KIND.get(a.anchor),
        f"{prefix}_class": a.class_,
        f"{prefix}_number": a.number,
        f"{prefix}_offset": a.offset,
    }


# during / outside without bounds: the whole follow-up
_FOLLOW_UP = (Anchor(anchor="index_date"), Anchor(anchor="follow_up_end"))


def _analysis_row(purpose: str, e: OutcomeIncidence | OutcomeSurvival) -> dict:
    tar = e.time_at_risk
    form = "during" if tar.during else "outside" if tar.outside else "span"
    start, end = (tar.start, tar.end) if tar.start is not None else _FOLLOW_UP
    row = {
        "analysis": e.name,
        "purpose": purpose,
        "outcome": e.outcome,
        "time_at_risk": form,
        **_anchor("start", start),
        **_anchor("end", end),
        "clean_window_days": getattr(e, "clean_window_days", 0),
        "first_only": getattr(e, "first_only", False),
        "exclude_prior_days": e.exclude_prior_days
        if isinstance(e.exclude_prior_days, int)
        else None,
        "exclude_prior_all": e.exclude_prior_days == "all",
    }
    if isinstance(e, OutcomeSurvival):
        row.update(_anchor("origin", e.origin))
    return row


EXPOSURES_SCHEMA = pa.schema([("analysis", pa.string()), ("class", pa.string())])


def outcome_exposures(d: Definition) -> pa.Table:
    """The classes whose eras make each during / outside analysis's exposure: the class
    named, or every class of the efficacy group named."""
    classes = d.treatments.classes if d.treatments else {}
    rows = []
    for e in d.analyses.outcome_incidence:
        name = e.time_at_risk.exposure
        if name is None:
            continue
        members = [name] if name in classes else [
            c for c, k in classes.items() if k.efficacy_group == name
        ]  # fmt: skip
        rows += [{"analysis": e.name, "class": c} for c in members]
    return pa.Table.from_pylist(rows, schema=EXPOSURES_SCHEMA)


def outcome_analyses(d: Definition) -> pa.Table:
    rows = [_analysis_row("incidence", e) for e in d.analyses.outcome_incidence]
    rows += [_analysis_row("survival", e) for e in survival_entries(d)]
    return pa.Table.from_pylist(rows, schema=ANALYSES_SCHEMA)


def years_at_risk(d: Definition, date_range: tuple[dt.date, dt.date]) -> list[int]:
    """Every calendar year a time at risk can touch: from the extract's first valid day
    (windows are cut to observation) to the administrative end of follow-up."""
    return list(range(date_range[0].year, d.follow_up.administrative_end.year + 1))


def steps(d: Definition, date_range: tuple[dt.date, dt.date]) -> list[Step]:
    """Outcome days and windows, then the rate cells and survival times in the engine,
    then the two tables; gives outcome_incidence.parquet and outcome_survival.parquet."""
    if not has_outcome_analyses(d):
        return []
    definitions, analyses, exposures = (
        outcome_definitions(d),
        outcome_analyses(d),
        outcome_exposures(d),
    )

    def register(state: RunState) -> None:
        state.engine.register("outcome_definitions", definitions)
        state.engine.register("outcome_analyses", analyses)
        state.engine.register("outcome_exposures", exposures)
        if d.treatments is None:  # no course, era or line: the anchors find nothing
            state.engine.register("treatment_dates", TREATMENT_DATES_SCHEMA.empty_table())

    creates = ("outcome_definitions", "outcome_analyses", "outcome_exposures")
    plan = [
        python(
            "outcomes/definitions",
            register,
            creates=creates if d.treatments else (*creates, "treatment_dates"),
        )
    ]
    if d.treatments is not None:
        plan.append(sql("outcomes/treatment_dates"))
    plan += [sql("outcomes/outcome_days"), sql("outcomes/risk_windows")]
    if d.analyses.outcome_incidence:

        def rates(state: RunState) -> None:
            cells = state.engine.frame("outcome_rate_cells")
            state.results["outcome_incidence.parquet"] = incidence_table(cells, d)

        plan += [
            sql(
                "outcomes/outcome_person_time",
                {"years": years_at_risk(d, date_range), "band_years": BAND_YEARS},
            ),
            sql("outcomes/outcome_rate_cells"),
            python(
                "outcomes/outcome_incidence.parquet",
                rates,
                inputs=("outcome_rate_cells",),
                gives=("outcome_incidence.parquet",),
            ),
        ]
    if survival_entries(d):
        plan.append(sql("outcomes/outcome_survival_times"))
    if d.analyses.outcome_survival:

        def curves(state: RunState) -> None:
            times = state.engine.frame("outcome_survival_times")
            state.results["outcome_survival.parquet"] = survival_table(times, d)

        plan.append(
            python(
                "outcomes/outcome_survival.parquet",
                curves,
                inputs=("outcome_survival_times",),
                gives=("outcome_survival.parquet",),
            )
        )
    return plan


def describe_window(e: OutcomeIncidence | OutcomeSurvival) -> str:
    """The time at risk in words of the definition: 'index_date+0 .. index_date+365',
    'during tpo_ra', 'outside high within index_date+1 .. follow_up_end+0'."""
    tar = e.time_at_risk
    bounds = (
        f"{describe_anchor(tar.start, True)} .. {describe_anchor(tar.end, True)}"
        if tar.start is not None
        else None
    )
    if tar.exposure is None:
        return bounds
    exposure = f"{'during' if tar.during else 'outside'} {tar.exposure}"
    return f"{exposure} within {bounds}" if bounds else exposure


INCIDENCE_SCHEMA = {
    "analysis": pl.String, "outcome": pl.String, "time_at_risk": pl.String,
    "stratum": pl.String, "level": pl.String, "persons_pre_exclusion": pl.Int64,
    "person_days_pre_exclusion": pl.Int64, "persons": pl.Int64, "person_days": pl.Int64,
    "persons_with_outcome": pl.Int64, "events": pl.Int64, "rate": pl.Float64,
    "ci_lower": pl.Float64, "ci_upper": pl.Float64, "per": pl.Int64,
}  # fmt: skip
_COUNTS = ["persons_pre_exclusion", "person_days_pre_exclusion", "persons", "person_days",
           "persons_with_outcome", "events"]  # fmt: skip
RATE = ("rate", "ci_lower", "ci_upper")
_STRATUM_ORDER = {"crude": 0, "sex": 1, "age_band": 2, "calendar_year": 3, "standardised": 4}


def _rate(events: int, person_days: int, per: int) -> tuple:
    """rate, ci_lower, ci_upper per `per` person-years (None without time at risk)."""
    if person_days <= 0:
        return None, None, None
    years = person_days / DAYS_PER_YEAR
    lower, upper = poisson_ci(events, years)
    return events / years * per, lower * per, upper * per


def incidence_table(cells: pl.DataFrame, d: Definition) -> pl.DataFrame:
    """Unmasked: per analysis, the crude row, one row per level of each stratum of `by`,
    and one per standard asked for (age-standardised on 5-year bands at TAR start, the
    standard truncated to the bands from the cohort's minimum age up)."""
    rows = []
    for e in d.analyses.outcome_incidence:
        own = cells.filter(pl.col("analysis") == e.name)
        base = {"analysis": e.name, "outcome": e.outcome, "time_at_risk": describe_window(e),
                "per": e.per}  # fmt: skip
        crude = own.filter(pl.col("stratum") == "crude")
        crude_row = (
            crude.row(0, named=True)
            if crude.height
            else {"stratum": "crude", "level": "all", **dict.fromkeys(_COUNTS, 0)}
        )
        kept = [crude_row] + [r for r in own.iter_rows(named=True) if r["stratum"] in e.by]
        for r in kept:
            rate = _rate(r["events"], r["person_days"], e.per)
            labels = {k: r[k] for k in ("stratum", "level", *_COUNTS)}
            rows.append({**base, **labels, **dict(zip(RATE, rate, strict=True))})
        bands = own.filter(pl.col("stratum") == "age_band")
        youngest = d.adult.min_age // BAND_YEARS * BAND_YEARS
        for name in e.standards:
            rate = _standardised(bands, truncated(STANDARDS[name], youngest), e.per)
            counts = {k: crude_row[k] for k in _COUNTS}
            rows.append({**base, "stratum": "standardised", "level": name, **counts,
                         **dict(zip(RATE, rate, strict=True))})  # fmt: skip
    table = pl.DataFrame(rows, schema=INCIDENCE_SCHEMA, orient="row")
    order = {e.name: i for i, e in enumerate(d.analyses.outcome_incidence)}
    return table.sort(
        pl.col("analysis").replace_strict(order, return_dtype=pl.Int32),
        pl.col("stratum").replace_strict(_STRATUM_ORDER, return_dtype=pl.Int32),
        pl.col("level").str.to_integer(strict=False),
        "level",
    )


def truncated(standard: pl.DataFrame, youngest: int) -> pl.DataFrame:
    """The standard from the cohort's youngest 5-year band up (an adult cohort has no
    person-time in the children's bands): the weights of those bands, renormalised by
    direct_standardize."""
    return standard.filter(pl.col("stratum") >= youngest)


def _standardised(bands: pl.DataFrame, standard: pl.DataFrame, per: int) -> tuple:
    """rate, ci_lower, ci_upper of the age bands' rows (incidence.standardised_rate);
    unknown (None) when a band of the standard has no person-time."""
    cells = bands.select(
        pl.col("level").cast(pl.Int64).alias("age_band"),
        "events",
        (pl.col("person_days") / DAYS_PER_YEAR).alias("person_years"),
    )
    row = standardised_rate(cells, standard, per) if cells.height else None
    return (row["rate"], row["ci_lower"], row["ci_upper"]) if row else (None, None, None)


SURVIVAL_SCHEMA = {
    "analysis": pl.String, "outcome": pl.String, "origin": pl.String, "method": pl.String,
    "time_days": pl.Int32, "persons": pl.Int64, "at_risk": pl.Int64,
    "events_so_far": pl.Int64, "cumulative_incidence": pl.Float64, "ci_lower": pl.Float64,
    "ci_upper": pl.Float64, "restricted_mean_days": pl.Float64,
}  # fmt: skip


def survival_table(times: pl.DataFrame, d: Definition) -> pl.DataFrame:
    """Unmasked: per analysis and report day, as survival.parquet (persons, at_risk,
    events so far, cumulative incidence with its CI: Kaplan-Meier for death, else
    Aalen-Johansen with death competing), plus restricted_mean_days: the mean days free of
    the outcome up to that day, the area above the cumulative incidence curve on
    [0, day] (deaths count as free of the outcome after them)."""
    negative = times.filter(pl.col("time") < 0)
    if negative.height:
        names = sorted(set(negative["analysis"]))
        raise DataError(
            f"outcome_survival {', '.join(names)}: the outcome falls before the origin for "
            f"{negative.height} person(s)",
            where="analyses.outcome_survival.origin",
            hint="the origin must not be after the time at risk's start",
        )
    rows = []
    for e in d.analyses.outcome_survival:
        sub = times.filter(pl.col("analysis") == e.name)
        death = d.outcomes[e.outcome].death  # Kaplan-Meier, no competing risk
        origin = e.origin or e.time_at_risk.start
        for point in curve_points(sub, death, e.report_days):
            rows.append(
                {"analysis": e.name, "outcome": e.outcome, "origin": describe_anchor(origin),
                 **point}
            )  # fmt: skip
    return pl.DataFrame(rows, schema=SURVIVAL_SCHEMA, orient="row")


def describe_anchor(a: Anchor, offset: bool = False) -> str:
    """'index_date', 'course_start(rituximab 1)+1' (the offset when not 0, or asked for)."""
    what = a.anchor
    if a.number is not None:
        what += f"({a.class_ + ' ' if a.class_ else ''}{a.number})"
    return f"{what}{a.offset:+d}" if a.offset or offset else what
