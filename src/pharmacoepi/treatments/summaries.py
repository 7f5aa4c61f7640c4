"""Aggregate treatment tables for users, with small cells masked (docs/treatments.md).

Each table keeps its unmasked counts out of the output: the frame returned here is what
gets written, with a min_cell_count column recording the threshold used. Masking looks
beyond a single cell: a group whose total is shown hides a second cell, counts that
differ from a published total by a small number are hidden, and when the attrition
hides the cohort size, every count of these tables is hidden too (they sum to it).
"""

from __future__ import annotations

import polars as pl

from pharmacoepi.definition import Definition
from pharmacoepi.engines import Engine
from pharmacoepi.privacy import suppress_cells

# The count and share columns of each table (the others are labels).
COUNTS = {
    "exposed_at.parquet": [
        "persons_in_follow_up", "persons_exposed", "persons_not_exposed", "share_exposed",
    ],
    "pathways.parquet": ["persons"],
    "retreatment.parquet": [
        "persons", "next_course", "next_line", "no_next_treatment", "share_retreated",
    ],
    "phases.parquet": ["persons", "share_of_decided"],
    "switch_types_by_year.parquet": ["episodes", "persons"],
}  # fmt: skip


def _frame(engine: Engine, table: str) -> pl.DataFrame:
    return engine.frame(table)


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


def _threshold(frame: pl.DataFrame, min_cell: int) -> pl.DataFrame:
    return frame.with_columns(pl.lit(min_cell, pl.Int32).alias("min_cell_count"))


def exposed_at(engine: Engine, d: Definition, min_cell: int, cohort_size: int) -> pl.DataFrame:
    engine.run("summaries/exposed_at", {"days_after_index": list(d.summaries.exposed_at_days)})
    raw = _frame(engine, "exposed_at_counts").with_columns(
        (pl.col("persons_in_follow_up") - pl.col("persons_exposed")).alias("persons_not_exposed")
    )
    masked = _mask(raw, ["persons_exposed", "persons_not_exposed"], min_cell, total_known=True)
    # persons no longer followed on that day = cohort size - persons_in_follow_up: when that
    # is small, or the followed count itself is, the day's counts are hidden for every class
    lost = cohort_size - pl.col("persons_in_follow_up")
    small = ((lost > 0) & (lost < min_cell)) | (pl.col("persons_in_follow_up") < min_cell)
    counts = ["persons_in_follow_up", "persons_exposed", "persons_not_exposed"]
    masked = _blank(masked, counts, small)
    return _threshold(
        masked.with_columns(
            _share("persons_exposed", "persons_in_follow_up").alias("share_exposed")
        ),
        min_cell,
    )


def pathways(engine: Engine, min_cell: int) -> pl.DataFrame:
    engine.run("summaries/pathways")
    raw = _frame(engine, "pathway_counts")
    # Per-regimen totals are not published, so only the small cells themselves are masked.
    return _threshold(_mask(raw, ["persons"], min_cell, total_known=False), min_cell)


def course_outcomes(engine: Engine, min_cell: int) -> pl.DataFrame:
    """Per class and course number. Persons with course n + 1 are about those whose next
    treatment after course n was a course: once that cell is masked, every later course
    of the class is masked, so neither can be read off the other."""
    engine.run("summaries/course_outcome_counts")
    raw = _frame(engine, "course_outcome_counts")
    parts = ["next_course", "next_line", "no_next_treatment"]
    masked = _mask(raw, parts, min_cell, total_known=True)
    masked = _mask(masked, ["persons"], min_cell, total_known=False)
    masked_before = (
        pl.col("next_course").is_null().cast(pl.Int32).cum_sum().shift(1, fill_value=0) > 0
    ).over("class", order_by="course_number")
    masked = masked.with_columns(masked_before.alias("_after_masked"))
    masked = _blank(masked, ["persons", *parts], pl.col("_after_masked")).drop("_after_masked")
    return _threshold(
        masked.with_columns(_share("next_course", "persons").alias("share_retreated")), min_cell
    )


def phases(engine: Engine, min_cell: int) -> pl.DataFrame:
    """Persons per phase; share = among persons whose phase is decided, shown only when
    none of the decided counts is masked (a share would reveal its denominator)."""
    engine.run("summaries/phase_counts")
    order = ["newly_diagnosed", "persistent", "chronic", "insufficient_follow_up"]
    counts = dict(_frame(engine, "phase_counts").rows())
    raw = [counts.get(p, 0) for p in order]
    hidden = suppress_cells(raw, min_cell, total_known=True)
    shown = [None if h else n for n, h in zip(raw, hidden, strict=True)]
    decided = shown[:3]
    total = sum(decided) if None not in decided else None
    share = [round(n / total, 4) if total and i < 3 else None for i, n in enumerate(shown)]
    return _threshold(
        pl.DataFrame(
            {"phase": order, "persons": shown, "share_of_decided": share},
            schema={"phase": pl.String, "persons": pl.Int64, "share_of_decided": pl.Float64},
        ),
        min_cell,
    )


def switch_years(engine: Engine, min_cell: int) -> pl.DataFrame:
    engine.run("summaries/switch_years")
    raw = _frame(engine, "switch_year_counts")
    masked = _mask(raw, ["episodes"], min_cell, total_known=False)
    masked = _mask(masked, ["persons"], min_cell, total_known=False)
    return _threshold(masked, min_cell)
