"""How each aggregate output is masked, from its raw (unmasked) frame.

One function per file of the catalogue (outputs/catalogue.py), keyed by file name in
MASKS. Each masks its small cells and what would reveal them within the table, and
computes the shares it publishes from the masked counts (a share of a masked count is
masked with it). What spans tables (a table's counts hidden with the attrition count they
add up to) is the disclosure pass's (disclosure/__init__.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from pharmacoepi.disclosure import characteristics_table, outcome_tables
from pharmacoepi.disclosure.rules import (
    spread_suppression,
    suppress_attrition,
    suppress_cells,
)


@dataclass(frozen=True)
class Context:
    min_cell: int
    cohort_size: int  # raw: what the cohort-size attrition step counts


Mask = Callable[[pl.DataFrame, Context], pl.DataFrame]


def attrition(raw: pl.DataFrame, min_cell: int) -> pl.DataFrame:
    """The exportable attrition: small counts and what would reveal them masked (null)."""
    masked = suppress_attrition(raw["persons"].to_list(), min_cell)
    return raw.with_columns(
        pl.Series("persons", [p for p, _ in masked], dtype=pl.Int64),
        pl.Series("excluded", [e for _, e in masked], dtype=pl.Int64),
    )


def _mask(frame: pl.DataFrame, columns: list[str], min_cell: int, *, total_known: bool):
    """Mask each row's cells in `columns` as one group."""
    rows = frame.select(columns).rows()
    hidden = [suppress_cells(list(r), min_cell, total_known=total_known) for r in rows]
    return frame.with_columns(
        pl.Series(c, [None if h[j] else r[j] for r, h in zip(rows, hidden, strict=True)],
                  dtype=pl.Int64)
        for j, c in enumerate(columns)
    )  # fmt: skip


def _blank(frame: pl.DataFrame, columns: list[str], where: pl.Expr | bool = True):
    """Null the given columns on the rows where `where` holds."""
    return frame.with_columns(
        pl.when(where).then(None).otherwise(pl.col(c)).alias(c) for c in columns
    )


def _share(numerator: str, denominator: str) -> pl.Expr:
    return (pl.col(numerator) / pl.col(denominator)).round(4)


