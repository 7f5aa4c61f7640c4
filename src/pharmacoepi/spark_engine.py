"""The Spark engine: the same SQL stages, transpiled by sqlglot from DuckDB's dialect to
Spark SQL and run through PySpark (`--engine spark`, `pip install .[spark]`).

No second copy of the SQL: each stage's query is transpiled as it runs, its values bound
as Spark named parameters (`:name`, typed from the stage header), and the result
materialised (`localCheckpoint`) under the stage's table name, as DuckDB materialises a
temp table. Outputs are written by Spark as parquet; only small tables (attrition,
summaries, the per-person analysis tables the estimators read) reach the driver.

Local mode by default (`local[N]`, N = --threads or every core); `--spark-master` points
at a cluster (docs/scaling.md).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import sqlglot
from sqlglot import exp

from pharmacoepi.engine import StageRecord, sorted_frame, timed_stage
from pharmacoepi.errors import UserError
from pharmacoepi.stages import prepare_stage

_SPARK_TYPES = {
    "VARCHAR": "string",
    "INTEGER": "int",
    "BIGINT": "bigint",
    "DOUBLE": "double",
    "BOOLEAN": "boolean",
    "DATE": "date",
}
_ARROW_TO_SPARK = {
    pa.string(): "string",
    pa.large_string(): "string",
    pa.int32(): "int",
    pa.int64(): "bigint",
    pa.float64(): "double",
    pa.bool_(): "boolean",
    pa.date32(): "date",
}

_SESSION_LOCK = threading.Lock()
_SESSIONS: dict[tuple, Any] = {}


def spark_available() -> bool:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return True


def _session(master: str, memory: str | None):
    """One SparkSession per process and master: starting a JVM takes seconds, so builds
    and tests in one process share it (it stops at exit)."""
    if not spark_available():
        raise UserError(
            "the Spark engine needs PySpark",
            hint="pip install 'pharmacoepi[spark]' (and Java 17 or later)",
        )
    from pyspark.sql import SparkSession

    key = (master, memory)
    with _SESSION_LOCK:
        if key not in _SESSIONS:
            # the session outlives each run's spill folder: its scratch space is its own
            local_dir = tempfile.mkdtemp(prefix="pharmacoepi-spark-local-")
            atexit.register(shutil.rmtree, local_dir, True)
            if master.startswith("sc://"):  # Spark Connect: the server holds the config
                builder = SparkSession.builder.remote(master)
            else:
                builder = (
                    SparkSession.builder.master(master)
                    .appName("pharmacoepi")
                    .config("spark.ui.enabled", "false")
                    # few, adaptive shuffle partitions: extracts are filtered early
                    .config("spark.sql.shuffle.partitions", "8")
                    .config("spark.sql.adaptive.enabled", "true")
                    .config("spark.local.dir", local_dir)
                )
                if memory:
                    builder = builder.config("spark.driver.memory", memory)
            builder = builder.config("spark.sql.session.timeZone", "UTC")
            # extra settings, e.g. for tests on tiny tables ("key=value,key=value")
            for item in filter(None, os.environ.get("PHARMACOEPI_SPARK_CONF", "").split(",")):
                key, _, value = item.partition("=")
                builder = builder.config(key.strip(), value.strip())
            try:
                session = builder.getOrCreate()
            except Exception as exc:  # no Java, a wrong master URL: the user can fix it
                raise UserError(
                    f"cannot start Spark ({master}): {str(exc).splitlines()[0][:300]}",
                    hint="the Spark engine needs Java 17 or later (JAVA_HOME) and a "
                    "reachable --spark-master",
                ) from None
            if not master.startswith("sc://"):
                session.sparkContext.setLogLevel("ERROR")
            _SESSIONS[key] = session
            atexit.register(session.stop)
        return _SESSIONS[key]


def to_spark(sql: str) -> tuple[str, str]:
    """A stage's `CREATE ... TABLE name AS query` -> (name, the query in Spark SQL)."""
    statement = sqlglot.parse_one(sql, read="duckdb")
    if not isinstance(statement, exp.Create) or statement.expression is None:
        raise ValueError("a stage is one CREATE ... AS query statement")
    name = statement.this.name
    query = statement.expression.sql(dialect="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)
    return name, query


@dataclass
class SparkEngine:
    """Runs the pipeline's stages on Spark; the same methods as the DuckDB Engine."""

    threads: int | None = None
    memory_limit: str | None = None
    temp_directory: Path | None = None
    on_stage: Callable[[str, str], None] | None = None
    master: str | None = None
    records: list[StageRecord] = field(default_factory=list)
    name = "spark"

    def __post_init__(self) -> None:
        self.master = self.master or f"local[{self.threads or '*'}]"
        self.spark = _session(self.master, self.memory_limit)
        self._views: list[str] = []

    def __enter__(self) -> SparkEngine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        # The session is shared; drop this run's views and cached blocks only.
        catalog = self.spark.catalog
        for view in self._views:
            catalog.dropTempView(view)
        self._views.clear()

    def _arg(self, value: object, declared: str | None):
        """Spark binds literals and collection constructors only (no casts)."""
        from pyspark.sql import functions as F

        if declared and declared.endswith("[]"):
            return F.array(*[F.lit(v) for v in (value or [])])
        return value

    def run(
        self,
        name: str,
        params: dict[str, object] | None = None,
        identifiers: dict[str, str] | None = None,
    ) -> StageRecord:
        stage, params, sql = prepare_stage(name, params, identifiers)
        table, query = to_spark(sql)
        types = stage.param_types or {}
        args = {k: self._arg(v, types.get(k)) for k, v in params.items()}

        def work() -> int:
            frame = self.spark.sql(query, args=args) if args else self.spark.sql(query)
            # Materialise, as DuckDB's temp table: later stages read the result, not the
            # whole lineage again, and a stage may replace the table it reads.
            frame = self._materialise(frame)
            frame.createOrReplaceTempView(table)
            self._views.append(table)
            return frame.count()  # cheap on the checkpoint; loops stop on it (lines)

        return timed_stage(self, stage, work)

    @staticmethod
    def _materialise(frame):
        """A local checkpoint (executors' block storage, lineage cut), re-projected so a
        self-join of the result gets fresh column ids: a checkpoint alone makes Spark
        fail such joins with "key not found"."""
        from pyspark.sql import functions as F

        frame = frame.localCheckpoint(eager=True)
        return frame.select(*[F.col(f"`{c}`").alias(c) for c in frame.columns])

    def count(self, table: str) -> int:
        return self.spark.table(table).count()

    def register(self, name: str, table: pa.Table) -> None:
        schema = ", ".join(f"`{f.name}` {_ARROW_TO_SPARK[f.type]}" for f in table.schema)
        frame = self.spark.createDataFrame(table.to_pylist(), schema=schema)
        frame.createOrReplaceTempView(name)
        self._views.append(name)

    def register_frame(self, name: str, frame) -> None:
        frame.createOrReplaceTempView(name)
        self._views.append(name)

    def rows(self, table: str) -> list[tuple]:
        return [tuple(r) for r in self.spark.table(table).collect()]

    def frame(self, table: str) -> pl.DataFrame:
        return sorted_frame(pl.from_arrow(self.spark.table(table).toArrow()))

    def write_parquet(self, table: str, path: Path, order: str | None = None) -> None:
        """Spark writes the file (one partition, sorted), then it is moved to `path`, so
        outputs have one shape whatever the engine."""
        frame = self.spark.table(table).repartition(1)
        if order:
            frame = frame.sortWithinPartitions(*[c.strip() for c in order.split(",")])
        folder = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.spark")
        try:
            frame.write.mode("overwrite").parquet(str(folder))
            (part,) = sorted(folder.glob("part-*.parquet"))
            part.replace(path)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def settings(self) -> dict[str, object]:
        return {"name": self.name, "master": self.master, "spark": self.spark.version}


def register_claims(engine: SparkEngine, data_dir: Path) -> dict:
    """The claims layout as Spark views `raw_<table>`.

    The structural checks (tables, columns, types, ragged CSV) are the DuckDB reader's,
    run on a private connection that reads only footers and headers (and counts CSV
    lines); Spark then reads the same files, projected to the contract's columns."""
    import duckdb
    from pyspark.sql import functions as F

    from pharmacoepi.data.contract import TABLES_BY_NAME
    from pharmacoepi.data.reader import register_all

    with duckdb.connect() as con:
        tables = register_all(con, data_dir)
    reader = engine.spark.read
    for name, source in tables.items():
        columns = TABLES_BY_NAME[name].columns
        if source.format == "absent":
            frame = engine.spark.createDataFrame(
                [], ", ".join(f"`{c.name}` string" for c in columns)
            )
        else:
            files = [str(f) for f in source.files]
            if source.format == "csv":
                frame = reader.option("header", True).csv(files)  # all text, as DuckDB's
            else:
                frame = reader.option("mergeSchema", True).parquet(*files)
            present = {c.lower(): c for c in frame.columns}
            frame = frame.select(
                *[
                    F.col(present[c.name]).alias(c.name)
                    if c.name in present
                    else F.lit(None).cast("string").alias(c.name)
                    for c in columns
                ]
            )
        engine.register_frame(f"raw_{name}", frame)
    return tables
