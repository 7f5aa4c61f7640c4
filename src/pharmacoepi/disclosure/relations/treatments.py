"""Relations of the treatment summaries: retreatment's outcomes and courses, the flow of
the pathways from line to line, switches."""

from __future__ import annotations

from functools import partial

from pharmacoepi.disclosure.model import Count, Model, at_most, equal
from pharmacoepi.disclosure.relations.frames import (
    PATHWAYS,
    RETREATMENT,
    SWITCHES,
    Tables,
)  # fmt: skip


def summaries(model: Model, tables: Tables, cohort: Count | None) -> None:
    if RETREATMENT in tables.published:
        rows = {(dict(k)["class"], dict(k)["course_number"]): k
                for k, _, _ in tables.rows(RETREATMENT)}  # fmt: skip
        for (klass, n), key in rows.items():
            cell = partial(Count, RETREATMENT, key)
            model.relate(
                equal(
                    {
                        cell("persons"): 1,
                        cell("next_course"): -1,
                        cell("next_line"): -1,
                        cell("no_next_treatment"): -1,
                    },
                    0,
                    "retreatment: persons = next course + next line + nothing",
                )
            )
            # a course n + 1 that came after a new line counts as next_line after course n
            following = rows.get((klass, n + 1))
            terms = {Count(RETREATMENT, following, "persons"): -1} if following else {}
            model.relate(
                at_most(
                    {cell("next_course"): 1, **terms},
                    0,
                    "retreatment: next course after course n <= persons with course n + 1",
                )
            )
            model.relate(equal({cell("next_course"): 1, **terms}, 0, "inferred: persons "
                               "with course n + 1 = next course after course n"),
                         inference=True)  # fmt: skip
        _retreated_lines(model, tables, rows)
    if PATHWAYS in tables.published:
        _pathway_flow(model, tables, cohort)
    if SWITCHES in tables.published:
        for key, _, _ in tables.rows(SWITCHES):
            model.relate(at_most({Count(SWITCHES, key, "persons"): 1,
                                  Count(SWITCHES, key, "episodes"): -1}, 0,
                                 "switches: persons <= episodes"))  # fmt: skip


def _retreated_lines(model: Model, tables: Tables, rows) -> None:
    """A reader may assume each person with a course of X entered one line with X."""
    if PATHWAYS not in tables.published:
        return
    into: dict[str, list[Count]] = {}
    for key, _, _ in tables.rows(PATHWAYS):
        for klass in str(dict(key)["to_regimen"]).split("+"):
            into.setdefault(klass, []).append(Count(PATHWAYS, key, "persons"))
    for (klass, n), key in rows.items():
        if n == 1 and klass in into:
            terms = {c: -1 for c in into[klass]}
            model.relate(equal({Count(RETREATMENT, key, "persons"): 1, **terms}, 0,
                               f"inferred: persons with a {klass} course = transitions into "
                               f"a line with {klass}"), inference=True)  # fmt: skip


def _pathway_flow(model: Model, tables: Tables, cohort: Count | None) -> None:
    """A transition from line n + 1 with regimen R follows one into line n + 1 with R."""
    into: dict[tuple[int, str], list[Count]] = {}
    out: dict[tuple[int, str], list[Count]] = {}
    first: list[Count] = []
    for key, _, _ in tables.rows(PATHWAYS):
        k = dict(key)
        count = Count(PATHWAYS, key, "persons")
        into.setdefault((k["from_line"] + 1, k["to_regimen"]), []).append(count)
        out.setdefault((k["from_line"], k["from_regimen"]), []).append(count)
        if k["from_line"] == 1:
            first.append(count)
    for (line, regimen), leaving in out.items():
        if line > 1:
            terms = {**{c: 1 for c in leaving}, **{c: -1 for c in into.get((line, regimen), [])}}
            model.relate(at_most(terms, 0, "pathways: leaving line n + 1 with R <= entering "
                                 "it with R"))  # fmt: skip
    if cohort is not None and first:
        model.relate(
            at_most(
                {**{c: 1 for c in first}, cohort: -1},
                0,
                "pathways: transitions from line 1 <= cohort size",
            )
        )