def exposed_at(raw: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    n = ctx.min_cell
    masked = _mask(raw, ["persons_exposed", "persons_not_exposed"], n, total_known=True)
    # persons no longer followed on that day = cohort size - persons_in_follow_up: when that
    # is small, or the followed count itself is, the day's counts are hidden for every class
    lost = ctx.cohort_size - pl.col("persons_in_follow_up")
    small = ((lost > 0) & (lost < n)) | (pl.col("persons_in_follow_up") < n)
    counts = ["persons_in_follow_up", "persons_exposed", "persons_not_exposed"]
    masked = _blank(masked, counts, small)
    return masked.with_columns(
        _share("persons_exposed", "persons_in_follow_up").alias("share_exposed")
    )


def pathways(raw: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    # Per-regimen totals are not published, so only the small cells themselves are masked.
    return _mask(raw, ["persons"], ctx.min_cell, total_known=False)


def retreatment(raw: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Per class and course number. Persons with course n + 1 are about those whose next
    treatment after course n was a course: once that cell is masked, every later course
    of the class is masked, so neither can be read off the other."""
    parts = ["next_course", "next_line", "no_next_treatment"]
    masked = _mask(raw, parts, ctx.min_cell, total_known=True)
    masked = _mask(masked, ["persons"], ctx.min_cell, total_known=False)
    masked_before = (
        pl.col("next_course").is_null().cast(pl.Int32).cum_sum().shift(1, fill_value=0) > 0
    ).over("class", order_by="course_number")
    masked = masked.with_columns(masked_before.alias("_after_masked"))
    masked = _blank(masked, ["persons", *parts], pl.col("_after_masked")).drop("_after_masked")
    return masked.with_columns(_share("next_course", "persons").alias("share_retreated"))


PHASES = ["newly_diagnosed", "persistent", "chronic", "insufficient_follow_up"]
EITHER = "persistent_or_chronic"  # not a phase: evidence after the newly diagnosed phase


def phases(raw: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Persons per phase; share = among persons whose phase is decided, shown only when
    none of the decided counts is masked (a share would reveal its denominator). Then
    persistent_or_chronic, its share among persons decided for it (newly diagnosed + it):
    it exceeds persistent + chronic by the persons followed too briefly who had evidence,
    so it is masked when that difference is a small count, or when a phase it is read
    against is masked."""
    counts = dict(raw.select("phase", "persons").rows())
    persons = [counts.get(p, 0) for p in PHASES]
    hidden = suppress_cells(persons, ctx.min_cell, total_known=True)
    shown = [None if h else n for n, h in zip(persons, hidden, strict=True)]
    decided = shown[:3]
    total = sum(decided) if None not in decided else None
    share = [round(n / total, 4) if total and i < 3 else None for i, n in enumerate(shown)]
    either = counts.get(EITHER, 0)
    lost_with_evidence = either - persons[1] - persons[2]
    small = 0 < either < ctx.min_cell or 0 < lost_with_evidence < ctx.min_cell
    either_shown = None if small or None in shown[:3] else either
    either_share = (
        round(either / (either + persons[0]), 4)
        if either_shown is not None and either + persons[0] > 0
        else None
    )
    return pl.DataFrame(
        {
            "phase": [*PHASES, EITHER],
            "persons": [*shown, either_shown],
            "share_of_decided": [*share, either_share],
        },
        schema={"phase": pl.String, "persons": pl.Int64, "share_of_decided": pl.Float64},
    )


def secondary_causes(raw: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Persons by cause; the rows add up to the adult incident cases, which a reader may
    know (the incidence table's bands come close): a group with one masked cell hides a
    second. A share is hidden with its count."""
    persons = raw["persons"].to_list()
    hidden = pl.Series(suppress_cells(persons, ctx.min_cell, total_known=True), dtype=pl.Boolean)
    shown = raw.with_columns(pl.col("share").round(4))
    return _blank(shown, ["persons", "share"], hidden)


def switch_types_by_year(raw: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    masked = _mask(raw, ["episodes"], ctx.min_cell, total_known=False)
    return _mask(masked, ["persons"], ctx.min_cell, total_known=False)


def _suppress_groups(counts: list[int], groups: list[list[int]], min_cell: int) -> list[bool]:
    """Cells of a cross-table whose groups (rows, columns) each add up to a published
    total: mask 1..min_cell - 1, then spread (rules.spread_suppression)."""
    hide = [0 < n < min_cell for n in counts]
    spread_suppression(hide, counts, groups)
    return hide


def incidence(raw: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Mask small event counts and every rate and CI derived from them. Each margin (sex,
    age band, year, month) sums to the crude count, which is shown: a group with one
    masked cell hides a second. The age band x sex table adds up along each sex (to the
    sex margin) and each band (to the age band margin): masked cell by cell until no row
    or column has a single masked cell. Standardised rates are masked with the crude
    count."""
    hidden = [False] * raw.height
    measures = raw["measure"].to_list()
    strata = raw["stratum"].to_list()
    events = raw["events"].to_list()
    crude_hidden = False
    for measure in ("crude", "sex", "age_band", "year", "month"):
        rows = [i for i, m in enumerate(measures) if m == measure]
        flags = suppress_cells(
            [events[i] for i in rows], ctx.min_cell, total_known=measure != "crude"
        )
        for i, flag in zip(rows, flags, strict=True):
            hidden[i] = flag
        if measure == "crude":
            crude_hidden = any(flags)
    cross = [i for i, m in enumerate(measures) if m == "age_band_sex"]
    if cross:
        position = {i: k for k, i in enumerate(cross)}
        by: dict[str, list[int]] = {}
        for i in cross:
            sex, band = strata[i].split(":")
            by.setdefault(f"sex {sex}", []).append(position[i])
            by.setdefault(f"band {band}", []).append(position[i])
        flags = _suppress_groups([events[i] for i in cross], list(by.values()), ctx.min_cell)
        for i in cross:
            hidden[i] = flags[position[i]]
    for i, m in enumerate(measures):
        if m.startswith("standardised_"):
            hidden[i] = crude_hidden
    return _blank(raw, ["events", "rate", "ci_lower", "ci_upper"], pl.Series("hidden", hidden))


def survival(raw: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """An analysis with fewer than min_cell_count persons is hidden whole. A row is hidden
    when fewer than min_cell_count remain at risk, when 1..min_cell_count - 1 events have
    occurred so far (the estimate would describe a handful of persons), or when
    1..min_cell_count - 1 have left the risk set (persons - at risk: deaths and ends of
    follow-up, which exposed_at and phases hide). Event counts are not published."""
    n = ctx.min_cell
    small = lambda c: (c > 0) & (c < n)  # noqa: E731
    whole = pl.col("persons") < n
    exits = pl.col("persons") - pl.col("at_risk")
    row = whole | (pl.col("at_risk") < n) | small(pl.col("events_so_far")) | small(exits)
    return raw.with_columns(
        pl.when(whole).then(None).otherwise(pl.col("persons")).alias("persons"),
        *[
            pl.when(row).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("at_risk", "cumulative_incidence", "ci_lower", "ci_upper")
        ],
    ).drop("events_so_far")


def cox(raw: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Models are fitted only when disclosure.rules.may_fit_model allows (the analysis
    asks before fitting): what was fitted is published as it is."""
    return raw


MASKS: dict[str, Mask] = {
    "exposed_at.parquet": exposed_at,
    "pathways.parquet": pathways,
    "retreatment.parquet": retreatment,
    "phases.parquet": phases,
    "secondary_causes.parquet": secondary_causes,
    "switch_types_by_year.parquet": switch_types_by_year,
    "incidence.parquet": incidence,
    "survival.parquet": survival,
    "cox.parquet": cox,
    "outcome_incidence.parquet": lambda raw, ctx: outcome_tables.outcome_incidence(
        raw, ctx.min_cell
    ),
    "outcome_survival.parquet": lambda raw, ctx: outcome_tables.outcome_survival(
        raw, ctx.min_cell, lambda frame: survival(frame, ctx)
    ),
    "characteristics.parquet": lambda raw, ctx: characteristics_table.characteristics(
        raw, ctx.min_cell
    ),
}
