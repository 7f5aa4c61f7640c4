"""Time-to-event analyses of the cohort (`analyses.survival`, survival.parquet): death by
Kaplan-Meier; bleeding hospitalisation, line 2 and the next treatment after courses 1 and
2 by Aalen-Johansen with death as the competing risk. Reported at fixed days as cumulative
incidence with its CI and the number still at risk (raw: the disclosure package masks
small numbers)."""

from __future__ import annotations

import math

import polars as pl

from pharmacoepi.analyses.survival_block import SURVIVAL_BLOCK
from pharmacoepi.definition import Definition
from pharmacoepi.disclosure.rules import may_fit_model
from pharmacoepi.estimate import AalenJohansen, CoxPH, EstimatorInputError, KaplanMeier
from pharmacoepi.plan import RunState, Step, python, sql


def steps(d: Definition) -> list[Step]:
    """The curves (survival.parquet) and, with covariates, the Cox models (cox.parquet)
    from the times of the block's analyses: death, bleeding, line 2 and the next treatment
    after a course are outcome_survival entries (analyses/outcomes.py: survival_block,
    whose steps come first), the chronic phase its own stage; gives "survival_times"."""
    s, phase = d.analyses.survival, d.phase
    if s is None:
        return []

    # reading the engine's tables and estimating are separate steps: the estimates read
    # results alone, so in a scan they run beside the next definition's engine work
    def times(state: RunState) -> None:
        times = block_times(state.engine.frame("outcome_survival_times"))
        if phase is not None:
            times = pl.concat([times, state.engine.frame("chronic_phase_times")])
        state.results["survival_times"] = times

    def curves(state: RunState) -> None:
        state.results["survival.parquet"] = survival_table(state.results["survival_times"], d)

    def cox_persons(state: RunState) -> None:
        state.results["cox_persons"] = state.engine.frame("cohort").join(
            state.engine.frame("classified_cases").select("person_id", "secondary"),
            on="person_id",
        )

    def cox(state: RunState) -> None:
        state.results["cox.parquet"] = cox_table(
            state.results["survival_times"], state.results["cox_persons"], d,
            d.privacy.min_cell_count,
        )  # fmt: skip

    plan = []
    if phase is not None:
        plan.append(
            sql("analyses/chronic_phase_times", {"chronic_after_days": phase.chronic_after_days})
        )
    plan += [
        python(
            "analyses/survival_times",
            times,
            inputs=("outcome_survival_times", *(("chronic_phase_times",) if phase else ())),
            gives=("survival_times",),
        ),
        python(
            "analyses/survival.parquet",
            curves,
            uses=("survival_times",),
            gives=("survival.parquet",),
        ),  # fmt: skip
    ]
    if s.cox_covariates:
        plan += [
            python(
                "analyses/cox_persons",
                cox_persons,
                inputs=("cohort", "classified_cases"),
                gives=("cox_persons",),
            ),
            python(
                "analyses/cox.parquet",
                cox,
                uses=("survival_times", "cox_persons"),
                gives=("cox.parquet",),
            ),
        ]
    return plan


def block_times(times: pl.DataFrame) -> pl.DataFrame:
    """The rows of the survival block's analyses, under their own names ('line_2')."""
    return times.filter(pl.col("analysis").str.starts_with(SURVIVAL_BLOCK)).with_columns(
        pl.col("analysis").str.strip_prefix(SURVIVAL_BLOCK)
    )


def _curve(times: pl.DataFrame, death: bool) -> tuple[str, pl.DataFrame]:
    """(method, frame of time, cumulative_incidence, ci_lower, ci_upper)."""
    if death:
        km = KaplanMeier().fit(times, duration_col="time", event_col="event")
        return "kaplan_meier", km.summary.select(
            "time",
            (1 - pl.col("estimate")).alias("cumulative_incidence"),
            (1 - pl.col("ci_upper")).alias("ci_lower"),
            (1 - pl.col("ci_lower")).alias("ci_upper"),
        )
    if not (times["event"] == 1).any():  # no event: the curve stays at 0
        return "aalen_johansen", pl.DataFrame(
            {"time": [0.0], "cumulative_incidence": [0.0], "ci_lower": [0.0], "ci_upper": [0.0]}
        )
    aj = AalenJohansen().fit(times, duration_col="time", event_col="event", event_of_interest=1)
    return "aalen_johansen", aj.summary.select(
        "time", pl.col("estimate").alias("cumulative_incidence"), "ci_lower", "ci_upper"
    )


