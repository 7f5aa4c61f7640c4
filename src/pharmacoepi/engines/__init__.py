"""The engines that run the SQL stages, behind one interface (engines/base.py).

`make_engine` is the only place that knows both: DuckDB (embedded, the default) and
Spark (the same SQL transpiled by sqlglot; `pip install 'pharmacoepi[spark]'`).
"""

from __future__ import annotations

from pathlib import Path

from pharmacoepi.engines.base import Engine, FilePart, StageCallback, StageRecord
from pharmacoepi.errors import UserError

ENGINES = ("duckdb", "spark")

__all__ = ["ENGINES", "Engine", "FilePart", "StageRecord", "make_engine", "spark_available"]


def spark_available() -> bool:
    """PySpark is installed (the Spark engine still needs Java 17 or later to start)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return True


def make_engine(
    kind: str = "duckdb",
    threads: int | None = None,
    memory_limit: str | None = None,
    temp_directory: Path | None = None,
    on_stage: StageCallback | None = None,
    spark_master: str | None = None,
) -> Engine:
    """The engine that runs the SQL stages: DuckDB (embedded, the default) or Spark."""
    if kind == "duckdb":
        if spark_master:
            raise UserError("--spark-master needs --engine spark")
        from pharmacoepi.engines.duckdb import DuckDBEngine

        return DuckDBEngine(threads, memory_limit, temp_directory, on_stage=on_stage)
    if kind == "spark":
        try:
            from pharmacoepi.engines.spark import SparkEngine
        except ImportError as exc:  # sqlglot or PySpark: the optional extra is missing
            raise UserError(
                f"the Spark engine needs {exc.name or 'PySpark'}, which is not installed",
                hint="pip install 'pharmacoepi[spark]' (and Java 17 or later)",
            ) from None

        return SparkEngine(
            threads, memory_limit, temp_directory, on_stage=on_stage, master=spark_master
        )
    raise UserError(f"--engine {kind!r} is not an engine", hint=" or ".join(ENGINES))
