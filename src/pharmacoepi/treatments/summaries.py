"""Aggregate treatment tables (docs/treatments.md): the summary stages and the raw counts
they give, by output file. Nothing here is published as it is: every table passes through
the disclosure package, which masks it (pharmacoepi.disclosure)."""

from __future__ import annotations

import polars as pl

from pharmacoepi.definition import Definition
from pharmacoepi.plan import RunState, Step, python, sql


def _frame(table: str, file: str, derive=None) -> Step:
    """A Python step handing on an engine table's counts as the raw frame of `file`."""

    def keep(state: RunState) -> None:
        frame = state.engine.frame(table)
        state.results[file] = derive(frame) if derive else frame

    return python(f"summaries/{file}", keep, inputs=(table,), gives=(file,))


def _not_exposed(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        (pl.col("persons_in_follow_up") - pl.col("persons_exposed")).alias("persons_not_exposed")
    )


def steps(d: Definition) -> list[Step]:
    if d.treatments is None:
        return []
    plan = [
        sql("summaries/exposed_at", {"days_after_index": list(d.summaries.exposed_at_days)}),
        _frame("exposed_at_counts", "exposed_at.parquet", _not_exposed),
        sql("summaries/pathways"),
        _frame("pathway_counts", "pathways.parquet"),
        sql("summaries/course_outcome_counts"),
        _frame("course_outcome_counts", "retreatment.parquet"),
    ]
    if d.phase is not None:
        plan += [sql("summaries/phase_counts"), _frame("phase_counts", "phases.parquet")]
    if d.switches is not None:
        plan += [
            sql("summaries/switch_years"),
            _frame("switch_year_counts", "switch_types_by_year.parquet"),
        ]
    return plan
