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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import sqlglot
from sqlglot import exp

from pharmacoepi.engines.base import (
    Engine,
    FilePart,
    guarded,
    sorted_frame,
)
from pharmacoepi.engines.stages import Stage
from pharmacoepi.errors import NO_SPACE, NO_SPACE_HINT, UserError

_ARROW_TO_SPARK = {
    pa.string(): "string",
    pa.large_string(): "string",
    pa.int32(): "int",
    pa.int64(): "bigint",
    pa.float64(): "double",
    pa.bool_(): "boolean",
    pa.date32(): "date",
}

# Spark's types in DuckDB's names (Engine.schema speaks one dialect whatever the engine).
_DUCKDB_TYPES = {
    "string": "VARCHAR",
    "tinyint": "TINYINT",
    "smallint": "SMALLINT",
    "int": "INTEGER",
    "bigint": "BIGINT",
    "float": "FLOAT",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
    "timestamp_ntz": "TIMESTAMP",
}

# Spark failures caused by the inputs or the settings (by the exception's class name, or a
# marker in its message: Java errors reach Python as Py4J errors), with the user's hint.
_VALUE_FAILURES = ("NumberFormatException", "DateTimeException", "ArithmeticException")
_FILE_MARKERS = (
    "FAILED_READ_FILE",
    "FileNotFoundException",
    "PATH_NOT_FOUND",
    "CANNOT_READ_FILE_FOOTER",
    "ParquetDecodingException",
    "java.io.IOException",
)
_MEMORY_MARKERS = ("OutOfMemoryError",)

_SESSION_LOCK = threading.Lock()
_SESSIONS: dict[tuple, Any] = {}


