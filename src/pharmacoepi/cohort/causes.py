"""Secondary cases by cause (secondary_causes.parquet): FAITH reports the share of adult
ITP that is secondary and its causes (malignancy 10.9%, myelodysplasia 2.3%; Moulis et al.,
Blood 2014). Raw here; the disclosure package masks it."""

from __future__ import annotations

import polars as pl

from pharmacoepi.definition import Definition
from pharmacoepi.plan import RunState, Step, python, sql

FILE = "secondary_causes.parquet"


def _table(state: RunState) -> None:
    counts = state.engine.frame("secondary_cause_counts")
    total = counts["persons"].sum()
    ordered = counts.sort(pl.col("cause") != "primary", "cause")
    state.results[FILE] = ordered.with_columns(
        (pl.col("persons") / total if total else pl.lit(None, pl.Float64)).alias("share")
    )


def steps(d: Definition) -> list[Step]:
    """When the definition has a primary rule: the counts, then the raw table."""
    if d.primary is None:
        return []
    return [
        sql("cohort/secondary_cause_counts", {"min_age": d.adult.min_age}),
        python(f"cohort/{FILE}", _table, inputs=("secondary_cause_counts",), gives=(FILE,)),
    ]
