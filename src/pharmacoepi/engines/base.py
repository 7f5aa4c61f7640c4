"""What every engine offers the pipeline: run a SQL stage, register in-memory tables and
input files, read tables back, write outputs. `run` is written once, here; an engine
supplies only what differs (how a stage's result is created, how files are read, how its
failures map to user errors).

Nothing here knows a data layout: files reach an engine as `FileParts` (format, paths,
projection, constants), found and checked by `pharmacoepi.sources.files`.
"""

from __future__ import annotations

import functools
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, NoReturn

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from pharmacoepi.engines.stages import Stage, prepare_stage
from pharmacoepi.errors import UserError

# The progress display's callback: (event, stage name), event 'start' | 'abort' | 'end';
# 'end' adds the rows of the table the stage created (None for a view), as recorded: the
# display never costs a query.
StageCallback = Callable[..., None]


@dataclass
class StageRecord:
    stage: str
    creates: str
    rows: int | None  # None for a view (not counted)
    seconds: float


@dataclass(frozen=True)
class FilePart:
    """One readable unit of an input table: a parquet file, a folder of parquet files
    (hive partitions included) or a CSV file, projected onto the wanted columns.

    `columns` maps each output column to the file's column that fills it, or to None
    (an absent optional column: all NULL). `constants` adds text columns with one value
    per part (a yearly file's year)."""

    format: str  # parquet | parquet-folder | csv
    files: tuple[Path, ...]
    hive: bool = False
    columns: tuple[tuple[str, str | None], ...] = ()
    constants: tuple[tuple[str, str | None], ...] = ()

    @property
    def output_columns(self) -> list[str]:
        return [name for name, _ in self.columns] + [name for name, _ in self.constants]


def guarded(doing: str):
    """Map an engine failure inside the method to the user error it stands for (bad input,
    too little memory, a full disk), as `run` does for stages: `doing` names the work,
    formatted with the method's first argument ("reading {0}")."""

    def wrap(method):
        @functools.wraps(method)
        def inner(self, name, *args, **kwargs):
            try:
                return method(self, name, *args, **kwargs)
            except Exception as exc:
                self.raise_mapped(doing.format(name), exc)

        return inner

    return wrap


def timed_stage(engine: Engine, stage: Stage, work: Callable[[], int | None]) -> StageRecord:
    """Run one stage's work (returning its row count): time it, record it, and tell the
    progress display it started, ended or aborted."""
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
        engine.on_stage("end", stage.name, rows)
    return record


def sorted_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """A frame in a defined row order, so float sums in the estimators do not depend on
    the engine's parallel scheduling (DuckDB and Spark then agree to the last bit)."""
    return frame.sort(frame.columns, nulls_last=True) if frame.width else frame


@dataclass
class Engine(ABC):
    """One session of an engine; a context manager. Tables live for the session."""

    threads: int | None = None
    memory_limit: str | None = None
    temp_directory: Path | None = None
    on_stage: StageCallback | None = None  # for the progress display
    records: list[StageRecord] = field(default_factory=list)
    name: ClassVar[str]

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def run(
        self,
        name: str,
        params: dict[str, object] | None = None,
        identifiers: dict[str, str] | None = None,
    ) -> StageRecord:
        """Run sql/<name>.sql, which creates one table or view; record its time and rows."""
        stage, params, sql = prepare_stage(name, params, identifiers)

        def work() -> int | None:
            try:
                return self._create(stage, sql, params)
            except Exception as exc:
                self.raise_mapped(f"stage {stage.name}", exc)

        return timed_stage(self, stage, work)

    def raise_mapped(self, doing: str, exc: Exception) -> NoReturn:
        """Raise the user error `exc` stands for (without the engine's traceback), or
        `exc` itself when it is a bug in pharmacoepi. Called while handling `exc`."""
        error = self.user_error(doing, exc)
        if error is None:
            raise exc
        raise error from None

    # What each engine supplies.

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def _create(self, stage: Stage, sql: str, params: dict[str, object]) -> int | None:
        """Create the stage's table (returning its rows) or view (returning None)."""

    @abstractmethod
    def user_error(self, doing: str, exc: Exception) -> UserError | None:
        """The user error an engine failure in `doing` ("stage cohort/incident", "reading
        raw_persons") stands for (bad input, too little memory, a full disk), or None for a
        bug in pharmacoepi, which keeps its traceback."""

    @abstractmethod
    def register(self, name: str, table: pa.Table) -> None:
        """Expose a small in-memory table (codelists, classes, settings) to the stages."""

    @abstractmethod
    def register_files(self, name: str, parts: Sequence[FilePart]) -> None:
        """A view `name` over input files: every part read, projected, stacked by column
        name (parts typed differently are stacked as text)."""

    @abstractmethod
    def schema(self, name: str) -> dict[str, str]:
        """Column -> type, in DuckDB's type names (BIGINT, VARCHAR, DATE ...)."""

    @abstractmethod
    def count(self, table: str) -> int: ...

    @abstractmethod
    def rows(self, table: str) -> list[tuple]: ...

    @abstractmethod
    def frame(self, table: str) -> pl.DataFrame:
        """A table as a Polars frame, in a defined row order (see sorted_frame)."""

    @abstractmethod
    def write_parquet(self, table: str, path: Path, order: str | None = None) -> None: ...

    @abstractmethod
    def settings(self) -> dict[str, Any]:
        """What the manifest records of the engine (name, threads, versions)."""

    # One scan for several definitions (pipeline/scan.py): the screening runs once in
    # this session, each definition in a session of its own reading the shared tables.

    @abstractmethod
    def share(self, table: str) -> None:
        """Make `table` readable as `shared_<table>` by the sessions `session()` opens (a
        copy the engine may keep instead of the original, which is then gone)."""

    @abstractmethod
    def session(self) -> Engine:
        """A new session on this engine: its own tables and stage records, the shared
        tables readable. Closed before this one."""

    @abstractmethod
    def alias(self, view: str, table: str) -> None:
        """A view `view` over the table `table` (a shared table under its usual name)."""

    # Keeping a table between sessions (incremental runs: a step's result kept on disk).

    def materialise(self, table: str, path: Path) -> None:
        """Write a table to one parquet file, to be attached by a later session."""
        self.write_parquet(table, path)

    def attach(self, name: str, path: Path) -> None:
        """A parquet file written by `materialise`, read back as the view `name`."""
        columns = tuple((c, c) for c in pq.read_schema(path).names)
        self.register_files(name, [FilePart("parquet", (path,), columns=columns)])