def _session(master: str, memory: str | None):
    """One SparkSession per process and master: starting a JVM takes seconds, so builds
    and tests in one process share it (it stops at exit)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise UserError(
            "the Spark engine needs PySpark",
            hint="pip install 'pharmacoepi[spark]' (and Java 17 or later)",
        ) from None

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
class SparkEngine(Engine):
    """Runs the pipeline's stages on Spark; a session's temp views are its tables."""

    master: str | None = None
    name = "spark"

    def __post_init__(self) -> None:
        self.master = self.master or f"local[{self.threads or '*'}]"
        self.spark = _session(self.master, self.memory_limit)
        self._views: list[str] = []

    def close(self) -> None:
        # The session is shared; drop this run's views and cached blocks only.
        catalog = self.spark.catalog
        for view in self._views:
            catalog.dropTempView(view)
        self._views.clear()

    def share(self, table: str) -> None:
        # one SparkSession per process: the shared table is a view of the same checkpoint
        # under another name, and the original name is dropped
        self._name(f"shared_{table}", self.spark.table(table))
        self.spark.catalog.dropTempView(table)
        self._views = [v for v in self._views if v != table]

    def session(self) -> SparkEngine:
        # the process's SparkSession again (temp views are one namespace: a session's
        # tables are kept apart by the plan, which reads only what it created or shared,
        # and dropped when it closes)
        return SparkEngine(
            self.threads, self.memory_limit, self.temp_directory, self.on_stage,
            master=self.master,
        )  # fmt: skip

    @guarded("reading table {0}")
    def alias(self, view: str, table: str) -> None:
        self._name(view, self.spark.table(table))

    def _arg(self, value: object, declared: str | None):
        """Spark binds literals and collection constructors only (no casts)."""
        from pyspark.sql import functions as F

        if declared and declared.endswith("[]"):
            return F.array(*[F.lit(v) for v in (value or [])])
        return value

    def _create(self, stage: Stage, sql: str, params: dict[str, object]) -> int | None:
        table, query = to_spark(sql)
        types = stage.param_types
        args = {k: self._arg(v, types.get(k)) for k, v in params.items()}
        frame = self.spark.sql(query, args=args) if args else self.spark.sql(query)
        if stage.creates_view:
            # a source adapter's view over the input files: read by the stages after it,
            # as DuckDB's view is, not materialised nor counted
            self._name(table, frame)
            return None
        # Materialise, as DuckDB's temp table: later stages read the result, not the
        # whole lineage again, and a stage may replace the table it reads.
        frame = self._materialise(frame)
        self._name(table, frame)
        return frame.count()  # cheap on the checkpoint; loops stop on it (lines)

    def user_error(self, doing: str, exc: Exception) -> UserError | None:
        names = {cls.__name__ for cls in type(exc).__mro__}
        text = str(exc)
        message = (text.strip().splitlines() or [type(exc).__name__])[0][:300]
        if any(marker in text for marker in NO_SPACE):
            hint = NO_SPACE_HINT
        elif any(marker in text for marker in _MEMORY_MARKERS):
            hint = "raise --memory-limit (the driver's memory), or run on a cluster"
        elif any(marker in text for marker in _FILE_MARKERS):
            hint = "check that every input file is complete and readable"
        elif any(n.endswith(_VALUE_FAILURES) for n in names):
            hint = "an input value cannot be read as the data contract says (docs/data-model.md)"
        else:
            return None
        return UserError(f"{doing} failed: {message}", hint=hint)

    def _name(self, name: str, frame) -> None:
        frame.createOrReplaceTempView(name)
        self._views.append(name)

    @staticmethod
    def _materialise(frame):
        """A local checkpoint (executors' block storage, lineage cut), re-projected so a
        self-join of the result gets fresh column ids: a checkpoint alone makes Spark
        fail such joins with "key not found"."""
        from pyspark.sql import functions as F

        frame = frame.localCheckpoint(eager=True)
        return frame.select(*[F.col(f"`{c}`").alias(c) for c in frame.columns])

    @guarded("registering {0}")
    def register(self, name: str, table: pa.Table) -> None:
        schema = ", ".join(f"`{f.name}` {_ARROW_TO_SPARK[f.type]}" for f in table.schema)
        self._name(name, self.spark.createDataFrame(table.to_pylist(), schema=schema))

    def _read(self, part: FilePart):
        from pyspark.sql import functions as F

        files = [str(f) for f in part.files]
        if part.format == "csv":
            frame = self.spark.read.option("header", True).csv(files)  # all text, as DuckDB's
        else:
            frame = self.spark.read.option("mergeSchema", True).parquet(*files)
        columns = [
            F.col(f"`{source}`").alias(name)
            if source is not None
            else F.lit(None).cast("string").alias(name)
            for name, source in part.columns
        ]
        columns += [F.lit(value).cast("string").alias(name) for name, value in part.constants]
        return frame.select(*columns)

    @guarded("reading the files of {0}")
    def register_files(self, name: str, parts: Sequence[FilePart]) -> None:
        frames = [self._read(part) for part in parts]
        frame = frames[0]
        for other in frames[1:]:
            if frame.dtypes != other.dtypes:  # stacked as text, as on DuckDB
                frame, other = (f.select(*[f[c].cast("string").alias(c) for c in f.columns])
                                for f in (frame, other))  # fmt: skip
            frame = frame.unionByName(other)
        self._name(name, frame)

    @guarded("reading table {0}")
    def schema(self, name: str) -> dict[str, str]:
        return {
            column: _DUCKDB_TYPES.get(spark_type, spark_type.upper())
            for column, spark_type in self.spark.table(name).dtypes
        }

    @guarded("reading table {0}")
    def count(self, table: str) -> int:
        return self.spark.table(table).count()

    @guarded("reading table {0}")
    def rows(self, table: str) -> list[tuple]:
        return [tuple(r) for r in self.spark.table(table).collect()]

    @guarded("reading table {0}")
    def frame(self, table: str) -> pl.DataFrame:
        return sorted_frame(pl.from_arrow(self.spark.table(table).toArrow()))

    @guarded("writing table {0}")
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

    def settings(self) -> dict[str, Any]:
        return {"name": self.name, "master": self.master, "spark": self.spark.version}
