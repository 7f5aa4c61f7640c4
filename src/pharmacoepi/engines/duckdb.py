"""The DuckDB engine (the default): one in-memory connection; stages create temp tables
(or views, for a source adapter's mapping) with bound parameters; inputs are read where
they lie, nothing is copied into a database file."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa

from pharmacoepi import interrupts
from pharmacoepi.engines.base import (
    Engine,
    FilePart,
    guarded,
    sorted_frame,
)
from pharmacoepi.engines.stages import Stage
from pharmacoepi.errors import NO_SPACE, NO_SPACE_HINT, UserError

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


def read_part(con: duckdb.DuckDBPyConnection, fmt: str, files: Sequence[Path], hive: bool):
    """The relation over one part's files, columns as stored. CSV: every column as text
    (typing and parse failures are the screening stages' business)."""
    if fmt == "parquet":
        return con.read_parquet(str(files[0]))
    if fmt == "parquet-folder":
        # union_by_name: yearly files that gained or lost an optional column still stack.
        return con.read_parquet([str(f) for f in files], hive_partitioning=hive, union_by_name=True)
    return con.read_csv(str(files[0]), header=True, all_varchar=True)


def _projected(con: duckdb.DuckDBPyConnection, part: FilePart):
    relation = read_part(con, part.format, part.files, part.hive)
    projection = [
        duckdb.ColumnExpression(source).alias(name)
        if source is not None
        else duckdb.ConstantExpression(None).alias(name)
        for name, source in part.columns
    ]
    projection += [duckdb.ConstantExpression(value).alias(name) for name, value in part.constants]
    return relation.project(*projection)


def _as_text(relation):
    return relation.project(
        *[
            duckdb.ColumnExpression(c).cast(duckdb.sqltype("VARCHAR")).alias(c)
            for c in relation.columns
        ]
    )


@dataclass
class DuckDBEngine(Engine):
    name = "duckdb"
    parent: DuckDBEngine | None = None  # set on a session opened by `session()`

    def __post_init__(self) -> None:
        if self.parent is not None:
            # a second connection to the same in-memory database: its own temp tables,
            # the database's shared tables readable
            self.con = self.parent.con.cursor()
            self._configure()
            return
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
        self._configure()

    def _configure(self) -> None:
        # The reporter shows stage progress; DuckDB's own bar would interleave with it.
        self.con.execute("SET enable_progress_bar = false")
        try:
            # Timestamps with a time zone keep their UTC calendar day on every machine.
            # Without the ICU extension DuckDB already casts in UTC and has no such setting.
            self.con.execute("SET TimeZone = 'UTC'")
        except duckdb.Error:
            pass

    def close(self) -> None:
        # Close on every exit, interrupts included, so DuckDB stops its threads in order.
        # (A session's close ends its own connection; the database lives on.)
        self.con.close()

    def share(self, table: str) -> None:
        # temp tables are the connection's own: the shared copy is a table of the
        # in-memory database, and the temp one is dropped (its memory freed)
        shared = f"shared_{table}"
        self._interruptibly(shared, lambda: self.con.table(table).create(shared))
        ((temporary,),) = self.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = $name",
            {"name": table},
        ).fetchall()
        if temporary and table.isidentifier():  # a stage's table name
            self.con.execute(f'DROP TABLE temp.main."{table}"')

    def session(self) -> DuckDBEngine:
        return DuckDBEngine(
            self.threads, self.memory_limit, self.temp_directory, self.on_stage, parent=self
        )

    @guarded("reading table {0}")
    def alias(self, view: str, table: str) -> None:
        self.con.table(table).create_view(view)

    def _create(self, stage: Stage, sql: str, params: dict[str, object]) -> int | None:
        self._interruptibly(stage.name, lambda: self.con.execute(sql, params))
        if stage.creates_view:
            return None  # counting a view over the input files would scan them
        return self.count(stage.creates)

    def user_error(self, doing: str, exc: Exception) -> UserError | None:
        if not isinstance(exc, _DATA_FAILURES):
            return None
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if any(marker in str(exc) for marker in NO_SPACE):
            hint = NO_SPACE_HINT
        elif isinstance(exc, duckdb.OutOfMemoryException):
            hint = "raise --memory-limit, or lower --threads (each thread needs memory)"
        elif isinstance(exc, (duckdb.IOException, duckdb.PermissionException)):
            hint = "check that every input file is complete and readable"
        else:
            hint = "an input value cannot be read as the data contract says (docs/data-model.md)"
        return UserError(f"{doing} failed: {message}", hint=hint)

    def _interruptibly(self, name: str, work):
        """Run `work` (a call into DuckDB) in a worker thread while the main thread waits
        in short steps, and return its result.

        A query running in the main thread holds off Python's signal handlers until it
        returns (minutes, at national size), and an exception raised by a handler inside
        DuckDB's own Python callbacks would abort the process. So the main thread waits,
        with stop requests recorded rather than raised (pharmacoepi.interrupts); when one
        comes, DuckDB is told to stop, and Interrupted is raised once it has.
        """
        result: list = []
        failure: list[BaseException] = []
        done = threading.Event()

        def run() -> None:
            try:
                result.append(work())
            except BaseException as exc:  # handed to the main thread below
                failure.append(exc)
            finally:
                done.set()

        with interrupts.deferred():
            # An Event, not Thread.join: a join cut short by an exception can report the
            # thread finished while it still runs (CPython 3.11), and close() would race.
            threading.Thread(target=run, name=f"duckdb:{name}", daemon=True).start()
            try:
                while not done.wait(0.2):
                    if interrupts.requested() is not None:
                        self.con.interrupt()
                        break
            except BaseException:  # raised by another handler than ours: stop DuckDB too
                self.con.interrupt()
                done.wait()
                raise
            done.wait()  # never leave DuckDB working while the run unwinds
        interrupts.check()  # a stop asked for during the call: act on it now
        if failure:
            raise failure[0]
        return result[0]

    @guarded("registering {0}")
    def register(self, name: str, table: pa.Table) -> None:
        # DuckDB reads a registered Python object through its own callbacks into Python:
        # a stop raised by our handler inside one comes back as a data error ("reading
        # the object registered as ... failed: Interrupted"), exit 2 instead of 143 (found
        # by the 50 SIGTERMs of make test-signals). Registering is quick: record a stop
        # meanwhile, act on it right after.
        with interrupts.deferred():
            self.con.register(name, table)
        interrupts.check()

    @guarded("reading the files of {0}")
    def register_files(self, name: str, parts: Sequence[FilePart]) -> None:
        relations = [_projected(self.con, part) for part in parts]
        relation = relations[0]
        for other in relations[1:]:
            same = [str(t) for t in relation.types] == [str(t) for t in other.types]
            # yearly files may type a column differently (text in one, integer in another)
            relation = relation.union(other) if same else _as_text(relation).union(_as_text(other))
        relation.create_view(name)

    @guarded("reading table {0}")
    def schema(self, name: str) -> dict[str, str]:
        relation = self.con.table(name)
        return {c: str(t) for c, t in zip(relation.columns, relation.types, strict=True)}

    @guarded("reading table {0}")
    def count(self, table: str) -> int:
        return self._interruptibly(table, lambda: self.con.table(table).count("*").fetchall())[0][0]

    @guarded("reading table {0}")
    def rows(self, table: str) -> list[tuple]:
        return self._interruptibly(table, lambda: self.con.table(table).fetchall())

    @guarded("reading table {0}")
    def frame(self, table: str) -> pl.DataFrame:
        return sorted_frame(self._interruptibly(table, lambda: self.con.table(table).pl()))

    @guarded("writing table {0}")
    def write_parquet(self, table: str, path: Path, order: str | None = None) -> None:
        relation = self.con.table(table)
        if order:  # names quoted: a column may be a keyword ("window")
            relation = relation.order(", ".join(f'"{c.strip()}"' for c in order.split(",")))
        self._interruptibly(table, lambda: relation.write_parquet(str(path)))

    def settings(self) -> dict[str, Any]:
        return {"name": self.name, "threads": self.threads, "memory_limit": self.memory_limit}
