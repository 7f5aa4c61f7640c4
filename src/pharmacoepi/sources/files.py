"""The one reader of input files, for every layout: find a table's files in a data folder,
read their columns and types and count their rows, then hand them to the engine.

A table is one file (`NAME.parquet`, `NAME.csv`, `NAME.csv.gz`), a folder of parquet files
(hive partitions `NAME/key=value/*.parquet` included), or, for tables a layout splits by
year (SNDS's T_MCO09B, T_MCO10B ...), every file or folder whose name matches the
table's pattern. Names match case-insensitively (SNDS extracts are upper-case, OMOP
exports lower-case). Files are read where they lie: nothing is copied.

The inspection reads parquet footers and CSV files with DuckDB as a file library, on a
connection of its own and the same read options as the DuckDB engine, whatever engine
then runs the stages; structural problems (a file that cannot be read, a ragged CSV line)
raise DataError here, before any stage runs. CSV values are all read as text: the
screening stages type them, and set aside what does not parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pharmacoepi.engines.duckdb import read_part
from pharmacoepi.errors import DataError

_SUFFIXES = (".parquet", ".csv.gz", ".csv")
_UNREADABLE_HINT = (
    "check that every file is a complete parquet file, or a UTF-8 CSV file with a header "
    "line and the same number of fields on every line"
)


@dataclass(frozen=True)
class SourceTable:
    """Where one table was found, how it reads, and what the manifest records of it."""

    name: str
    format: str  # parquet | parquet-folder | csv | absent | mixed
    files: tuple[Path, ...]
    rows: int
    id_types: dict[str, str]  # person_id / stay_id -> BIGINT or VARCHAR (claims only)
    # columns read under another name (SNDS project extracts: ben_nir_psa <- NUM_ENQ)
    renamed: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Found:
    """A file or folder holding (part of) a table."""

    path: Path
    format: str  # parquet | parquet-folder | csv
    match: re.Match  # the name against the table's pattern (groups: e.g. the file's year)


@dataclass(frozen=True)
class Inspected:
    """What reading the footers or the CSV told: the files, columns as stored (DuckDB
    type names), hive partitioning and the row count."""

    found: Found
    files: tuple[Path, ...]
    hive: bool
    types: dict[str, str]
    rows: int
    # parquet: each file's own columns (lower-case); a folder's union may hide a file
    # that lacks one
    file_columns: dict[Path, frozenset[str]] | None = None

    def column(self, name: str) -> str | None:
        """The stored column holding `name` (case ignored), or None."""
        return {c.lower(): c for c in self.types}.get(name.lower())

    def files_without(self, name: str) -> list[Path]:
        """The files of a folder that lack a column the folder as a whole has: stacked by
        name, they would read as empty values of it, silently."""
        if not self.file_columns:
            return []
        return [f for f, columns in self.file_columns.items() if name.lower() not in columns]

    def check_required(self, columns, what: str) -> None:
        """Every file holds every required column, else DataError naming the first."""
        for name in columns:
            lacking = self.files_without(name)
            if lacking:
                raise DataError(
                    f"{what}: column {name!r} is missing from {len(lacking)} of its "
                    f"{len(self.files)} files",
                    where=str(lacking[0]),
                    hint="every file of a table holds every required column (a file without "
                    "one would be read as empty values of it, and change the results)",
                )


def _format(path: Path) -> tuple[str, str] | None:
    """(name without suffix, format) of a directory entry, or None if not a table file."""
    if path.is_dir():
        return path.name, "parquet-folder"
    for suffix in _SUFFIXES:
        if path.name.lower().endswith(suffix):
            return path.name[: -len(suffix)], "csv" if suffix.startswith(".csv") else "parquet"
    return None


def check_folder(data_dir: Path, hint: str) -> None:
    if not data_dir.is_dir():
        raise DataError("data directory not found", where=str(data_dir), hint=hint)


def find(data_dir: Path, pattern: str) -> list[Found]:
    """Every file or folder of `data_dir` whose name without suffix matches `pattern`."""
    found = []
    for path in sorted(data_dir.iterdir()):
        named = _format(path)
        if named is None:
            continue
        match = re.fullmatch(pattern, named[0], re.IGNORECASE)
        if match is not None:
            found.append(Found(path, named[1], match))
    return found


def _base_type(type_name: str) -> str:
    # DECIMAL(18,3) -> DECIMAL; TIMESTAMP WITH TIME ZONE stays whole.
    return type_name.split("(")[0].strip()


def inspect(found: Found, what: str) -> Inspected:
    """Columns, types and rows of one found file or folder; `what` names the table in
    messages ("table 'persons'", "OMOP CDM table 'person'")."""
    files: tuple[Path, ...] = (found.path,)
    hive = False
    if found.format == "parquet-folder":
        files = tuple(sorted(found.path.rglob("*.parquet")))
        if not files:
            raise DataError(
                f"{what}: folder has no parquet files",
                where=str(found.path),
                hint="a table folder holds NAME/*.parquet or hive partitions "
                "NAME/key=value/*.parquet",
            )
        hive = any("=" in p.parent.name for p in files)
    try:
        with duckdb.connect() as con:
            relation = read_part(con, found.format, files, hive)
            types = {
                c: _base_type(str(t)) for c, t in zip(relation.columns, relation.types, strict=True)
            }
            # Counting reads every CSV row (parquet: the footers): a file that is corrupt
            # or ragged past the sniffed sample fails here, with a message, not mid-run.
            file_columns = None
            if found.format == "csv":
                rows = relation.count("*").fetchall()[0][0]
            else:
                footers = {f: pq.ParquetFile(f) for f in files}
                rows = sum(p.metadata.num_rows for p in footers.values())
                file_columns = {
                    f: frozenset(n.lower() for n in p.schema_arrow.names)
                    for f, p in footers.items()
                }
    except (duckdb.Error, pa.ArrowException, OSError) as exc:
        raise DataError(
            f"{what} cannot be read: {str(exc).splitlines()[0]}",
            where=str(found.path),
            hint=_UNREADABLE_HINT,
        ) from None
    return Inspected(found, files, hive, types, rows, file_columns)


def empty_table(columns: list[str]) -> pa.Table:
    """An absent optional table: its columns, no rows (text, as a CSV would read)."""
    return pa.table({c: pa.array([], pa.string()) for c in columns})
