"""The disclosure audit on Table 1 (characteristics.parquet): its identities hold on a
hand-made table, a correct mask is left as it is, and a mask that lets a small cell be
recovered (from the levels' margin, the complement persons - n, a percent or an SMD) is
completed by the audit."""

from __future__ import annotations

import polars as pl

from pharmacoepi.characteristics.table import SCHEMA
from pharmacoepi.disclosure import disclose
from pharmacoepi.disclosure.audit import audit
from pharmacoepi.disclosure.model import Count
from pharmacoepi.disclosure.relations import Facts, Tables, build_model

N = 11
FILE = "characteristics.parquet"
STEPS = ["extract", "cohort"]
# Table 1's relations are off in a build (relations/frames.py): these tests turn them on
FACTS = Facts(min_cell=N, table1_relations=True)
PERSONS = {("overall", "all"): 100, ("sex", "F"): 50, ("sex", "M"): 50}


def _raw(binary: dict[str, int], categories: dict[str, dict[str, int]] | None = None):
    """attrition (cohort of 100) and Table 1 with sex as stratum: age (continuous), the
    binary feature thrombosis (n per level) and the categorical age_band (n per category
    and level)."""
    rows = []
    for (stratum, level), persons in PERSONS.items():
        common = {c: None for c in SCHEMA} | {"stratum": stratum, "level": level,
                                               "persons": persons}  # fmt: skip
        smd = {} if stratum == "overall" else {"smd": 0.1, "smd_reference": "x"}
        age = {"mean": 50.0, "sd": 10.0, "median": 50.0, "q1": 40.0, "q3": 60.0}
        rows.append(common | smd | age | {"feature": "age", "kind": "continuous"})
        n = binary[level]
        thrombosis = {"feature": "thrombosis", "window": "prior_year", "kind": "binary"}
        rows.append(common | smd | thrombosis | {"n": n, "percent": 100 * n / persons})
        for category, ns in (categories or {}).items():
            rows.append(common | smd | {"feature": "age_band", "kind": "categorical",
                                        "category": category, "n": ns[level],
                                        "percent": 100 * ns[level] / persons})  # fmt: skip
    attrition = pl.DataFrame(
        {"step": [0, 1], "description": ["extract", "cohort"], "persons": [900, 100],
         "excluded": [None, 800]}, schema_overrides={"step": pl.Int32, "excluded": pl.Int64},
    )  # fmt: skip
    table = pl.DataFrame(rows, schema=SCHEMA, orient="row")
    return {"attrition.parquet": attrition, FILE: table}


def _row(frame: pl.DataFrame, level: str, feature: str = "thrombosis", category=None) -> dict:
    where = (pl.col("level") == level) & (pl.col("feature") == feature)
    if category is not None:
        where &= pl.col("category") == category
    [row] = frame.filter(where).iter_rows(named=True)
    return row


def _model(raw, published):
    return build_model(Tables(raw, published), STEPS, FACTS)


def _n(level: str, feature: str = "thrombosis", category=None, column: str = "n") -> Count:
    """The count `column` of a row of Table 1, addressed by the row's labels as the audit
    addresses it."""
    binary = feature == "thrombosis"
    key = (("stratum", "overall" if level == "all" else "sex"), ("level", level),
           ("feature", feature), ("window", "prior_year" if binary else None),
           ("kind", "binary" if binary else "categorical"), ("category", category),
           ("smd_reference", None if level == "all" else "x"))  # fmt: skip
    return Count(FILE, key, column)


AGE = {"<40": {"all": 30, "F": 3, "M": 27}, "40+": {"all": 70, "F": 47, "M": 23}}


def test_the_identities_hold_and_a_masked_pair_ranges_over_the_margin():
    raw = _raw({"all": 40, "F": 4, "M": 36}, AGE)
    masked = disclose(raw, STEPS, N)
    model = _model(raw, masked)
    assert model.broken == []
    whys = {r.why for r in model.relations}
    assert "characteristics: the overall persons = the cohort size" in whys
    assert "characteristics: the sex levels' persons add up to the overall persons" in whys
    assert "characteristics: a level's categories add up to its persons" in whys
    assert not model.shown[_n("F")] and not model.shown[_n("M")] and model.shown[_n("all")]
    assert model.feasible_range(_n("F"), model.relations) == (0, 40)
    # the latent complement persons - n is registered beside each n
    complement = _n("M", column="complement")
    assert model.truth[complement] == 14 and not model.shown[complement]


def test_a_correct_mask_is_left_as_it_is():
    raw = _raw({"all": 40, "F": 4, "M": 36}, AGE)
    masked = disclose(raw, STEPS, N)
    table = masked[FILE]
    assert _row(table, "F")["n"] is None and _row(table, "M")["n"] is None  # 4, then 36
    assert _row(table, "F", "age_band", "<40")["n"] is None  # 3, and 47 beside it
    audited = audit(raw, masked, STEPS, FACTS)
    assert audited.record["relations_not_holding"] == []
    assert audited.record["sensitive_counts_checked"] >= 2
    assert audited.record["extra_suppressed"] == []
    assert audited.published[FILE].equals(table)


