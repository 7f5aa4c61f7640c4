"""Relations of the safety-outcome tables: per outcome_incidence analysis, the levels of
sex and age band (each person has one of each at the start of the time at risk) add up
to the crude row in every count, the calendar years in events; the standardised rows
repeat the crude counts; persons with the outcome are at most the events and the persons
at risk, who are at most those before exclusions, at most the cohort; a rate shown gives
its events (its person-days are shown). outcome_survival: persons and at risk are at
most the cohort, at risk at most the persons; its events so far are not modelled as
survival.parquet's are (the mask hides a point with 1 to min_cell_count - 1 of them, so a
shown point's events are not small; the audit does not check it further)."""

from __future__ import annotations

from pharmacoepi.disclosure.model import Count, Model, at_most, equal

OUTCOME_INCIDENCE = "outcome_incidence.parquet"
OUTCOME_SURVIVAL = "outcome_survival.parquet"
RATE = ("rate", "ci_lower", "ci_upper")
_ADDITIVE = {
    "sex": ("persons_pre_exclusion", "persons", "persons_with_outcome", "events"),
    "age_band": ("persons_pre_exclusion", "persons", "persons_with_outcome", "events"),
    "calendar_year": ("events",),
}
_COUNTS = ("persons_pre_exclusion", "persons", "persons_with_outcome", "events")


def incidence(model: Model, tables, cohort: Count | None) -> None:
    if OUTCOME_INCIDENCE not in tables.published:
        return
    analyses: dict[str, dict[tuple[str, str], tuple]] = {}
    shown: dict[tuple, bool] = {}
    for key, _, published in tables.rows(OUTCOME_INCIDENCE):
        k = dict(key)
        analyses.setdefault(k["analysis"], {})[(k["stratum"], k["level"])] = key
        shown[key] = any(published[c] is not None for c in RATE)
    for name, rows in analyses.items():
        crude = rows.get(("crude", "all"))
        if crude is None:
            continue
        cell = lambda key, column: Count(OUTCOME_INCIDENCE, key, column)  # noqa: E731
        for stratum, columns in _ADDITIVE.items():
            keys = [key for (s, _), key in rows.items() if s == stratum]
            for column in columns if keys else ():
                terms = {cell(key, column): 1 for key in keys}
                model.relate(equal({**terms, cell(crude, column): -1}, 0,
                                   f"outcome_incidence {name}: the {stratum} {column} add "
                                   "up to the crude row"))  # fmt: skip
        for (stratum, _), key in rows.items():
            if stratum == "standardised":
                for column in _COUNTS:
                    model.relate(equal({cell(key, column): 1, cell(crude, column): -1}, 0,
                                       "outcome_incidence: standardised rows repeat the "
                                       "crude counts"))  # fmt: skip
            for smaller, larger in (
                ("persons_with_outcome", "events"),
                ("persons_with_outcome", "persons"),
                ("persons", "persons_pre_exclusion"),
            ):
                model.relate(at_most({cell(key, smaller): 1, cell(key, larger): -1}, 0,
                                     f"outcome_incidence: {smaller} <= {larger}"))  # fmt: skip
            events = cell(key, "events")
            if shown[key] and events in model.truth:
                model.relate(equal({events: 1}, model.truth[events], "outcome_incidence: a "
                                   "rate shown gives its events",
                                   rests_on=tuple(cell(key, c) for c in RATE)))  # fmt: skip
        if cohort is not None:
            model.relate(at_most({cell(crude, "persons_pre_exclusion"): 1, cohort: -1}, 0,
                                 "outcome_incidence: persons at risk <= the cohort"))  # fmt: skip


def survival(model: Model, tables, cohort: Count | None) -> None:
    if OUTCOME_SURVIVAL not in tables.published or cohort is None:
        return
    for key, _, _ in tables.rows(OUTCOME_SURVIVAL):
        for column in ("persons", "at_risk"):
            model.relate(at_most({Count(OUTCOME_SURVIVAL, key, column): 1, cohort: -1}, 0,
                                 f"outcome_survival: {column} <= the cohort"))  # fmt: skip
        model.relate(at_most({Count(OUTCOME_SURVIVAL, key, "at_risk"): 1,
                              Count(OUTCOME_SURVIVAL, key, "persons"): -1}, 0,
                             "outcome_survival: at risk <= persons"))  # fmt: skip
