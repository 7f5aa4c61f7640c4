"""The DuckDB engine: one in-memory connection, stages run with bound parameters and timed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from pharmacoepi.errors import UserError
from pharmacoepi.stages import Stage, prepare_stage


@dataclass
class StageRecord:
    stage: str
    creates: str
    rows: int | None  # None for a view (not counted)
    seconds: float


# DuckDB failures caused by the inputs or the settings, not by pharmacoepi: reported as
# user errors (exit 2). Anything else (binder, parser, internal errors) is a bug and keeps
# its traceback.
_DATA_FAILURES = (
    duckdb.ConversionException,
    duckdb.IOException,
    duckdb.InvalidInputException,
    duckdb.OutOfMemoryException,
    duckdb.OutOfRangeException,
    duckdb.PermissionException,
)


def _as_user_error(stage: str, exc: Exception) -> UserError:
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, duckdb.OutOfMemoryException):
        hint = "raise --memory-limit, or lower --threads (each thread needs memory)"
    elif isinstance(exc, (duckdb.IOException, duckdb.PermissionException)):
        hint = "check that every input file is complete and readable"
    else:
        hint = "an input value cannot be read as the data contract says (docs/data-model.md)"
    return UserError(f"stage {stage} failed: {message}", hint=hint)


def timed_stage(engine, stage: Stage, work: Callable[[], int | None]) -> StageRecord:
    """Run one stage's work (returning its row count) for either engine: time it, record
    it, and tell the progress display it started, ended or aborted."""
    if engine.on_stage:
        engine.on_stage("start", stage.name)
    started = time.perf_counter()
    finished = False
    try:
        rows = work()
        finished = True
    finally:
        if engine.on_stage and not finished:
            engine.on_stage("abort", stage.name)  # stop a live spinner before any message
    record = StageRecord(stage.name, stage.creates, rows, time.perf_counter() - started)
    engine.records.append(record)
    if engine.on_stage:
        engine.on_stage("end", stage.name)
    return record


def sorted_frame(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns, nulls_last=True) if frame.width else frame


def make_engine(
    kind: str = "duckdb",
    threads: int | None = None,
    memory_limit: str | None = None,
    temp_directory: Path | None = None,
    on_stage: Callable[[str, str], None] | None = None,
    spark_master: str | None = None,
):
    """The engine that runs the SQL stages: DuckDB (embedded, the default) or Spark."""
    if kind == "duckdb":
        if spark_master:
            raise UserError("--spark-master needs --engine spark")
        return Engine(threads, memory_limit, temp_directory, on_stage=on_stage)
    if kind == "spark":
        from pharmacoepi.spark_engine import SparkEngine

        return SparkEngine(threads, memory_limit, temp_directory, on_stage, master=spark_master)
    raise UserError(f"--engine {kind!r} is not an engine", hint="duckdb or spark")


@dataclass
class Engine:
    threads: int | None = None
    memory_limit: str | None = None
    temp_directory: Path | None = None
    on_stage: Callable[[str, str], None] | None = None  # (event, stage) for progress display
    records: list[StageRecord] = field(default_factory=list)

    def __post_init__(self) -> None:
        config: dict[str, str | int] = {}
        if self.threads:
            config["threads"] = self.threads
        if self.memory_limit:
            config["memory_limit"] = self.memory_limit
        if self.temp_directory:
            config["temp_directory"] = str(self.temp_directory)
        try:
            self.con = duckdb.connect(config=config)
        except duckdb.Error as exc:
            raise UserError(
                f"cannot start DuckDB with these settings: {str(exc).splitlines()[0]}",
                hint="--threads takes a positive integer, --memory-limit a size such as 8GB",
            ) from None
        # The reporter shows stage progress; DuckDB's own bar would interleave with it.
        self.con.execute("SET enable_progress_bar = false")
        try:
            # Timestamps with a time zone keep their UTC calendar day on every machine.
            # Without the ICU extension DuckDB already casts in UTC and has no such setting.
            self.con.execute("SET TimeZone = 'UTC'")
        except duckdb.Error:
            pass

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        # Close on every exit, interrupts included, so DuckDB stops its threads in order.
        self.con.close()

    def run(
        self,
        name: str,
        params: dict[str, object] | None = None,
        identifiers: dict[str, str] | None = None,
    ) -> StageRecord:
        """Run sql/<name>.sql, which creates one temp table; return its row count and time."""
        stage, params, sql = prepare_stage(name, params, identifiers)

        def work() -> int | None:
            try:
                self._execute_interruptibly(name, sql, params)
            except _DATA_FAILURES as exc:
                raise _as_user_error(name, exc) from None
            if stage.creates_view:
                return None
            return self.con.table(stage.creates).count("*").fetchall()[0][0]

        return timed_stage(self, stage, work)

    def _execute_interruptibly(self, name: str, sql: str, params: dict[str, object]) -> None:
        """Run the query in a worker thread while the main thread waits in short joins.

        A query running in the main thread holds off Python's signal handlers until it
        returns (minutes, at national size). Waiting here lets Ctrl-C or SIGTERM raise at
        once; DuckDB is then told to stop, and the run unwinds through its cleanup.
        """
        failure: list[BaseException] = []
        done = threading.Event()

        def work() -> None:
            try:
                self.con.execute(sql, params)
            except BaseException as exc:  # handed to the main thread below
                failure.append(exc)
            finally:
                done.set()

        # An Event, not Thread.join: a join cut short by an exception can report the
        # thread finished while it still runs (CPython 3.11), and close() would then race.
        threading.Thread(target=work, name=f"duckdb:{name}", daemon=True).start()
        try:
            while not done.wait(0.2):
                pass
        except BaseException:
            self.con.interrupt()
            done.wait()
            raise
        if failure:
            raise failure[0]

    def count(self, table: str) -> int:
        return self.con.table(table).count("*").fetchall()[0][0]

    # The engine-neutral surface the pipeline uses besides run(): the Spark engine
    # (spark_engine.py) provides the same methods.

    name = "duckdb"

    def register(self, name: str, table: pa.Table) -> None:
        """Expose a small in-memory table (codelists, classes) to the SQL stages."""
        self.con.register(name, table)

    def rows(self, table: str) -> list[tuple]:
        return self.con.table(table).fetchall()

    def frame(self, table: str) -> pl.DataFrame:
        """A table as a Polars frame (analysis tables: about one row per person), in a
        defined row order, so float sums in the estimators do not depend on the engine's
        parallel scheduling (DuckDB and Spark then agree to the last bit)."""
        return sorted_frame(self.con.table(table).pl())

    def write_parquet(self, table: str, path: Path, order: str | None = None) -> None:
        relation = self.con.table(table)
        (relation.order(order) if order else relation).write_parquet(str(path))

    def settings(self) -> dict[str, object]:
        return {"name": self.name, "threads": self.threads, "memory_limit": self.memory_limit}