def test_a_level_shown_beside_a_masked_level_and_the_overall_n_is_hidden():
    """F's 4 is 40 - 36: the audit hides M's n (and its percent) too."""
    raw = _raw({"all": 40, "F": 4, "M": 36})
    masked = disclose(raw, STEPS, N)
    forgot = (pl.col("level") == "M") & (pl.col("feature") == "thrombosis")
    table = masked[FILE].with_columns(
        pl.when(forgot).then(36).otherwise(pl.col("n")).alias("n"),
        pl.when(forgot).then(72.0).otherwise(pl.col("percent")).alias("percent"),
    )
    broken = {**masked, FILE: table}
    assert _row(table, "M")["n"] == 36 and _row(table, "F")["n"] is None
    audited = audit(raw, broken, STEPS, FACTS)
    published = audited.published[FILE]
    assert _row(published, "F")["n"] is None
    assert _row(published, "M")["n"] is None and _row(published, "M")["percent"] is None
    assert audited.record["extra_suppressed"]
    assert all(e["protects"] == str(_n("F")) for e in audited.record["extra_suppressed"])
    model = _model(raw, audited.published)
    assert model.protected(_n("F"), model.relations)


def test_a_small_complement_a_margin_gives_away_is_protected_by_the_audit():
    """47 of 50 women: persons - n = 3, so the mask hides the 47. A mask that then shows
    M's 30 beside the overall 77 gives the 47, hence the 3, away."""
    raw = _raw({"all": 77, "F": 47, "M": 30})
    masked = disclose(raw, STEPS, N)
    assert _row(masked[FILE], "F")["n"] is None and _row(masked[FILE], "M")["n"] is None
    assert audit(raw, masked, STEPS, FACTS).record["extra_suppressed"] == []
    forgot = (pl.col("level") == "M") & (pl.col("feature") == "thrombosis")
    table = masked[FILE].with_columns(
        pl.when(forgot).then(30).otherwise(pl.col("n")).alias("n"),
        pl.when(forgot).then(60.0).otherwise(pl.col("percent")).alias("percent"),
    )
    audited = audit(raw, {**masked, FILE: table}, STEPS, FACTS)
    complement = _n("F", column="complement")
    assert audited.record["extra_suppressed"]
    assert all(e["protects"] == str(complement) for e in audited.record["extra_suppressed"])
    assert _row(audited.published[FILE], "M")["n"] is None
    model = _model(raw, audited.published)
    assert model.protected(complement, model.relations)


def test_a_small_complement_shown_with_its_n_and_persons_is_hidden_by_the_audit():
    raw = _raw({"all": 77, "F": 47, "M": 30})
    shown = raw[FILE].with_columns(pl.lit(N).cast(pl.Int32).alias("min_cell_count"))
    masked = disclose(raw, STEPS, N)
    audited = audit(raw, {**masked, FILE: shown}, STEPS, FACTS)
    assert _row(audited.published[FILE], "F")["n"] is None


def test_a_percent_shown_beside_a_masked_n_is_hidden_by_the_audit():
    raw = _raw({"all": 40, "F": 4, "M": 36})
    masked = disclose(raw, STEPS, N)
    forgot = (pl.col("level") == "F") & (pl.col("feature") == "thrombosis")
    table = masked[FILE].with_columns(
        pl.when(forgot).then(8.0).otherwise(pl.col("percent")).alias("percent")
    )
    audited = audit(raw, {**masked, FILE: table}, STEPS, FACTS)
    assert _row(audited.published[FILE], "F")["percent"] is None
    [entry] = audited.record["extra_suppressed"]
    assert entry["columns"] == ["percent"]


def test_an_smd_shown_beside_masked_cells_is_hidden_by_the_audit():
    raw = _raw({"all": 40, "F": 4, "M": 36})
    masked = disclose(raw, STEPS, N)
    binary = pl.col("feature") == "thrombosis"
    assert masked[FILE].filter(binary & (pl.col("stratum") == "sex"))["smd"].is_null().all()
    table = masked[FILE].with_columns(
        pl.when(binary & (pl.col("stratum") == "sex")).then(0.9).otherwise(pl.col("smd"))
        .alias("smd")
    )  # fmt: skip
    audited = audit(raw, {**masked, FILE: table}, STEPS, FACTS)
    published = audited.published[FILE]
    assert published.filter(binary & (pl.col("stratum") == "sex"))["smd"].is_null().all()
    [entry] = audited.record["extra_suppressed"]
    assert entry["columns"] == ["smd", "smd"]  # both levels' rows: one value
