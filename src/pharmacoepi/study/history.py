"""OUT/runs.parquet: a row per cohort/variant per run, appended as each one ends (so a run
killed outright still leaves the rows of what it finished), never rewritten short.

The file is replaced atomically (written beside, renamed over): a crash while appending
leaves the previous history whole.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pharmacoepi.outputs.write import replace_file

RUNS = "runs.parquet"

SCHEMA = {
    "run_id": pl.String,
    "study": pl.String,
    "cohort": pl.String,
    "variant": pl.String,
    "status": pl.String,  # built | up to date | failed | interrupted
    "reason": pl.String,
    "started_at": pl.String,  # ISO 8601, UTC
    "ended_at": pl.String,
    "seconds": pl.Float64,
    "definition_sha256": pl.String,  # the resolved definition, overrides and codelists
    "codelists_sha256": pl.String,
    "data_fingerprint": pl.String,
    "pharmacoepi_version": pl.String,
    "output_rows": pl.String,  # JSON: {file: rows} of the folder's aggregate files
    "source": pl.String,  # the data layout (claims, omop, snds)
    "engine": pl.String,  # duckdb or spark
}


def read_history(out: Path) -> pl.DataFrame:
    path = out / RUNS
    if not path.is_file():
        return pl.DataFrame(schema=SCHEMA)
    return pl.read_parquet(path)


def append(out: Path, row: dict) -> None:
    # diagonal: a history written before a column was added keeps its rows (null there)
    history = pl.concat(
        [read_history(out), pl.DataFrame([row], schema=SCHEMA)], how="diagonal_relaxed"
    )
    replace_file(out / RUNS, history.write_parquet)


def last_built(history: pl.DataFrame, cohort: str, variant: str) -> dict | None:
    """The last row of a cohort/variant whose outputs are current: built, or found up to
    date (which keeps the hashes of the build it confirmed). A failed or interrupted build
    left the previous outputs, so it does not count."""
    rows = history.filter(
        (pl.col("cohort") == cohort)
        & (pl.col("variant") == variant)
        & pl.col("status").is_in(["built", "up to date"])
    )
    return rows.row(-1, named=True) if rows.height else None