def curve_points(times: pl.DataFrame, death: bool, report_days) -> list[dict]:
    """One curve (times: time, event per person) read on each report day: method,
    time_days, persons, at_risk (time >= day), events_so_far (for masking only), the
    curve's value and CI on that day, and restricted_mean_days (day - the area under the
    curve on [0, day]: the mean days free of the event up to that day)."""
    if times.height == 0:
        return []
    method, curve = _curve(times, death)
    points = []
    for day in report_days:
        upto = curve.filter(pl.col("time") <= day)
        value = upto.row(-1, named=True) if upto.height else None
        points.append(
            {
                "method": method,
                "time_days": day,
                "persons": times.height,
                "at_risk": times.filter(pl.col("time") >= day).height,
                "events_so_far": times.filter(pl.col("event") == 1, pl.col("time") <= day).height,
                "cumulative_incidence": value["cumulative_incidence"] if value else 0.0,
                "ci_lower": value["ci_lower"] if value else 0.0,
                "ci_upper": value["ci_upper"] if value else 0.0,
                "restricted_mean_days": _restricted_mean(curve, day),
            }
        )
    return points


def _restricted_mean(curve: pl.DataFrame, day: int) -> float:
    """day - the area under the right-continuous step curve on [0, day] (exact sum)."""
    times = curve["time"].to_list()
    values = curve["cumulative_incidence"].to_list()
    area = math.fsum(
        v * (min(t_next, day) - t)
        for t, v, t_next in zip(times, values, [*times[1:], day], strict=True)
        if t < day
    )
    return day - area


def survival_table(times: pl.DataFrame, d: Definition) -> pl.DataFrame:
    """Unmasked: per analysis and report day, persons, at_risk (time >= day), cumulative
    events (for masking only), cumulative incidence and CI (the curve's value on that day)."""
    rows = []
    for analysis in sorted(times["analysis"].unique().to_list()):
        sub = times.filter(pl.col("analysis") == analysis)
        origin = "course_start" if analysis.startswith("next_") else "index_date"
        for point in curve_points(sub, analysis == "death", d.analyses.survival.report_days):
            point.pop("restricted_mean_days")
            rows.append({"analysis": analysis, "origin": origin, **point})
    schema = {"analysis": pl.String, "origin": pl.String, "method": pl.String,
              "time_days": pl.Int32, "persons": pl.Int64, "at_risk": pl.Int64,
              "events_so_far": pl.Int64, "cumulative_incidence": pl.Float64,
              "ci_lower": pl.Float64, "ci_upper": pl.Float64}  # fmt: skip
    return pl.DataFrame(rows, schema=schema)


def cox_table(times: pl.DataFrame, cohort: pl.DataFrame, d: Definition, min_cell: int):
    """Cause-specific Cox models per analysis (competing deaths censored), hazard ratios of
    the declared cohort covariates. A model is fitted only when disclosure allows it (enough
    events, enough persons in each level of a text covariate)."""
    covariates = list(d.analyses.survival.cox_covariates)
    rows = []
    for analysis in sorted(times["analysis"].unique().to_list()):
        sub = (
            times.filter(pl.col("analysis") == analysis)
            .join(cohort.select("person_id", *covariates), on="person_id")
            .with_columns((pl.col("event") == 1).cast(pl.Int64).alias("outcome"))
        )
        events = int(sub["outcome"].sum())
        smallest = min(
            (sub[c].value_counts()["count"].min() for c in covariates if sub[c].dtype == pl.String),
            default=sub.height,  # no text covariate: no level can be too small
        )
        fitted = None
        if may_fit_model(events, smallest, min_cell):
            try:
                model = CoxPH().fit(sub, duration_col="time", event_col="outcome",
                                    covariates=covariates)  # fmt: skip
            except EstimatorInputError:
                model = None  # reported as fitted = false, not a failed run
            # a model lifelines could not fit cleanly (convergence, separation) is not
            # published either
            fitted = model.summary if model is not None and not model.warnings_ else None
        if fitted is None:
            rows.append({"analysis": analysis, "term": None, "fitted": False})
            continue
        for term in fitted.iter_rows(named=True):
            rows.append({"analysis": analysis, **term, "fitted": True})
    schema = {"analysis": pl.String, "term": pl.String, "coef": pl.Float64,
              "std_error": pl.Float64, "hazard_ratio": pl.Float64, "ci_lower": pl.Float64,
              "ci_upper": pl.Float64, "p_value": pl.Float64, "fitted": pl.Boolean}  # fmt: skip
    return pl.DataFrame(rows, schema=schema)
