"""The DuckDB engine: one in-memory connection, stages run with bound parameters and timed."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pharmacoepi.errors import UserError
from pharmacoepi.stages import load_stage


@dataclass
class StageRecord:
    stage: str
    creates: str
    rows: int
    seconds: float


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

    def run(
        self,
        name: str,
        params: dict[str, object] | None = None,
        identifiers: dict[str, str] | None = None,
    ) -> StageRecord:
        """Run sql/<name>.sql, which creates one temp table; return its row count and time."""
        stage = load_stage(name)
        params = params or {}
        stage.check_params(params)
        sql = stage.render(identifiers)
        if self.on_stage:
            self.on_stage("start", name)
        started = time.perf_counter()
        self.con.execute(sql, params)
        rows = self.con.table(stage.creates).count("*").fetchall()[0][0]
        record = StageRecord(name, stage.creates, rows, time.perf_counter() - started)
        self.records.append(record)
        if self.on_stage:
            self.on_stage("end", name)
        return record

    def count(self, table: str) -> int:
        return self.con.table(table).count("*").fetchall()[0][0]

    def version(self) -> str:
        return duckdb.__version__
