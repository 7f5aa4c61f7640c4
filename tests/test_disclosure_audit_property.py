"""Property: after the audit, no masked age band of a random small incidence table can be
narrowed by a reader below the range 0..min_cell_count - 1. The reader here is written
apart from the audit: it enumerates every integer assignment of the masked bands that
reproduces what is published (the crude count, the shown bands, the standardised rate and
its Fay-Feuer interval to 9 significant digits)."""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import gammaincinv

from pharmacoepi.disclosure import disclose
from pharmacoepi.disclosure.audit import Facts, audit
from pharmacoepi.estimate import direct_standardize, incidence_rates

BANDS = [0, 5, 10, 15]
STEPS = ["extract", "incident"]
PER = 100_000


def _raw(events, years, weights) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    cells = pl.DataFrame({"age_band": BANDS, "events": events, "person_years": years})
    # the standard's last band (10) is open: band 15 is counted in it
    standard = pl.DataFrame({"stratum": [0, 5, 10], "weight": weights})
    parts = []
    for measure, by in (("crude", []), ("age_band", ["age_band"])):
        rates = incidence_rates(cells, events_col="events", person_time_col="person_years",
                                by=by, per=PER)  # fmt: skip
        parts.append(rates.select(
            pl.lit(measure).alias("measure"),
            (pl.col("age_band").cast(pl.String) if by else pl.lit("all")).alias("stratum"),
            "events", pl.col("person_time").alias("person_years"), "rate", "ci_lower",
            "ci_upper",
        ))  # fmt: skip
    std = direct_standardize(cells, events_col="events", person_time_col="person_years",
                             stratum_col="age_band", standard=standard, per=PER)  # fmt: skip
    parts.append(std.filter(pl.col("measure") == "standardised").select(
        pl.lit("standardised_custom").alias("measure"), pl.lit("all").alias("stratum"),
        "events", pl.col("person_time").alias("person_years"), "rate", "ci_lower", "ci_upper",
    ))  # fmt: skip
    incidence = pl.concat(parts).with_columns(pl.lit("internal").alias("denominator"))
    attrition = pl.DataFrame(
        {"step": [0, 1], "description": ["extract", "incident"],
         "persons": [10_000, sum(events)], "excluded": [None, 10_000 - sum(events)]},
        schema_overrides={"step": pl.Int32, "excluded": pl.Int64},
    )  # fmt: skip
    return {"attrition.parquet": attrition, "incidence.parquet": incidence}, standard


def _reader_solutions(published: pl.DataFrame, years, weights) -> np.ndarray | None:
    """Every assignment of the masked bands consistent with the published numbers (rows:
    assignments, columns: BANDS); None when the crude count is hidden (nothing to add up)."""
    crude = published.filter(pl.col("measure") == "crude")["events"][0]
    if crude is None:
        return None
    bands = published.filter(pl.col("measure") == "age_band")["events"].to_list()
    hidden = [i for i, e in enumerate(bands) if e is None]
    rest = crude - sum(e for e in bands if e is not None)
    options = [c for c in itertools.product(range(rest + 1), repeat=len(hidden)) if sum(c) == rest]
    full = np.array([[e or 0 for e in bands]] * len(options), dtype=float)
    for j, i in enumerate(hidden):
        full[:, i] = [c[j] for c in options]
    std = published.filter(pl.col("measure") == "standardised_custom").row(0, named=True)
    if std["rate"] is None:
        return full
    w = np.array(weights, dtype=float) / sum(weights)
    n = np.array([years[0], years[1], years[2] + years[3]])
    x = np.stack([full[:, 0], full[:, 1], full[:, 2] + full[:, 3]], axis=1)
    rate = (w * x / n).sum(axis=1)
    var = (w**2 * x / n**2).sum(axis=1)
    keep = np.isclose(rate * PER, std["rate"], rtol=1e-9, atol=0)
    if std["ci_lower"] is not None:  # the interval gives the variance too
        wm = (w / n).max()
        shape = np.divide(rate**2, var, out=np.ones_like(var), where=var > 0)
        lower = np.where(var > 0, gammaincinv(shape, 0.025) * var / np.maximum(rate, 1e-300), 0)
        upper = gammaincinv((rate + wm) ** 2 / (var + wm**2), 0.975) * (var + wm**2) / (
            rate + wm)  # fmt: skip
        keep &= np.isclose(lower * PER, std["ci_lower"], rtol=1e-9, atol=1e-12)
        keep &= np.isclose(upper * PER, std["ci_upper"], rtol=1e-9, atol=1e-12)
    return full[keep]


@settings(max_examples=150)
@given(
    events=st.lists(st.integers(0, 14), min_size=4, max_size=4),
    years=st.lists(st.floats(50, 5000), min_size=4, max_size=4),
    weights=st.lists(st.integers(1, 9000), min_size=3, max_size=3),
    min_cell=st.sampled_from([3, 5, 11]),
)
def test_no_masked_age_band_range_collapses_after_the_audit(events, years, weights, min_cell):
    raw, standard = _raw(events, years, weights)
    masked = disclose(raw, STEPS, min_cell)
    facts = Facts(min_cell=min_cell, standards={"standardised_custom": standard})
    published = audit(raw, masked, STEPS, facts).published["incidence.parquet"]
    solutions = _reader_solutions(published, years, weights)
    if solutions is None:
        return
    truth = np.array(events, dtype=float)
    assert (solutions == truth).all(axis=1).any()  # the reader's set holds the truth
    shown = published.filter(pl.col("measure") == "age_band")["events"].to_list()
    for i, (value, seen) in enumerate(zip(events, shown, strict=True)):
        if seen is None and 0 < value < min_cell:
            assert solutions[:, i].min() <= 0 and solutions[:, i].max() >= min_cell - 1, (
                BANDS[i], solutions[:, i].min(), solutions[:, i].max())  # fmt: skip


