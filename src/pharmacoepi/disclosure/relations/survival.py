"""Relations of the survival curves: exits and events so far (latent counts) per point,
their order over the days, and what ties them to the cohort, to exposed_at, to
retreatment, to the pathways and to the phases."""

from __future__ import annotations

from functools import partial

from pharmacoepi.disclosure.model import Count, Model, at_most, equal
from pharmacoepi.disclosure.relations.frames import (
    CURVE,
    EXPOSED,
    PATHWAYS,
    RETREATMENT,
    SURVIVAL,
    Facts,
    Tables,
    lost_on,
    phase_count,
)  # fmt: skip

# analyses whose time at risk starts on the index day: every cohort member is in them
FROM_INDEX = ("death", "line_2", "chronic_phase")


def analyses(model: Model, tables: Tables, cohort: Count | None, facts: Facts) -> None:
    """Per analysis: exits (latent) = persons - at risk (time >= day), growing with the
    day; events so far (latent, shown when the curve point is) grow too and have all left
    the risk set by the next report day. Cross-table: persons of death, line 2 and the
    chronic phase = cohort size (bleeding is at risk from index + 1: at most); death's
    time is the follow-up, so its at-risk = exposed_at's followed on the same day;
    bleeding and line 2 end no later than follow-up."""
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
        if k["analysis"] in FROM_INDEX and cohort is not None:
            model.relate(
                equal(
                    {cell("persons"): 1, cohort: -1},
                    0,
                    "survival: persons followed from the index = cohort size",
                )
            )
        elif cohort is not None:  # at risk from index + 1: those followed one day are not
            model.relate(at_most({cell("persons"): 1, cohort: -1}, 0,
                                 "survival: persons at risk <= cohort size"))  # fmt: skip
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
    exposed = tables.rows(EXPOSED) if EXPOSED in tables.published else []
    exposed_days = {dict(k)["days_after_index"] for k, _, _ in exposed}
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
                        {Count(SURVIVAL, key, "at_risk"): 1,
                         Count(SURVIVAL, death[day], "at_risk"): -1},
                        0,
                        f"survival: {analysis} ends no later than follow-up",
                    )
                )  # fmt: skip
            if analysis != "death" and day in death and dict(key)["origin"] == "index_date":
                model.relate(
                    equal({exits: 1, Count(SURVIVAL, death[day], "exits"): -1}, 0,
                          f"inferred: no {analysis} event before the day"), inference=True,
                )  # fmt: skip
            model.relate(equal({events: 1, exits: -1}, 0, f"inferred: every {analysis} "
                               "exit by the day is an event"), inference=True)  # fmt: skip
        _course_analysis(model, analysis, points, facts)
    _last_events(model, curves, tables)


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


def _last_events(model: Model, curves, tables: Tables) -> None:
    """The events of chronic_phase and line_2 are counted elsewhere: the chronic phase,
    the transitions from line 1 (each person with a line 2 made one)."""
    elsewhere = {"chronic_phase": {phase_count("chronic"): -1}}
    if PATHWAYS in tables.published:  # none at all then means no line 2
        elsewhere["line_2"] = {
            c: -1 for c in model.truth
            if c.file == PATHWAYS and c.row[0] == ("from_line", 1) and c.column == "persons"
        }  # fmt: skip
    for analysis, points in curves.items():
        terms = elsewhere.get(analysis)
        if terms is None or not points:
            continue
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
