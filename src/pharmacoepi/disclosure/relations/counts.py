"""Relations of the counted tables: the attrition chain and the incidence table (margins,
and the standardised rates as weighted sums of the age bands' events)."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from pharmacoepi.disclosure.model import Count, Model, at_most, equal
from pharmacoepi.disclosure.relations.frames import (
    ATTRITION,
    CAUSES,
    INCIDENCE,
    Facts,
    Tables,
)

RATE = ("rate", "ci_lower", "ci_upper")


def attrition(model: Model, tables: Tables, steps: Sequence[str]):
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


def secondary_causes(model: Model, tables: Tables, steps: Sequence[str]) -> None:
    """The 'primary' row is the attrition's primary adults; all rows add up to the adult
    incident cases (at most the incident cases), a total every shown share gives away."""
    if CAUSES not in tables.published:
        return
    rows = tables.rows(CAUSES)
    persons = {key: Count(CAUSES, key, "persons") for key, _, _ in rows}
    if ATTRITION in tables.published and "adult" in steps:
        attrition = tables.rows(ATTRITION)
        adults = Count(ATTRITION, attrition[steps.index("adult")][0], "persons")
        primary = persons.get((("cause", "primary"),))
        if primary is not None:
            model.relate(equal({primary: 1, adults: -1}, 0, "secondary causes: primary = "
                               "the attrition's primary adults"))  # fmt: skip
        if "incident" in steps:
            incident = Count(ATTRITION, attrition[steps.index("incident")][0], "persons")
            model.relate(at_most({**dict.fromkeys(persons.values(), 1), incident: -1}, 0,
                                 "secondary causes: adults <= incident cases"))  # fmt: skip
    shares = tuple(Count(CAUSES, key, "share") for key, _, shown in rows if shown["share"])
    if shares:
        total = sum(model.truth[c] for c in persons.values())
        model.relate(equal(dict.fromkeys(persons.values(), 1), total, "secondary causes: a "
                           "share shown gives the total", rests_on=shares))  # fmt: skip


def _age_band_by_sex(model: Model, rows: dict, events) -> None:
    """The age band x sex table adds up along each sex to the sex margin and along each
    band to the age band margin."""
    cross = [s for m, s in rows if m == "age_band_sex"]
    for margin, part in (("sex", 0), ("age_band", 1)):
        for stratum in sorted({s.split(":")[part] for s in cross}):
            if (margin, stratum) not in rows:
                continue
            terms = {events("age_band_sex", s): 1 for s in cross if s.split(":")[part] == stratum}
            why = f"incidence: age band x sex adds up to the {margin} margin"
            model.relate(equal({**terms, events(margin, stratum): -1}, 0, why))


def incidence(model: Model, tables: Tables, facts: Facts, incident: Count | None) -> None:
    if INCIDENCE not in tables.published:
        return
    rows, shown = {}, {}
    for key, _, published in tables.rows(INCIDENCE):
        k = dict(key)
        rows[(k["measure"], k["stratum"])] = key
        shown[key] = any(published[c] is not None for c in RATE)
    events = lambda m, s: Count(INCIDENCE, rows[(m, s)], "events")  # noqa: E731
    crude = events("crude", "all")
    for measure in ("sex", "age_band", "year", "month", "age_band_sex"):
        terms = {events(m, s): 1 for m, s in rows if m == measure}
        if terms:
            model.relate(equal({**terms, crude: -1}, 0, f"incidence: the {measure} events "
                               "add up to the crude count"))  # fmt: skip
    _age_band_by_sex(model, rows, events)
    derived = lambda key: tuple(Count(INCIDENCE, key, c) for c in RATE)  # noqa: E731
    for (measure, stratum), key in rows.items():
        if shown[key] and not measure.startswith("standardised_") and events(measure, stratum) \
                in model.truth:  # fmt: skip
            # rate = events / person-years x per with the person-years shown: a rate (or its
            # exact interval) shown beside masked events gives them away (the masks hide
            # them together; this keeps the audit right if a mask ever does not)
            count = events(measure, stratum)
            model.relate(equal({count: 1}, model.truth[count], "incidence: a rate shown "
                               "gives its events", rests_on=derived(key)))  # fmt: skip
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
        for band in sorted({min(b, top) for b in bands} & weighted):
            members = [b for b in bands if min(b, top) == band]
            terms = {events("age_band", str(b)): 1 for b in members}
            truth = sum(model.truth[c] for c in terms)
            model.relate(
                equal(terms, truth, f"incidence: the {measure} rate (or its interval) "
                      "reveals the events of each of its bands", rests_on=derived(key))
            )  # fmt: skip