def test_the_reader_pins_a_lone_masked_band_when_the_rate_is_shown():
    """The property's reader is strong enough to matter: without the audit, the
    standardised rate gives a masked band away."""
    events, years, weights = [20, 3, 14, 12], [1000.0, 2000.0, 1500.0, 700.0], [10, 20, 30]
    raw, standard = _raw(events, years, weights)
    masked = disclose(raw, STEPS, 11)
    table = masked["incidence.parquet"]
    assert table.filter(pl.col("measure") == "age_band")["events"][1] is None  # 3: masked
    solutions = _reader_solutions(table, years, weights)
    assert solutions.shape[0] == 1 and solutions[0].tolist() == events
    facts = Facts(min_cell=11, standards={"standardised_custom": standard})
    audited = audit(raw, masked, STEPS, facts).published["incidence.parquet"]
    assert audited.filter(pl.col("measure") == "standardised_custom")["rate"][0] is None
    again = _reader_solutions(audited, years, weights)
    assert again.shape[0] > 1 and again[:, 1].min() == 0 and again[:, 1].max() >= 10


def _retreatment_raw(first: tuple[int, int, int], second: tuple[int, int]):
    """One class, two courses: course 1 (next course, next line, nothing), course 2 (its
    persons are course 1's next course; next line, nothing; no course 3)."""
    nc1, nl1, nn1 = first
    nl2, nn2 = second
    nl2, nn2 = (nl2, nc1 - nl2) if nl2 <= nc1 else (nc1, 0)
    rows = [(1, nc1 + nl1 + nn1, nc1, nl1, nn1), (2, nc1, 0, nl2, nn2)]
    table = pl.DataFrame(
        [("x", *r) for r in rows if r[1] > 0], orient="row",
        schema={"class": pl.String, "course_number": pl.Int32, "persons": pl.Int64,
                "next_course": pl.Int64, "next_line": pl.Int64, "no_next_treatment": pl.Int64},
    )  # fmt: skip
    attrition = pl.DataFrame(
        {"step": [0], "description": ["cohort"], "persons": [500], "excluded": [None]},
        schema_overrides={"step": pl.Int32, "excluded": pl.Int64},
    )
    return {"attrition.parquet": attrition, "retreatment.parquet": table}


CELLS = ["persons", "next_course", "next_line", "no_next_treatment"]


def _retreatment_solutions(published: pl.DataFrame, bound: int) -> list[dict]:
    """Every assignment of the hidden cells (0..bound) satisfying persons = the three
    outcomes, and course 2's persons = course 1's next course (no course 3)."""
    rows = {r["course_number"]: r for r in published.iter_rows(named=True)}
    first, second = rows[1], rows.get(2)

    def options(row, fixed=None):
        values = range(bound + 1)
        for nc in [row["next_course"]] if row["next_course"] is not None else values:
            if fixed is not None and nc != fixed:
                continue
            for nl in [row["next_line"]] if row["next_line"] is not None else values:
                for nn in [row["no_next_treatment"]] if row["no_next_treatment"] is not None \
                        else values:  # fmt: skip
                    p = nc + nl + nn
                    if row["persons"] is None or row["persons"] == p:
                        yield {"persons": p, "next_course": nc, "next_line": nl,
                               "no_next_treatment": nn}  # fmt: skip

    found = []
    for one in options(first):
        if second is None:
            if one["next_course"] == 0:
                found.append({1: one})
            continue
        for two in options(second, fixed=0):
            if two["persons"] == one["next_course"]:
                found.append({1: one, 2: two})
    return found


@settings(max_examples=40)
@given(
    first=st.tuples(st.integers(0, 14), st.integers(0, 14), st.integers(1, 14)),
    second=st.tuples(st.integers(0, 14), st.integers(0, 14)),
    min_cell=st.sampled_from([3, 5, 11]),
)
def test_no_masked_retreatment_cell_range_collapses_after_the_audit(first, second, min_cell):
    raw = _retreatment_raw(first, second)
    masked = disclose(raw, ["cohort"], min_cell)
    published = audit(raw, masked, ["cohort"], Facts(min_cell=min_cell)).published
    table = published["retreatment.parquet"]
    truth = {r["course_number"]: r for r in raw["retreatment.parquet"].iter_rows(named=True)}
    solutions = _retreatment_solutions(table, bound=2 * 14)
    assert any(all(s[n][c] == truth[n][c] for n in s for c in CELLS) for s in solutions)
    for row in table.iter_rows(named=True):
        n = row["course_number"]
        for c in CELLS:
            if row[c] is None and 0 < truth[n][c] < min_cell:
                values = [s[n][c] for s in solutions]
                assert min(values) <= 0 and max(values) >= min_cell - 1, (n, c, values)
