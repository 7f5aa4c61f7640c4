"""Aggregate treatment tables for users, with small cells masked (docs/treatments.md).

Each table keeps its unmasked counts out of the output: the frame returned here is what
gets written, with a min_cell_count column recording the threshold used.
"""

from __future__ import annotations

import polars as pl

from pharmacoepi.definition import Definition
from pharmacoepi.engine import Engine
from pharmacoepi.privacy import suppress_cells


def _frame(engine: Engine, table: str) -> pl.DataFrame:
    return engine.con.table(table).pl()


def _mask(frame: pl.DataFrame, columns: list[str], min_cell: int, *, total_known: bool):
    """Mask each row's cells in `columns` as one group."""
    rows = frame.select(columns).rows()
    hidden = [suppress_cells(list(r), min_cell, total_known=total_known) for r in rows]
    return frame.with_columns(
        pl.Series(c, [None if h[j] else r[j] for r, h in zip(rows, hidden, strict=True)],
                  dtype=pl.Int64)
        for j, c in enumerate(columns)
    )  # fmt: skip


def _share(numerator: str, denominator: str) -> pl.Expr:
    return (pl.col(numerator) / pl.col(denominator)).round(4)


def exposed_at(engine: Engine, d: Definition, min_cell: int) -> pl.DataFrame:
    engine.run("summaries/exposed_at", {"days_after_index": list(d.summaries.exposed_at_days)})
    raw = _frame(engine, "exposed_at_counts").with_columns(
        (pl.col("persons_in_follow_up") - pl.col("persons_exposed")).alias("persons_not_exposed")
    )
    masked = _mask(
        raw, ["persons_exposed", "persons_not_exposed"], min_cell, total_known=True
    ).with_columns(
        pl.when(pl.col("persons_in_follow_up") < min_cell)
        .then(None)
        .otherwise(pl.col("persons_in_follow_up"))
        .alias("persons_in_follow_up")
    )
    return masked.with_columns(
        _share("persons_exposed", "persons_in_follow_up").alias("share_exposed"),
        pl.lit(min_cell, pl.Int32).alias("min_cell_count"),
    )


def pathways(engine: Engine, min_cell: int) -> pl.DataFrame:
    engine.run("summaries/pathways")
    raw = _frame(engine, "pathway_counts")
    # Per-regimen totals are not published, so only the small cells themselves are masked.
    return _mask(raw, ["persons"], min_cell, total_known=False).with_columns(
        pl.lit(min_cell, pl.Int32).alias("min_cell_count")
    )


def course_outcomes(engine: Engine, min_cell: int) -> pl.DataFrame:
    engine.run("summaries/course_outcome_counts")
    raw = _frame(engine, "course_outcome_counts")
    parts = ["next_course", "next_line", "no_next_treatment"]
    masked = _mask(raw, parts, min_cell, total_known=True)
    masked = _mask(masked, ["persons"], min_cell, total_known=False)
    return masked.with_columns(
        _share("next_course", "persons").alias("share_retreated"),
        pl.lit(min_cell, pl.Int32).alias("min_cell_count"),
    )


def phases(engine: Engine, min_cell: int) -> pl.DataFrame:
    """Persons per phase; share = among persons whose phase is decided."""
    engine.run("summaries/phase_counts")
    order = ["newly_diagnosed", "persistent", "chronic", "insufficient_follow_up"]
    counts = dict(_frame(engine, "phase_counts").rows())
    raw = pl.DataFrame(
        {"phase": order, "persons": [counts.get(p, 0) for p in order]},
        schema={"phase": pl.String, "persons": pl.Int64},
    )
    hidden = suppress_cells(raw["persons"].to_list(), min_cell, total_known=True)
    decided = sum(counts.get(p, 0) for p in order[:3])
    shown = [None if h else n for n, h in zip(raw["persons"], hidden, strict=True)]
    share = [
        round(n / decided, 4) if n is not None and decided and p != order[3] else None
        for p, n in zip(order, shown, strict=True)
    ]
    return pl.DataFrame(
        {"phase": order, "persons": shown, "share_of_decided": share},
        schema={"phase": pl.String, "persons": pl.Int64, "share_of_decided": pl.Float64},
    ).with_columns(pl.lit(min_cell, pl.Int32).alias("min_cell_count"))


def switch_years(engine: Engine, min_cell: int) -> pl.DataFrame:
    engine.run("summaries/switch_years")
    raw = _frame(engine, "switch_year_counts")
    masked = _mask(raw, ["episodes"], min_cell, total_known=False)
    masked = _mask(masked, ["persons"], min_cell, total_known=False)
    return masked.with_columns(pl.lit(min_cell, pl.Int32).alias("min_cell_count"))
