"""The catalogue of outputs: every file a run can write, in one place (docs/outputs.md).

Each entry says the file's level (individual: one row per person or event, never to leave
the secure environment; aggregate: counts masked for small cells, fit to export;
restricted: run records with unmasked counts; report: the study page, made from the
aggregates and the manifest's run facts only), where it comes from, when a definition
writes it, and, for an aggregate, each column's role:

- label: what a row is about (a class, a day, an age band); never masked;
- count: persons or events: a count from 1 to min_cell_count - 1 is masked, and so is
  what would let a reader recompute one;
- derived: computed from the counts (shares, rates, CIs, cumulative incidences): hidden
  whenever a count it derives from is;
- value: a measure that is not a count of persons (person-years);
- threshold: the min_cell_count used.

An aggregate whose counts add up to (or are bounded by) a count of the attrition names
that step in `total`: when the masked attrition hides it, every count and derived value
of the file is hidden too (`on_hidden_total="hide"`), or the file is not written
("omit"). The disclosure package masks every aggregate from these entries
(pharmacoepi.disclosure); the manifest, the tests and the docs read them too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Level = Literal["individual", "aggregate", "restricted", "report"]
Role = Literal["label", "count", "derived", "value", "threshold"]


def _always(d: Any) -> bool:
    return True


@dataclass(frozen=True)
class OutputSpec:
    file: str
    level: Level
    description: str
    when: Callable[[Any], bool] = _always  # written for this Definition
    table: Callable[[Any], str] | None = None  # individual: the engine table written
    order: str | None = None  # individual: the rows' order
    columns: tuple[tuple[str, Role], ...] = ()  # aggregate: every column, in file order
    total: str | None = None  # attrition step whose count bounds this file's counts
    on_hidden_total: Literal["hide", "omit"] = "hide"
    # derived values come from the counts of their row, or of the whole table (a share of
    # the decided phases): hiding a count hides the row's, or every row's, derived values
    derived_scope: Literal["row", "table"] = "row"

    def role(self, role: Role) -> tuple[str, ...]:
        return tuple(c for c, r in self.columns if r == role)

    @property
    def counts(self) -> tuple[str, ...]:
        return self.role("count")

    @property
    def derived(self) -> tuple[str, ...]:
        return self.role("derived")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns)


# Roles, short: the column lists below read as a table.
L, C, D, V, T = "label", "count", "derived", "value", "threshold"


def _treatments(d: Any) -> bool:
    return d.treatments is not None


CATALOGUE: tuple[OutputSpec, ...] = (
    OutputSpec(
        "cohort.parquet", "individual",
        "the cohort: one row per person, index date, follow-up (and disease phase)",
        table=lambda d: "cohort_phased" if d.phase is not None else "cohort",
        order="person_id",
    ),
    OutputSpec(
        "incident_cases.parquet", "individual",
        "every incident case before the population rules (adult, sex), primary or not",
        table=lambda d: "classified_cases", order="person_id",
    ),
    OutputSpec(
        "exposures.parquet", "individual", "exposure eras per person and class",
        when=_treatments, table=lambda d: "exposures", order="person_id, class, era_number",
    ),
    OutputSpec(
        "courses.parquet", "individual", "courses per person and course class, what followed",
        when=_treatments, table=lambda d: "course_outcomes",
        order="person_id, class, course_number",
    ),
    OutputSpec(
        "lines.parquet", "individual", "treatment lines per person",
        when=_treatments, table=lambda d: "lines", order="person_id, line_number",
    ),
    OutputSpec(
        "switches.parquet", "individual", "switches between line classes per person",
        when=lambda d: d.switches is not None, table=lambda d: "switches",
        order="person_id, from_start_date, from_class",
    ),
    OutputSpec(
        "covariates.parquet", "individual",
        "Table 1's features per person (person x feature x window), for propensity models",
        when=lambda d: d.characteristics is not None and d.characteristics.covariates_file,
        table=lambda d: "covariates", order="person_id, feature, window, category",
    ),
    OutputSpec(
        "rejected_rows.parquet", "individual",
        "input rows set aside, with why and the raw record (written when there are any)",
        table=lambda d: "rejected_rows",
    ),
    OutputSpec(
        "attrition.parquet", "aggregate", "persons remaining after each rule",
        columns=(("step", L), ("description", L), ("persons", C), ("excluded", C),
                 ("min_cell_count", T)),
    ),
    OutputSpec(
        "secondary_causes.parquet", "aggregate",
        "incident cases of min_age or more by secondary cause ('primary': none)",
        when=lambda d: d.primary is not None, total="incident",
        columns=(("cause", L), ("persons", C), ("share", D), ("min_cell_count", T)),
    ),
    OutputSpec(
        "exposed_at.parquet", "aggregate",
        "persons followed and exposed per class on given days after index",
        when=_treatments, total="cohort",
        columns=(("class", L), ("days_after_index", L), ("persons_in_follow_up", C),
                 ("persons_exposed", C), ("persons_not_exposed", C), ("share_exposed", D),
                 ("min_cell_count", T)),
    ),
    OutputSpec(
        "pathways.parquet", "aggregate", "persons per transition from one line to the next",
        when=_treatments, total="cohort",
        columns=(("from_line", L), ("from_regimen", L), ("to_regimen", L), ("persons", C),
                 ("min_cell_count", T)),
    ),
    OutputSpec(
        "retreatment.parquet", "aggregate",
        "per course class and course number, what treatment came next",
        when=_treatments, total="cohort",
        columns=(("class", L), ("course_number", L), ("persons", C), ("next_course", C),
                 ("next_line", C), ("no_next_treatment", C), ("share_retreated", D),
                 ("min_cell_count", T)),
    ),
    OutputSpec(
        "phases.parquet", "aggregate", "persons per disease phase",
        when=lambda d: d.phase is not None, total="cohort", derived_scope="table",
        columns=(("phase", L), ("persons", C), ("share_of_decided", D), ("min_cell_count", T)),
    ),
    OutputSpec(
        "switch_types_by_year.parquet", "aggregate", "switch episodes per year and type",
        when=lambda d: d.switches is not None, total="cohort",
        columns=(("year", L), ("transition", L), ("episodes", C), ("persons", C),
                 ("min_cell_count", T)),
    ),
    OutputSpec(
        "incidence.parquet", "aggregate",
        "incidence rates: crude, by sex, age band, year, month, age band x sex, standardised",
        when=lambda d: d.analyses.incidence is not None, total="incident",
        columns=(("measure", L), ("stratum", L), ("events", C), ("person_years", V),
                 ("rate", D), ("ci_lower", D), ("ci_upper", D), ("min_cell_count", T),
                 ("denominator", L)),
    ),
    OutputSpec(
        "survival.parquet", "aggregate",
        "cumulative incidence of each time-to-event analysis on report days",
        when=lambda d: d.analyses.survival is not None, total="cohort",
        columns=(("analysis", L), ("origin", L), ("method", L), ("time_days", L),
                 ("persons", C), ("at_risk", C), ("cumulative_incidence", D),
                 ("ci_lower", D), ("ci_upper", D), ("min_cell_count", T)),
    ),
    OutputSpec(
        "cox.parquet", "aggregate",
        "cause-specific Cox models of each analysis (fitted only on enough events)",
        when=lambda d: d.analyses.survival is not None and bool(d.analyses.survival.cox_covariates),
        total="cohort", on_hidden_total="omit",
        columns=(("analysis", L), ("term", L), ("coef", D), ("std_error", D),
                 ("hazard_ratio", D), ("ci_lower", D), ("ci_upper", D), ("p_value", D),
                 ("fitted", L), ("min_cell_count", T)),
    ),
    OutputSpec(
        "outcome_incidence.parquet", "aggregate",
        "rates of named outcomes over time-at-risk windows: crude, by stratum, standardised",
        when=lambda d: bool(d.analyses.outcome_incidence), total="cohort",
        columns=(("analysis", L), ("outcome", L), ("time_at_risk", L), ("stratum", L),
                 ("level", L), ("persons_pre_exclusion", C), ("person_days_pre_exclusion", V),
                 ("persons", C), ("person_days", V), ("persons_with_outcome", C),
                 ("events", C), ("rate", D), ("ci_lower", D), ("ci_upper", D), ("per", L),
                 ("min_cell_count", T)),
    ),
    OutputSpec(
        "outcome_survival.parquet", "aggregate",
        "cumulative incidence of named outcomes from a time-at-risk start, death competing",
        when=lambda d: bool(d.analyses.outcome_survival), total="cohort",
        columns=(("analysis", L), ("outcome", L), ("origin", L), ("method", L),
                 ("time_days", L), ("persons", C), ("at_risk", C),
                 ("cumulative_incidence", D), ("ci_lower", D), ("ci_upper", D),
                 ("restricted_mean_days", D), ("min_cell_count", T)),
    ),
    OutputSpec(
        "characteristics.parquet", "aggregate",
        "Table 1: the cohort at index by stratum level, with standardized mean differences",
        when=lambda d: d.characteristics is not None, total="cohort",
        columns=(("stratum", L), ("level", L), ("persons", C), ("feature", L), ("window", L),
                 ("kind", L), ("category", L), ("n", C), ("percent", D), ("mean", V),
                 ("sd", V), ("median", V), ("q1", V), ("q3", V), ("smd", D),
                 ("smd_reference", L), ("min_cell_count", T)),
    ),
    OutputSpec(
        "report.html", "report",
        "the study report: one self-contained HTML page of the masked aggregates and the "
        "run's facts, as safe to release as they are (docs/report.md; --no-report skips it)",
    ),
    OutputSpec(
        "manifest.json", "restricted",
        "what the run read, with which rules and versions, what it wrote, what the "
        "disclosure audit checked and hid further (disclosure_audit); stage row counts are "
        "not masked",
    ),
)  # fmt: skip

BY_FILE = {spec.file: spec for spec in CATALOGUE}


def aggregates() -> tuple[OutputSpec, ...]:
    return tuple(s for s in CATALOGUE if s.level == "aggregate")


def individuals() -> tuple[OutputSpec, ...]:
    return tuple(s for s in CATALOGUE if s.level == "individual")
