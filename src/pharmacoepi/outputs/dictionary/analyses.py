"""The analyses' files: incidence, time-to-event curves, Cox models and the safety outcomes
(analyses/, sql/analyses/, sql/outcomes/; docs/methods.md)."""

from __future__ import annotations

from pharmacoepi.outputs.dictionary.model import (
    BOOLEAN,
    FLOAT64,
    INT32,
    INT64,
    MIN_CELL_COUNT,
    PROPORTION,
    STRING,
    Column,
    Table,
)

# incidence.parquet carries no `per`: a reader finds it in the definition (the manifest's
# definition.resolved holds the value the run used).
_PER_INCIDENCE = "per `analyses.incidence.per` person-years (default 100,000)"
_PER_OUTCOME = "per `per` person-years (the row's per column)"
_SURVIVAL_ANALYSES = ("death", "bleeding", "chronic_phase", "line_2", "next_after_course_1",
                      "next_after_course_2")  # fmt: skip
_METHODS = ("kaplan_meier", "aalen_johansen")


def _curve(of: str) -> tuple[Column, ...]:
    """The columns survival.parquet and outcome_survival.parquet share, from time_days on."""
    return (
        Column(
            "time_days",
            INT32,
            "the report day, counted from the origin (the origin day is day 0)",
            "days",
        ),  # fmt: skip
        Column("persons", INT64, f"persons in the analysis ({of})", "persons"),
        Column(
            "at_risk",
            INT64,
            "persons whose time to the event or the end of their time at risk is time_days or "
            "more: still followed and event-free that day",
            "persons",
        ),
        Column(
            "cumulative_incidence",
            FLOAT64,
            "share with the event by time_days: 1 - S(t), S the Kaplan-Meier survival, when "
            "method is kaplan_meier (death); the Aalen-Johansen cumulative incidence with "
            "death competing otherwise",
            PROPORTION,
        ),
        Column(
            "ci_lower",
            FLOAT64,
            "lower 95% limit of cumulative_incidence (Kaplan-Meier: 1 - the upper limit of S, "
            "log scale; Aalen-Johansen: log-log scale)",
            PROPORTION,
        ),
        Column("ci_upper", FLOAT64, "upper 95% limit of cumulative_incidence", PROPORTION),
    )


INCIDENCE = Table(
    "incidence.parquet",
    "one per measure and stratum: crude, each margin's strata, then the standardised rates",
    "with `analyses.incidence`",
    (
        Column(
            "measure",
            STRING,
            "what the row is: the crude rate, a margin, the age band x sex cross-table, or a "
            "rate directly standardised over age bands (sexes together)",
            values=(
                "crude",
                "sex",
                "age_band",
                "year",
                "month",
                "age_band_sex",
                "standardised_esp2013",
                "standardised_who_world",
            ),
        ),  # fmt: skip
        Column(
            "stratum",
            STRING,
            "`all` (crude, standardised); `M` or `F`; a 5-year age band's lower bound (`60`: "
            "60-64 years); a calendar year; a calendar month `1`-`12` over the study years; "
            "sex:band (`F:60`)",
            values="as the measure says",
        ),
        Column(
            "events",
            INT64,
            "incident cases (every incident case, children and secondary included) counted in "
            "the stratum, each on its index_date (or code_date: analyses.incidence.dated_at); "
            "standardised rows: all of them",
            "persons",
        ),
        Column(
            "person_years",
            FLOAT64,
            "time at risk of becoming an incident case in the stratum, days / 365.25 (external "
            "denominator: population x the year's fraction in the study period)",
            "person-years",
        ),
        Column(
            "rate",
            FLOAT64,
            "events / person_years x per, the per the run used being in manifest.json "
            "(definition.resolved.analyses.incidence.per); standardised: the directly "
            "standardised rate",
            _PER_INCIDENCE,
        ),
        Column(
            "ci_lower",
            FLOAT64,
            "lower 95% limit of rate: exact Poisson (Garwood); standardised: Fay-Feuer gamma",
            _PER_INCIDENCE,
        ),
        Column("ci_upper", FLOAT64, "upper 95% limit of rate, as ci_lower", _PER_INCIDENCE),
        MIN_CELL_COUNT,
        Column(
            "denominator",
            STRING,
            "the person-time used: internal (the extract's persons at risk) or external "
            "(analyses.incidence.population_file)",
            values=("internal", "external"),
        ),
    ),
)

SURVIVAL = Table(
    "survival.parquet",
    "one per analysis and report day (`analyses.survival.report_days`)",
    "with `analyses.survival`",
    (
        Column(
            "analysis",
            STRING,
            "death; bleeding (a stay with a bleeding_codelist primary diagnosis from "
            "index_date + 1); chronic_phase; line_2 (start of line 2); the next course or "
            "line after course 1 or 2 of course_class",
            values=_SURVIVAL_ANALYSES,
        ),
        Column(
            "origin",
            STRING,
            "the day time is counted from: index_date, or the course's first administration",
            values=("index_date", "course_start"),
        ),
        Column(
            "method",
            STRING,
            "the estimator: Kaplan-Meier for death, Aalen-Johansen with death competing for "
            "the others",
            values=_METHODS,
        ),
        *_curve("cohort members with a day at risk; next_after_course_n: members with course n"),
        MIN_CELL_COUNT,
    ),
)

