"""The attrition: persons remaining after each rule, its steps named (extract,
case_found, incident, primary, adult, sex) so that every reader addresses a step by name.
The counts come from sql/cohort/attrition_counts.sql, which numbers the steps as
ATTRITION_STEPS does; masking is the disclosure package's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from pharmacoepi.definition import Definition
from pharmacoepi.plan import RunState, Step, python

SCHEMA = {"step": pl.Int32, "description": pl.String, "persons": pl.Int64, "excluded": pl.Int64}


def _found(d: Definition) -> str:
    finding, finders = d.case_finding, []
    if finding.codelist is not None and finding.settings:
        settings = ", ".join(finding.settings)
        finders.append(f"qualifying {finding.codelist} code ({settings})")
    if (by := finding.dispensings) is not None:
        drugs = ", ".join(by.codelists)
        finders.append(
            f"a dispensing of {drugs}"
            if by.min_count == 1
            else f"{by.min_count} dispensing days of {drugs} within {by.within_days} days"
        )
    if (rep := finding.repeated) is not None and rep.finds:
        kinds = [f"{finding.codelist} codes ({', '.join(rep.settings)})"] if rep.settings else []
        kinds += [f"dispensings of {', '.join(rep.dispensing_codelists)}"] * bool(
            rep.dispensing_codelists
        )
        within = "" if rep.within_days is None else f" within {rep.within_days} days"
        finders.append(f"{rep.min_count} distinct days of {' or '.join(kinds)}{within}")
    found = f"{' or '.join(finders)} in {d.study_period.start}..{d.study_period.end}"
    if finding.dated_at == "first_evidence":
        found += " (dated at the earliest evidence)"
    if (x := finding.exclude_persons) is not None:
        found += f"; persons with a {x.codelist} code at any date left out"
    return found


def _incident(d: Definition) -> str:
    prior = d.incident.prior_observation_days
    observed = (
        "no observation requirement" if prior is None else f"{prior} days of prior observation"
    )
    window = d.incident.washout_window
    if window == 0:
        return f"incident: the first qualifying date (no washout), {observed}"
    looked = "at any earlier date" if window is None else f"in the {window} days before code_date"
    return f"incident: no qualifying evidence {looked}, {observed}"


def _primary(d: Definition) -> str:
    assert d.primary is not None  # the step applies only then
    return (
        f"primary: no {d.primary.codelist} code in [index_date - {d.primary.days_before}, "
        f"index_date + {d.primary.days_after}]"
    )


def _persistent(d: Definition) -> str:
    p = d.persistent_treatment
    return (
        f"persistent treatment: a record of {', '.join(p.classes)} from index_date + "
        f"{p.after_days + 1} (the new index_date), {p.min_follow_up_days} days of "
        "follow-up from it"
    )


@dataclass(frozen=True)
class AttritionStep:
    name: str
    number: int  # as attrition_counts numbers it
    describe: Callable[[Definition], str]
    applies: Callable[[Definition], bool] = lambda d: True


ATTRITION_STEPS: tuple[AttritionStep, ...] = (
    AttritionStep("extract", 0, lambda d: "persons in the extract (valid rows)"),
    AttritionStep("case_found", 1, _found),
    AttritionStep("incident", 2, _incident),
    # a rule the definition does not have excludes nobody: its step is left out of the
    # table (the counts number every step; the table names the ones it shows)
    AttritionStep("primary", 3, _primary, lambda d: d.primary is not None),
    AttritionStep(
        "adult",
        4,
        lambda d: f"age: {d.adult.min_age} or older at index_date",
        lambda d: d.adult.min_age > 0,
    ),
    # step 5 equals step 4 when both sexes are kept: the table then leaves it out
    AttritionStep(
        "sex", 5, lambda d: f"sex: {', '.join(d.sex.include)}", lambda d: d.sex is not None
    ),
    # step 6 equals the one before without a persistent_treatment rule: left out then
    AttritionStep(
        "persistent_treatment", 6, _persistent, lambda d: d.persistent_treatment is not None
    ),
)


def step_names(d: Definition) -> tuple[str, ...]:
    return tuple(s.name for s in ATTRITION_STEPS if s.applies(d))


def attrition_table(counts: dict[int, int], d: Definition) -> pl.DataFrame:
    """The raw table: persons after each step of this definition, and those excluded."""
    steps = [s for s in ATTRITION_STEPS if s.applies(d)]
    persons = [counts[s.number] for s in steps]
    excluded = [None] + [persons[i - 1] - persons[i] for i in range(1, len(persons))]
    return pl.DataFrame(
        {
            "step": range(len(persons)),
            "description": [s.describe(d) for s in steps],
            "persons": persons,
            "excluded": excluded,
        },
        schema=SCHEMA,
    )


def steps(d: Definition) -> list[Step]:
    def build(state: RunState) -> None:
        counts = dict(state.engine.rows("attrition_counts"))
        state.results["attrition.parquet"] = attrition_table(counts, d)
        state.results["attrition_steps"] = step_names(d)

    return [
        python(
            "cohort/attrition",
            build,
            inputs=("attrition_counts",),
            gives=("attrition.parquet", "attrition_steps"),
        )
    ]
