"""The analyses of `analyses.survival` (survival.parquet) as outcome_survival entries: the
outcomes and windows of death, bleeding, line 2 and the next treatment after a course,
run by the same stages as the entries a definition writes (sql/outcomes/)."""

from __future__ import annotations

from pharmacoepi.definition import Definition
from pharmacoepi.definition.outcomes import Anchor, Outcome, OutcomeSurvival

# The analyses of `analyses.survival` (survival.parquet) are outcome_survival entries the
# definition does not write out: their outcomes and analyses are named with this prefix,
# kept apart from the definition's own by the survival step.
SURVIVAL_BLOCK = "survival."


def _start(anchor: str, offset: int = 0, **more) -> Anchor:
    return Anchor(anchor=anchor, offset=offset, **more)


def survival_block(d: Definition) -> tuple[dict[str, Outcome], list[OutcomeSurvival]]:
    """The time-to-event analyses of `analyses.survival` as outcome_survival entries:
    death (index_date to follow_up_end), bleeding (a stay with a bleeding code as primary
    diagnosis from index_date + 1, timed from index_date), line_2 (a new line), and
    next_after_course_<n> for courses 1 and 2 of the course class (the next course of the
    class or a new line, from the course's start + 1, timed from its start)."""
    s = d.analyses.survival
    if s is None:
        return {}, []
    p = SURVIVAL_BLOCK
    outcomes = {f"{p}death": Outcome(death=True), f"{p}new_line": Outcome(new_line=True)}
    whole = {"start": _start("index_date"), "end": _start("follow_up_end")}
    entries = [
        OutcomeSurvival(name=f"{p}death", outcome=f"{p}death", time_at_risk=whole),
        OutcomeSurvival(name=f"{p}line_2", outcome=f"{p}new_line", time_at_risk=whole),
    ]
    if s.bleeding_codelist is not None:
        outcomes[f"{p}bleeding"] = Outcome(
            codelist=s.bleeding_codelist, settings=("hospital_primary",)
        )
        entries.append(
            OutcomeSurvival(
                name=f"{p}bleeding", outcome=f"{p}bleeding", origin=_start("index_date"),
                time_at_risk={"start": _start("index_date", 1), "end": _start("follow_up_end")},
            )
        )  # fmt: skip
    if s.course_class is not None:
        outcomes[f"{p}next_treatment"] = Outcome(new_line=True, new_course=(s.course_class,))
        for n in (1, 2):
            course = {"anchor": "course_start", "class": s.course_class, "number": n}
            entries.append(
                OutcomeSurvival(
                    name=f"{p}next_after_course_{n}", outcome=f"{p}next_treatment",
                    origin=Anchor(**course),
                    time_at_risk={"start": Anchor(**course, offset=1),
                                  "end": _start("follow_up_end")},
                )
            )  # fmt: skip
    return outcomes, entries


def all_outcomes(d: Definition) -> dict[str, Outcome]:
    return {**d.outcomes, **survival_block(d)[0]}


def survival_entries(d: Definition) -> list[OutcomeSurvival]:
    return [*d.analyses.outcome_survival, *survival_block(d)[1]]
