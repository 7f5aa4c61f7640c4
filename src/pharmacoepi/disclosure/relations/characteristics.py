"""Relations of Table 1 (characteristics.parquet). Every row of a stratum level repeats the
level's persons; the levels of a stratum add up to the overall persons, the cohort size.
The n of a binary feature or of a category: the levels of a stratum add up to the overall
n, a level's categories to its persons, and persons - n (latent `complement`, which the
mask protects as it does n) is never negative. A percent shown gives its n (the level's
persons known) and its persons (its n known); an SMD shown gives the n and persons of its
feature in the stratum (one side's percent and the SMD give the other's). The masks hide
these derived values with their counts; the relations keep the audit right if one does
not. Continuous features (mean, sd, quartiles) have no count: not modelled."""

from __future__ import annotations

from pharmacoepi.disclosure.model import Count, Model, equal
from pharmacoepi.disclosure.relations.frames import Tables

CHARACTERISTICS = "characteristics.parquet"
OVERALL = "overall"


def table1(model: Model, tables: Tables, cohort: Count | None) -> None:
    if CHARACTERISTICS not in tables.published:
        return
    cell = lambda key, column: Count(CHARACTERISTICS, key, column)  # noqa: E731
    levels: dict[tuple, list[tuple]] = {}  # (stratum, level) -> its rows
    counted: list[tuple[dict, tuple, dict]] = []  # rows with an n: (labels, key, published)
    for key, _, published in tables.rows(CHARACTERISTICS):
        k = dict(key)
        levels.setdefault((k["stratum"], k["level"]), []).append(key)
        if cell(key, "n") in model.truth:
            counted.append((k, key, published))
    persons = {level: cell(rows[0], "persons") for level, rows in levels.items()}
    _persons(model, levels, persons, cohort)
    _counts(model, counted, persons)
    _derived(model, counted)


def _persons(model: Model, levels: dict, persons: dict, cohort: Count | None) -> None:
    why = "characteristics: every row of a level repeats its persons"
    for rows in levels.values():
        first = Count(CHARACTERISTICS, rows[0], "persons")
        for key in rows[1:]:
            model.relate(equal({Count(CHARACTERISTICS, key, "persons"): 1, first: -1}, 0, why))
    overall = [c for (stratum, _), c in persons.items() if stratum == OVERALL]
    if not overall:
        return
    for stratum in dict.fromkeys(s for s, _ in persons if s != OVERALL):
        terms = {c: 1 for (s, _), c in persons.items() if s == stratum}
        model.relate(equal({**terms, overall[0]: -1}, 0, f"characteristics: the {stratum} "
                           "levels' persons add up to the overall persons"))  # fmt: skip
    if cohort is not None:
        model.relate(equal({overall[0]: 1, cohort: -1}, 0, "characteristics: the overall "
                           "persons = the cohort size"))  # fmt: skip


def _counts(model: Model, counted: list, persons: dict) -> None:
    margins: dict[tuple, list[Count]] = {}  # (stratum, feature, window, category) -> n
    totals: dict[tuple, Count] = {}  # (feature, window, category) -> the overall n
    categories: dict[tuple, list[Count]] = {}  # (stratum, level, feature, window) -> n
    for k, key, _ in counted:
        n = Count(CHARACTERISTICS, key, "n")
        what = (k["feature"], k["window"], k["category"])
        if k["stratum"] == OVERALL:
            totals[what] = n
        else:
            margins.setdefault((k["stratum"], *what), []).append(n)
        if k["kind"] == "categorical":
            categories.setdefault((k["stratum"], k["level"], k["feature"], k["window"]), []
                                  ).append(n)  # fmt: skip
        # persons - n >= 0: a latent count, small when nearly everyone has the feature
        row = Count(CHARACTERISTICS, key, "persons")
        complement = model.count(Count(CHARACTERISTICS, key, "complement"),
                                 model.truth[row] - model.truth[n], shown=False)  # fmt: skip
        model.relate(equal({row: 1, n: -1, complement: -1}, 0, "characteristics: persons - "
                           "n is the persons without the feature (or category)"))  # fmt: skip
    for (stratum, *what), terms in margins.items():
        total = totals.get(tuple(what))
        if total is not None:
            model.relate(equal({**dict.fromkeys(terms, 1), total: -1}, 0, f"characteristics: "
                               f"the {stratum} levels' n add up to the overall n"))  # fmt: skip
    for (stratum, level, *_), terms in categories.items():
        model.relate(equal({**dict.fromkeys(terms, 1), persons[(stratum, level)]: -1}, 0,
                           "characteristics: a level's categories add up to its "
                           "persons"))  # fmt: skip


def _derived(model: Model, counted: list) -> None:
    """A percent shown beside a hidden n or persons pins both (the audit hides a row's
    percent with its n or persons); an SMD shown pins its feature's n and persons in the
    stratum (and the overall ones a level is compared with the rest by): the other level's
    row repeats it."""
    cell = lambda key, column: Count(CHARACTERISTICS, key, column)  # noqa: E731
    groups: dict[tuple, list[tuple]] = {}  # (feature, window) -> [(stratum, key, published)]
    for k, key, published in counted:
        groups.setdefault((k["feature"], k["window"]), []).append((k["stratum"], key, published))
        if published["percent"] is None or (
            published["n"] is not None and published["persons"] is not None
        ):
            continue  # hidden, or nothing to give (hiding n or persons hides the percent)
        pinned = [cell(key, "n")] + ([cell(key, "persons")] if model.truth[cell(key, "n")] else [])
        for count in pinned:
            model.relate(equal({count: 1}, model.truth[count], "characteristics: a percent "
                               "shown gives its n and its persons",
                               rests_on=(cell(key, "percent"),)))  # fmt: skip
    for rows in groups.values():
        for stratum in dict.fromkeys(s for s, _, _ in rows if s != OVERALL):
            smds = tuple(cell(key, "smd") for s, key, p in rows
                         if s == stratum and p["smd"] is not None)  # fmt: skip
            if not smds:
                continue
            for _, key, _ in (r for r in rows if r[0] in (stratum, OVERALL)):
                for column in ("n", "persons"):
                    count = cell(key, column)
                    model.relate(equal({count: 1}, model.truth[count], "characteristics: an "
                                       "SMD shown gives its feature's n and persons",
                                       rests_on=smds))  # fmt: skip