COX = Table(
    "cox.parquet",
    "one per analysis and model term; one row with a null term when the model was not fitted",
    "with `analyses.survival.cox_covariates`, unless the attrition masks the cohort size",
    (
        Column("analysis", STRING, "the analysis, as survival.parquet", values=_SURVIVAL_ANALYSES),
        Column(
            "term",
            STRING,
            "the covariate: age_at_index (per year), secondary, or a text covariate's level "
            "against the first in sorted order (`sexM`: M against F)",
            values="from `cox_covariates`",
        ),
        Column(
            "coef",
            FLOAT64,
            "the log hazard ratio of the cause-specific Cox model (competing deaths censored; "
            "Efron ties)",
        ),
        Column("std_error", FLOAT64, "the standard error of coef"),
        Column("hazard_ratio", FLOAT64, "exp(coef)", "ratio"),
        Column("ci_lower", FLOAT64, "lower 95% Wald limit of hazard_ratio", "ratio"),
        Column("ci_upper", FLOAT64, "upper 95% Wald limit of hazard_ratio", "ratio"),
        Column("p_value", FLOAT64, "the Wald test's two-sided p-value of coef", "probability 0-1"),
        Column(
            "fitted",
            BOOLEAN,
            "false when the model was not fitted: fewer than min_cell_count events, a text "
            "covariate level with fewer than min_cell_count persons, or no clean convergence",
        ),
        MIN_CELL_COUNT,
    ),
)

OUTCOME_INCIDENCE = Table(
    "outcome_incidence.parquet",
    "one per outcome analysis and stratum level: crude, by stratum, standardised",
    "with `analyses.outcome_incidence`",
    (
        Column("analysis", STRING, "the analysis' name", values="the `name` of each entry"),
        Column("outcome", STRING, "the outcome counted", values="a key of `outcomes`"),
        Column(
            "time_at_risk",
            STRING,
            "the time at risk in the definition's words, both ends inclusive (`index_date+1 .. "
            "index_date+365`, `during tpo_ra`, `outside high within index_date+1 .. "
            "follow_up_end+0`)",
            values="from the entry's `time_at_risk`",
        ),
        Column(
            "stratum",
            STRING,
            "what the row is by: sex, 5-year age band at TAR start, calendar year (time split "
            "at each 1 January), or a standard population",
            values=("crude", "sex", "age_band", "calendar_year", "standardised"),
        ),
        Column(
            "level",
            STRING,
            "`all` (crude); `M` or `F`; a band's lower bound; a year; the standard "
            "(`esp2013`, `who_world`)",
            values="as the stratum says",
        ),
        Column(
            "persons_pre_exclusion",
            INT64,
            "members with a day at risk before the exclusions (a member counts in every "
            "calendar year they have a day in)",
            "persons",
        ),
        Column(
            "person_days_pre_exclusion",
            INT64,
            "days of time at risk before the exclusions",
            "person-days",
        ),
        Column(
            "persons",
            INT64,
            "members with a day at risk left after the exclusions (exclude_prior_days, "
            "clean windows, first_only)",
            "persons",
        ),
        Column(
            "person_days",
            INT64,
            "days at risk after the exclusions (both ends of each window counted)",
            "person-days",
        ),
        Column(
            "persons_with_outcome",
            INT64,
            "persons with at least one counted outcome day",
            "persons",
        ),
        Column(
            "events",
            INT64,
            "counted outcome days (all rows of one outcome on one person-day are one event)",
            "events",
        ),
        Column(
            "rate",
            FLOAT64,
            "events / (person_days / 365.25) x per (standardised rows: the directly "
            "standardised rate)",
            _PER_OUTCOME,
        ),
        Column(
            "ci_lower",
            FLOAT64,
            "lower 95% limit of rate: exact Poisson (Garwood); standardised: Fay-Feuer gamma",
            _PER_OUTCOME,
        ),
        Column("ci_upper", FLOAT64, "upper 95% limit of rate, as ci_lower", _PER_OUTCOME),
        Column(
            "per",
            INT64,
            "the N of the rate's unit, per N person-years (the entry's `per`)",
            "person-years",
        ),
        MIN_CELL_COUNT,
    ),
)

OUTCOME_SURVIVAL = Table(
    "outcome_survival.parquet",
    "one per outcome_survival analysis and report day",
    "with `analyses.outcome_survival`",
    (
        Column("analysis", STRING, "the analysis' name", values="the `name` of each entry"),
        Column("outcome", STRING, "the outcome", values="a key of `outcomes`"),
        Column(
            "origin",
            STRING,
            "the day time is counted from, in the definition's words (`index_date`, "
            "`course_start(rituximab 1)`, an offset when not 0): the TAR's first day unless "
            "`origin` is given",
            values="from the entry's `origin` or `time_at_risk.start`",
        ),
        Column(
            "method",
            STRING,
            "Kaplan-Meier for a death outcome, Aalen-Johansen with death competing otherwise",
            values=_METHODS,
        ),
        *_curve("members with time at risk, after exclude_prior_days"),
        Column(
            "restricted_mean_days",
            FLOAT64,
            "time_days minus the area under cumulative_incidence on [0, time_days]: the mean "
            "days free of the outcome up to that day",
            "days",
        ),
        MIN_CELL_COUNT,
    ),
)

TABLES = (INCIDENCE, SURVIVAL, COX, OUTCOME_INCIDENCE, OUTCOME_SURVIVAL)
