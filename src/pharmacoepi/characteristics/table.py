"""Table 1 from the engine's raw cells: counts and percents of binary and categorical
features, mean, sd and quartiles of continuous ones, per stratum level beside the overall
column, and the standardized mean difference (SMD) of each level against the other level
of a two-level stratum, or against the rest of the cohort for more levels (estimate/smd.py,
docs/methods.md). Raw: the disclosure package masks it."""

from __future__ import annotations

import math

import polars as pl

from pharmacoepi.characteristics import charlson
from pharmacoepi.characteristics.features import age_band_labels, features
from pharmacoepi.definition.characteristics import Characteristics
from pharmacoepi.estimate import smd

SCHEMA = {
    "stratum": pl.String, "level": pl.String, "persons": pl.Int64, "feature": pl.String,
    "window": pl.String, "kind": pl.String, "category": pl.String, "n": pl.Int64,
    "percent": pl.Float64, "mean": pl.Float64, "sd": pl.Float64, "median": pl.Float64,
    "q1": pl.Float64, "q3": pl.Float64, "smd": pl.Float64, "smd_reference": pl.String,
}  # fmt: skip
OVERALL = ("overall", "all")
REST = "rest"


def _key(r: dict) -> tuple:
    return (r["feature"], r["window"])


def _filled(cells: pl.DataFrame) -> list[dict]:
    """One row per level, feature, window and category: a category seen in the cohort and
    absent from a level gets n = 0 there (its masking and SMD need it)."""
    rows = cells.to_dicts()
    categories: dict[tuple, list[str]] = {}
    for r in rows:
        if r["kind"] == "categorical":
            categories.setdefault(_key(r), [])
            if r["category"] not in categories[_key(r)]:
                categories[_key(r)].append(r["category"])
    levels = {(r["stratum"], r["level"]): r["persons"] for r in rows}
    seen = {(r["stratum"], r["level"], *_key(r), r["category"]) for r in rows}
    for (stratum, level), persons in levels.items():
        for (feature, window), cats in categories.items():
            for cat in cats:
                if (stratum, level, feature, window, cat) not in seen:
                    rows.append(
                        {"stratum": stratum, "level": level, "persons": persons,
                         "feature": feature, "window": window, "kind": "categorical",
                         "category": cat, "counted": 0, "total": 0.0, "squares": 0.0,
                         "median": None, "q1": None, "q3": None}
                    )  # fmt: skip
    return rows


def _summary(r: dict) -> dict:
    out = {k: r[k] for k in ("stratum", "level", "persons", "feature", "window", "kind")}
    out |= {"category": r["category"], "n": None, "percent": None, "mean": None, "sd": None,
            "median": None, "q1": None, "q3": None, "smd": None, "smd_reference": None}  # fmt: skip
    if r["kind"] == "continuous":
        n, total = r["counted"], r["total"]
        mean = total / n
        # sample variance from the exact sums: (sum x^2 - n mean^2) / (n - 1)
        sd = math.sqrt(max(r["squares"] - total * mean, 0.0) / (n - 1)) if n > 1 else None
        out |= {"mean": mean, "sd": sd} | {k: r[k] for k in ("median", "q1", "q3")}
    else:
        n = int(round(r["total"])) if r["kind"] == "binary" else int(r["counted"])
        out |= {"n": n, "percent": 100.0 * n / r["persons"]}
    return out


def _proportions(rows: list[dict]) -> dict[str, tuple[int, int]]:
    """category (None for a binary feature) -> (n, persons)."""
    return {r["category"]: (r["n"], r["persons"]) for r in rows}


def _smd(kind: str, one: list[dict], other: list[dict]) -> float | None:
    if kind == "continuous":
        a, b = one[0], other[0]
        return smd.continuous(a["mean"], a["sd"], b["mean"], b["sd"])
    pa, pb = _proportions(one), _proportions(other)
    if kind == "binary":
        (na, ta), (nb, tb) = pa[None], pb[None]
        return smd.binary(na / ta, nb / tb) if ta and tb else None
    cats = sorted(pa)
    ta, tb = pa[cats[0]][1], pb[cats[0]][1]
    if not ta or not tb:
        return None
    return smd.categorical([pa[c][0] / ta for c in cats], [pb[c][0] / tb for c in cats])


def _rest(kind: str, overall: list[dict], level: list[dict]) -> list[dict]:
    """The persons of the cohort outside a level, summarised like a level."""
    if kind == "continuous":
        a, b = overall[0], level[0]
        n, mean, sd = smd.pooled_rest(a["persons"], a["mean"], a["sd"], b["persons"], b["mean"],
                                      b["sd"])  # fmt: skip
        return [{"persons": n, "mean": mean, "sd": sd}] if n else []
    by_cat = {r["category"]: r for r in level}
    rest = []
    for r in overall:
        mine = by_cat.get(r["category"], {"n": 0, "persons": level[0]["persons"]})
        rest.append({"category": r["category"], "n": r["n"] - mine["n"],
                     "persons": r["persons"] - mine["persons"]})  # fmt: skip
    return rest if rest and rest[0]["persons"] > 0 else []


def _with_smds(rows: list[dict]) -> None:
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["stratum"], r["level"], *_key(r)), []).append(r)
    strata: dict[str, list[str]] = {}
    for stratum, level in dict.fromkeys((r["stratum"], r["level"]) for r in rows):
        if (stratum, level) != OVERALL:
            strata.setdefault(stratum, []).append(level)
    for (stratum, level, feature, window), cell in groups.items():
        if stratum == OVERALL[0]:
            continue
        kind = cell[0]["kind"]
        levels = strata[stratum]
        if len(levels) == 2:
            reference = levels[1] if level == levels[0] else levels[0]
            other = groups.get((stratum, reference, feature, window), [])
        elif len(levels) > 2:
            reference = REST
            other = _rest(kind, groups[(*OVERALL, feature, window)], cell)
        else:
            continue
        value = _smd(kind, cell, other) if other else None
        for r in cell:
            r["smd"], r["smd_reference"] = value, reference


def _order(c: Characteristics):
    """Table 1's order: the overall column, then each stratum's levels (sorted); features
    as declared, windows as declared, categories in their natural order."""
    strata = {s: i for i, s in enumerate(("overall", *c.strata))}
    declared = {f["feature"]: i for i, f in reversed(list(enumerate(features(c))))}
    windows = {w: i for i, w in enumerate(c.windows)}
    natural = {b: i for i, b in enumerate(age_band_labels(c))}
    natural |= {label: i for i, (_, _, label) in enumerate(charlson.CATEGORIES)}

    def key(r: dict) -> tuple:
        cat = r["category"]
        return (strata[r["stratum"]], r["level"], declared[r["feature"]],
                windows.get(r["window"], -1), natural.get(cat, math.inf), cat or "")  # fmt: skip

    return key


def characteristics_table(cells: pl.DataFrame, c: Characteristics) -> pl.DataFrame:
    rows = [_summary(r) for r in _filled(cells)]
    _with_smds(rows)
    rows.sort(key=_order(c))
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")
