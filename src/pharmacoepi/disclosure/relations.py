"""The relations the tool knows between its published numbers (docs/privacy.md lists them).

`build_model` registers every count of every aggregate a run publishes (shown or hidden,
with its true value), the latent counts the tables imply, and the relations between them:

- identities, true of every run by construction (margins and totals, complements, the
  attrition chain, at-risk sequences, the cross-table equalities of follow-up);
- standardised rates: with exact person-years, a weighted sum of integer counts with
  generic weights pins every distinct weight's counts (a knapsack with one solution), so
  the audit takes a published standardised rate, or its interval (which gives the
  variance, another such sum), to reveal the events of each band of the standard;
- inferences: what a reader may assume (every person treated with X entered a line with X
  once; the phase of persons followed too briefly is read off the persons no longer
  followed; the last report day's events are all the events). Added only when they hold on
  the run's own numbers: then they recover true values.

Nonlinear estimates (Kaplan-Meier and Aalen-Johansen curves, Cox models) are not modelled:
a shown curve point is taken to reveal its events so far (the audit assumes the worst).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

import polars as pl

from pharmacoepi.disclosure.model import Count, Model, at_most, equal
from pharmacoepi.outputs.catalogue import BY_FILE

ATTRITION = "attrition.parquet"
EXPOSED = "exposed_at.parquet"
SURVIVAL = "survival.parquet"
PHASES = "phases.parquet"
RETREATMENT = "retreatment.parquet"
PATHWAYS = "pathways.parquet"
INCIDENCE = "incidence.parquet"
SWITCHES = "switch_types_by_year.parquet"
CURVE = ("cumulative_incidence", "ci_lower", "ci_upper")


@dataclass(frozen=True)
class Facts:
    """What the relations need to know of the definition (disclosure reads none)."""

    min_cell: int
    standards: Mapping[str, pl.DataFrame] = field(default_factory=dict)  # measure -> standard
    chronic_after_days: int | None = None  # the phase block's, when there is one
    course_class: str | None = None  # the class the next_after_course analyses follow


class Tables:
    """Raw and published frames of a run, rows matched by their labels."""

    def __init__(self, raw: Mapping[str, pl.DataFrame], published: Mapping[str, pl.DataFrame]):
        self.raw, self.published = raw, published

    def files(self) -> list[str]:
        return [f for f in self.published if f in self.raw]

    def rows(self, file: str) -> list[tuple[tuple, dict, dict]]:
        """(key, raw row, published row) per published row; a raw row absent (a phase
        nobody is in) reads as zeros."""
        labels = BY_FILE[file].role("label")
        raw = {_key(r, labels): r for r in self.raw[file].iter_rows(named=True)}
        return [
            (k, raw.get(k, {}), r)
            for r in self.published[file].iter_rows(named=True)
            for k in [_key(r, labels)]
        ]


def _key(row: Mapping, labels: Sequence[str]) -> tuple:
    return tuple((c, row[c]) for c in labels)


def build_model(tables: Tables, steps: Sequence[str], facts: Facts) -> Model:
    model = Model(facts.min_cell)
    for file in tables.files():
        spec = BY_FILE[file]
        for key, raw, shown in tables.rows(file):
            for column in spec.counts:
                value = raw.get(column, 0)
                if value is None:
                    continue
                count = model.count(Count(file, key, column), value, shown[column] is not None)
                model.hide[count] = (column, *spec.derived)
    cohort, incident = _attrition(model, tables, steps)
    _incidence(model, tables, facts, incident)
    _exposed_at(model, tables, cohort)
    _survival(model, tables, cohort, facts)
    _phases(model, tables, cohort, facts)
    _treatments(model, tables, cohort)
    return model


def _attrition(model: Model, tables: Tables, steps: Sequence[str]):
    """persons before a step = persons after it + excluded by it. Returns the counts of
    the cohort size and of the incident cases (None: not in this run)."""
    if ATTRITION not in tables.published:
        return None, None
    rows = tables.rows(ATTRITION)
    for i in range(1, len(rows)):
        before, after = (Count(ATTRITION, rows[j][0], "persons") for j in (i - 1, i))
        excluded = Count(ATTRITION, rows[i][0], "excluded")
        model.relate(equal({before: 1, after: -1, excluded: -1}, 0, "attrition: a step's "
                           "persons = the previous step's - its exclusions"))  # fmt: skip
    incident = (
        Count(ATTRITION, rows[steps.index("incident")][0], "persons")
        if "incident" in steps
        else None
    )
    return Count(ATTRITION, rows[-1][0], "persons"), incident


def _incidence(model: Model, tables: Tables, facts: Facts, incident: Count | None) -> None:
    if INCIDENCE not in tables.published:
        return
    rows, shown = {}, {}
    for key, _, published in tables.rows(INCIDENCE):
        k = dict(key)
        rows[(k["measure"], k["stratum"])] = key
        shown[key] = any(published[c] is not None for c in ("rate", "ci_lower", "ci_upper"))
    events = lambda m, s: Count(INCIDENCE, rows[(m, s)], "events")  # noqa: E731
    crude = events("crude", "all")
    for measure in ("sex", "age_band", "year"):
        terms = {events(m, s): 1 for m, s in rows if m == measure}
        model.relate(equal({**terms, crude: -1}, 0, f"incidence: the {measure} events add "
                           "up to the crude count"))  # fmt: skip
    if incident is not None:
        model.relate(
            equal({crude: 1, incident: -1}, 0, "incidence: crude events = incident "
                  "cases of the attrition"), inference=True,
        )  # fmt: skip
    bands = sorted(int(s) for m, s in rows if m == "age_band")
    for measure, standard in facts.standards.items():
        key = rows.get((measure, "all"))
        if key is None or events(measure, "all") not in model.truth or not shown[key]:
            continue  # not computed (an age band without person-time), or hidden
        model.relate(equal({events(measure, "all"): 1, crude: -1}, 0,
                           f"incidence: {measure} events = crude events"))  # fmt: skip
        top = int(standard["stratum"].max())
        weighted = set(standard.filter(pl.col("weight") > 0)["stratum"].to_list())
        derived = tuple(Count(INCIDENCE, key, c) for c in ("rate", "ci_lower", "ci_upper"))
        for band in sorted({min(b, top) for b in bands} & weighted):
            members = [b for b in bands if min(b, top) == band]
            terms = {events("age_band", str(b)): 1 for b in members}
            truth = sum(model.truth[c] for c in terms)
            model.relate(
                equal(terms, truth, f"incidence: the {measure} rate (or its interval) "
                      "reveals the events of each of its bands", rests_on=derived)
            )  # fmt: skip


def _exposed_at(model: Model, tables: Tables, cohort: Count | None) -> None:
    """On each day: followed = exposed + not exposed for every class; the persons no
    longer followed (latent `lost`) = cohort size - followed, the same for every class,
    growing with the day."""
    if EXPOSED not in tables.published or cohort is None:
        return
    days: dict[int, int] = {}
    for key, raw, _ in tables.rows(EXPOSED):
        k = dict(key)
        cell = partial(Count, EXPOSED, key)
        model.relate(
            equal({cell("persons_in_follow_up"): 1, cell("persons_exposed"): -1,
                   cell("persons_not_exposed"): -1}, 0, "exposed_at: followed = exposed + "
                  "not exposed")
        )  # fmt: skip
        day = k["days_after_index"]
        lost = Count(EXPOSED, (("days_after_index", day),), "lost")
        if day not in days:
            days[day] = model.truth[cohort] - raw["persons_in_follow_up"]
            model.count(lost, days[day], shown=False)
        model.relate(
            equal({lost: 1, cell("persons_in_follow_up"): 1, cohort: -1}, 0,
                  "exposed_at: followed on a day = cohort size - persons no longer followed")
        )  # fmt: skip
    ordered = sorted(days)
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        model.relate(
            at_most({lost_on(earlier): 1, lost_on(later): -1}, 0,
                    "exposed_at: persons no longer followed only grow with the day")
        )  # fmt: skip


def lost_on(day: int) -> Count:
    return Count(EXPOSED, (("days_after_index", day),), "lost")


def _survival(model: Model, tables: Tables, cohort: Count | None, facts: Facts) -> None:
    """Per analysis: exits (latent) = persons - at risk (time >= day), growing with the
    day; events so far (latent, shown when the curve point is) grow too and have all left
    the risk set by the next report day. Cross-table: persons of an analysis from the index
    date = cohort size; death's time is the follow-up, so its at-risk = exposed_at's
    followed on the same day; bleeding and line 2 end no later than follow-up."""
    if SURVIVAL not in tables.published:
        return
    curves: dict[str, list[tuple[int, tuple]]] = {}
    for key, raw, shown in tables.rows(SURVIVAL):
        k = dict(key)
        curves.setdefault(k["analysis"], []).append((k["time_days"], key))
        cell = partial(Count, SURVIVAL, key)
        exits = model.count(cell("exits"), raw["persons"] - raw["at_risk"], shown=False)
        model.relate(equal({exits: 1, cell("persons"): -1, cell("at_risk"): 1}, 0,
                           "survival: exits = persons - at risk"))  # fmt: skip
        events = model.count(
            cell("events_so_far"), raw["events_so_far"],
            shown=shown["cumulative_incidence"] is not None,
        )  # fmt: skip
        model.hide[events] = CURVE
        model.relate(at_most({events: 1, cell("persons"): -1}, 0,
                             "survival: events so far <= persons"))  # fmt: skip
        if k["origin"] == "index_date" and cohort is not None:
            model.relate(
                equal(
                    {cell("persons"): 1, cohort: -1},
                    0,
                    "survival: persons followed from the index = cohort size",
                )
            )
    for points in curves.values():
        points.sort()
        for (_, a), (_, b) in zip(points, points[1:], strict=False):
            for column, why in (("exits", "exits"), ("events_so_far", "events so far")):
                model.relate(at_most({Count(SURVIVAL, a, column): 1,
                                      Count(SURVIVAL, b, column): -1}, 0,
                                     f"survival: {why} grow with the day"))  # fmt: skip
            model.relate(at_most({Count(SURVIVAL, a, "events_so_far"): 1,
                                  Count(SURVIVAL, b, "exits"): -1}, 0,
                                 "survival: events by a day have left the risk set by "
                                 "the next report day"))  # fmt: skip
    _survival_across(model, curves, facts, tables)


def _survival_across(model: Model, curves, facts: Facts, tables: Tables) -> None:
    death = dict(curves.get("death", []))
    exposed_days = {dict(k)["days_after_index"]: k for k, _, _ in tables.rows(EXPOSED)} \
        if EXPOSED in tables.published else {}  # fmt: skip
    for day, key in death.items():
        if day in exposed_days:
            model.relate(
                equal({Count(SURVIVAL, key, "exits"): 1, lost_on(day): -1}, 0,
                      "survival: death's exits by a day = exposed_at's persons no longer "
                      "followed")
            )  # fmt: skip
    for analysis, points in curves.items():
        for day, key in points:
            exits = Count(SURVIVAL, key, "exits")
            events = Count(SURVIVAL, key, "events_so_far")
            if analysis in ("bleeding", "line_2") and day in death:
                model.relate(
                    at_most(
                        {Count(SURVIVAL, death[day], "exits"): 1, exits: -1},
                        0,
                        f"survival: {analysis} ends no later than follow-up",
                    )
                )
            if analysis != "death" and day in death and dict(key)["origin"] == "index_date":
                model.relate(
                    equal({exits: 1, Count(SURVIVAL, death[day], "exits"): -1}, 0,
                          f"inferred: no {analysis} event before the day"), inference=True,
                )  # fmt: skip
            model.relate(equal({events: 1, exits: -1}, 0, f"inferred: every {analysis} "
                               "exit by the day is an event"), inference=True)  # fmt: skip
        _course_analysis(model, analysis, points, facts)
    _last_events(model, curves)


def _course_analysis(model: Model, analysis: str, points, facts: Facts) -> None:
    """next_after_course_<n>: one row per course n of the course class (retreatment's
    persons); its events are the next course or line."""
    if not analysis.startswith("next_after_course_") or facts.course_class is None:
        return
    n = int(analysis.rsplit("_", 1)[1])
    row = (("class", facts.course_class), ("course_number", n))
    for _, key in points:
        model.relate(
            equal(
                {Count(SURVIVAL, key, "persons"): 1, Count(RETREATMENT, row, "persons"): -1},
                0,
                "survival: persons after course n = retreatment's persons",
            )
        )
        model.relate(
            at_most(
                {
                    Count(SURVIVAL, key, "events_so_far"): 1,
                    Count(RETREATMENT, row, "next_course"): -1,
                    Count(RETREATMENT, row, "next_line"): -1,
                },
                0,
                "survival: events after course n <= next course + next line",
            )
        )


def _last_events(model: Model, curves) -> None:
    """The events of chronic_phase and line_2 are counted elsewhere: the chronic phase,
    the transitions from line 1."""
    totals = {"chronic_phase": _phase_count("chronic"), "line_2": None}
    line_1 = [c for c in model.truth if c.file == PATHWAYS and c.row[0] == ("from_line", 1)
              and c.column == "persons"]  # fmt: skip
    for analysis, points in curves.items():
        if analysis not in totals or not points:
            continue
        terms = {totals[analysis]: -1} if analysis == "chronic_phase" else {c: -1 for c in line_1}
        for _, key in points:
            events = Count(SURVIVAL, key, "events_so_far")
            model.relate(
                at_most(
                    {events: 1, **terms}, 0, f"survival: {analysis} events <= their count elsewhere"
                )
            )
        events = Count(SURVIVAL, max(points)[1], "events_so_far")
        model.relate(equal({events: 1, **terms}, 0, f"inferred: every {analysis} event "
                           "falls by the last report day"), inference=True)  # fmt: skip


def _phase_count(phase: str) -> Count:
    return Count(PHASES, (("phase", phase),), "persons")


def _phases(model: Model, tables: Tables, cohort: Count | None, facts: Facts) -> None:
    """The phases add up to the cohort; persons followed too briefly for a phase are no
    longer followed on any day after chronic_after_days (and, a reader may assume, are
    exactly those no longer followed on that day)."""
    if PHASES not in tables.published or cohort is None:
        return
    terms = {Count(PHASES, k, "persons"): 1 for k, _, _ in tables.rows(PHASES)}
    model.relate(equal({**terms, cohort: -1}, 0, "phases add up to the cohort size"))
    brief = _phase_count("insufficient_follow_up")
    decided = facts.chronic_after_days
    if decided is None:
        return
    for day in sorted({c.row[0][1] for c in model.truth if c.column == "lost"}):
        if day > decided:
            model.relate(
                at_most(
                    {brief: 1, lost_on(day): -1},
                    0,
                    "phases: followed too briefly <= no longer followed after the phase's day",
                )
            )
        if day in (decided, decided + 1):
            model.relate(equal({brief: 1, lost_on(day): -1}, 0, "inferred: followed too "
                               "briefly = no longer followed on the phase's day"),
                         inference=True)  # fmt: skip
    for count in [c for c in model.truth if c.file == SURVIVAL and c.column == "exits"]:
        k = dict(count.row)
        if k["analysis"] == "death" and k["time_days"] in (decided, decided + 1):
            model.relate(
                equal(
                    {brief: 1, count: -1},
                    0,
                    "inferred: followed too briefly = death's exits on the phase's day",
                ),
                inference=True,
            )


def _treatments(model: Model, tables: Tables, cohort: Count | None) -> None:
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
