"""Relations of follow-up: exposed_at's persons followed on each day and the latent
persons no longer followed, and the disease phases."""

from __future__ import annotations

from functools import partial

from pharmacoepi.disclosure.model import Count, Model, at_most, equal
from pharmacoepi.disclosure.relations.frames import (
    EXPOSED,
    PHASES,
    SURVIVAL,
    Facts,
    Tables,
    lost_on,
    phase_count,
)  # fmt: skip


def exposed_at(model: Model, tables: Tables, cohort: Count | None) -> None:
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


EITHER_KEY = (("phase", "persistent_or_chronic"),)


def _persistent_or_chronic(model: Model, tables: Tables, brief: Count) -> None:
    """persistent_or_chronic = persistent + chronic + the persons followed too briefly who
    had evidence after the newly diagnosed phase (latent `lost_with_evidence`), at most
    all of those followed too briefly."""
    raw = {k: r for k, r, _ in tables.rows(PHASES)}
    if EITHER_KEY not in raw:
        return
    either = Count(PHASES, EITHER_KEY, "persons")
    latent = Count(PHASES, EITHER_KEY, "lost_with_evidence")
    truth = model.truth.get
    value = (truth(either) or 0) - (truth(phase_count("persistent")) or 0)
    value -= truth(phase_count("chronic")) or 0
    model.count(latent, value, shown=False)
    model.relate(
        equal({either: 1, phase_count("persistent"): -1, phase_count("chronic"): -1,
               latent: -1}, 0, "phases: persistent or chronic = persistent + chronic + "
              "followed too briefly with evidence")
    )  # fmt: skip
    model.relate(
        at_most({latent: 1, brief: -1}, 0, "phases: followed too briefly with evidence <= "
                "followed too briefly")
    )  # fmt: skip


def phases(model: Model, tables: Tables, cohort: Count | None, facts: Facts) -> None:
    """The phases add up to the cohort; persons followed too briefly for a phase are no
    longer followed on any day after chronic_after_days (and, a reader may assume, are
    exactly those no longer followed on that day)."""
    if PHASES not in tables.published or cohort is None:
        return
    terms = {Count(PHASES, k, "persons"): 1 for k, _, _ in tables.rows(PHASES) if k != EITHER_KEY}
    model.relate(equal({**terms, cohort: -1}, 0, "phases add up to the cohort size"))
    brief = phase_count("insufficient_follow_up")
    _persistent_or_chronic(model, tables, brief)
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
