"""Find each contract table in a data directory and expose it to DuckDB as `raw_<table>`.

Inputs are read where they lie (parquet, hive-partitioned parquet folders, CSV): nothing is
copied into a database file. Structural problems (missing table or column, a column of a
type that cannot hold its kind, ambiguous files) raise DataError and stop the run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pharmacoepi.data.contract import ACCEPTED_TYPES, INTEGER_TYPES, TABLES, Table
from pharmacoepi.errors import DataError

_COLUMN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


@dataclass(frozen=True)
class SourceTable:
    """Where one table was found, how it reads, and what the manifest records of it."""

    name: str
    format: str  # parquet | parquet-folder | csv | absent
    files: tuple[Path, ...]
    rows: int
    id_types: dict[str, str]  # person_id / stay_id -> BIGINT or VARCHAR


def _candidates(data_dir: Path, name: str) -> list[tuple[str, Path]]:
    found = []
    if (data_dir / f"{name}.parquet").is_file():
        found.append(("parquet", data_dir / f"{name}.parquet"))
    if (data_dir / name).is_dir():
        found.append(("parquet-folder", data_dir / name))
    for suffix in (".csv", ".csv.gz"):
        if (data_dir / f"{name}{suffix}").is_file():
            found.append(("csv", data_dir / f"{name}{suffix}"))
    return found


def _base_type(type_name: str) -> str:
    # DECIMAL(18,3) -> DECIMAL; TIMESTAMP WITH TIME ZONE stays whole.
    return type_name.split("(")[0].strip()


def read_files(con: duckdb.DuckDBPyConnection, name: str, fmt: str, path: Path):
    """A table's file(s) as a relation, and the files read. CSV: every column as text
    (typing and parse failures are the screening stages' business)."""
    if fmt == "parquet":
        return con.read_parquet(str(path)), (path,)
    if fmt == "parquet-folder":
        files = tuple(sorted(path.rglob("*.parquet")))
        if not files:
            raise DataError(
                f"table {name!r}: folder has no parquet files",
                where=str(path),
                hint="a table folder holds NAME/*.parquet or hive partitions "
                "NAME/key=value/*.parquet",
            )
        hive = any("=" in p.parent.name for p in files)
        # union_by_name: yearly files that gained or lost an optional column still stack.
        files_text = [str(f) for f in files]
        return con.read_parquet(files_text, hive_partitioning=hive, union_by_name=True), files
    return con.read_csv(str(path), header=True, all_varchar=True), (path,)


def row_count(rel, fmt: str, files: tuple[Path, ...]) -> int:
    """Rows of a table: parquet footers, or (CSV) a full read, which also finds a ragged
    line now rather than mid-run."""
    if fmt.startswith("parquet"):
        return sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    return rel.count("*").fetchall()[0][0]


def register_table(con: duckdb.DuckDBPyConnection, data_dir: Path, table: Table) -> SourceTable:
    """Register `raw_<name>` holding every contract column (absent optional ones as NULL)."""
    found = _candidates(data_dir, table.name)
    if len(found) > 1:
        raise DataError(
            f"table {table.name!r} is given more than once: {', '.join(p.name for _, p in found)}",
            where=str(data_dir),
            hint="keep one of NAME.parquet, NAME/ or NAME.csv[.gz]",
        )
    if not found:
        if table.required:
            raise DataError(
                f"missing table {table.name!r}",
                where=str(data_dir),
                hint=f"expected {table.name}.parquet, a {table.name}/ folder of parquet files, "
                f"or {table.name}.csv[.gz] (see docs/data-model.md)",
            )
        empty = pa.table({c.name: pa.array([], pa.string()) for c in table.columns})
        con.register(f"raw_{table.name}", empty)
        ids = {c.name: "BIGINT" for c in table.columns if c.kind in ("person_id", "id")}
        return SourceTable(table.name, "absent", (), 0, ids)

    fmt, path = found[0]
    try:
        rel, files = read_files(con, table.name, fmt, path)
        types = {col: _base_type(str(t)) for col, t in zip(rel.columns, rel.types, strict=True)}
        # Counting reads every CSV row (and every parquet footer): a file that is corrupt
        # or ragged past the sniffed sample fails here, with a message, not mid-run.
        rows = row_count(rel, fmt, files)
    except (duckdb.Error, pa.ArrowException, OSError) as exc:
        raise DataError(
            f"table {table.name!r} cannot be read: {str(exc).splitlines()[0]}",
            where=str(path),
            hint="check that every file is a complete parquet file, or a UTF-8 CSV file with "
            "a header line and the same number of fields on every line",
        ) from None
    lowered = {c.lower(): c for c in types}
    projection = []
    id_types = {}
    for column in table.columns:
        actual = lowered.get(column.name)
        if actual is None:
            if column.required:
                raise DataError(
                    f"table {table.name!r} has no column {column.name!r}",
                    where=str(path),
                    hint=f"{_describe_columns(types)}; required: "
                    + ", ".join(c.name for c in table.columns if c.required),
                )
            projection.append(duckdb.ConstantExpression(None).alias(column.name))
            continue
        physical = types[actual]
        if physical not in ACCEPTED_TYPES[column.kind]:
            raise DataError(
                f"column {table.name}.{column.name} has type {physical}, which cannot hold a "
                f"{column.kind}",
                where=str(path),
                hint=f"accepted types: {', '.join(ACCEPTED_TYPES[column.kind])}",
            )
        if column.kind in ("person_id", "id"):
            id_types[column.name] = "BIGINT" if physical in INTEGER_TYPES else "VARCHAR"
        projection.append(duckdb.ColumnExpression(actual).alias(column.name))
    rel.project(*projection).create_view(f"raw_{table.name}")
    return SourceTable(table.name, fmt, files, rows, id_types)


def _describe_columns(types: dict[str, str]) -> str:
    names = list(types)
    # A CSV without its header line has data values for column names: never print those.
    if all(_COLUMN_NAME.match(n) for n in names):
        return f"columns found: {', '.join(names)}"
    return (
        f"{len(names)} columns found, whose names do not look like column names "
        "(not shown: they may be data) - is the header line missing?"
    )


def register_all(con: duckdb.DuckDBPyConnection, data_dir: Path) -> dict[str, SourceTable]:
    if not data_dir.is_dir():
        raise DataError(
            "data directory not found",
            where=str(data_dir),
            hint="--data points at a folder holding persons, observation_periods, diagnoses, "
            "dispensings ... (see docs/data-model.md)",
        )
    return {t.name: register_table(con, data_dir, t) for t in TABLES}
