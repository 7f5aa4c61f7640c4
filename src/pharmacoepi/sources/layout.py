"""Find the files of a source layout (OMOP CDM, SNDS) and expose each table to DuckDB as a
view `src_<name>`, columns as read, names lower-cased.

A layout table is one file (`NAME.parquet`, `NAME.csv`, `NAME.csv.gz`), a folder of
parquet files, or, for tables split by year (SNDS's T_MCO09B, T_MCO10B ...), every file
whose name matches the table's pattern, stacked by column name. File names match
case-insensitively (SNDS extracts are upper-case, OMOP exports lower-case). CSV values
are read as text; the adapter's SQL casts them, and the screening stages reject what does
not parse, as for the claims layout. Nothing is copied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from pharmacoepi.data.reader import SourceTable, read_files, row_count
from pharmacoepi.errors import DataError

_SUFFIXES = (".parquet", ".csv.gz", ".csv")


@dataclass(frozen=True)
class LayoutTable:
    """One table of a source layout.

    `pattern` is a regular expression over the file or folder name without its suffix
    (case-insensitive); by default the name itself. Every match is stacked, so yearly
    tables (T_MCO09B, T_MCO10B ...) read as one.
    """

    name: str
    columns: tuple[str, ...]  # required columns (lower-case)
    optional: tuple[str, ...] = ()  # read as NULL when absent
    required: bool = True
    pattern: str | None = None
    # The pattern's first group names the file's year (T_MCO(\d{2})B): it is added to
    # every row as the column `file_year`, since PMSI numbers stays (RSA_NUM) per year.
    file_year: bool = False

    def matches(self, stem: str) -> bool:
        return self._match(stem) is not None

    def _match(self, stem: str):
        return re.fullmatch(self.pattern or re.escape(self.name), stem, re.IGNORECASE)

    def year_of(self, stem: str) -> str | None:
        match = self._match(stem)
        return match.group(1) if self.file_year and match and match.groups() else None


def _stem(path: Path) -> tuple[str, str] | None:
    name = path.name
    if path.is_dir():
        return name, "parquet-folder"
    for suffix in _SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)], "csv" if suffix.startswith(".csv") else "parquet"
    return None


def _found(data_dir: Path, table: LayoutTable) -> list[tuple[str, Path, str | None]]:
    found = []
    for path in sorted(data_dir.iterdir()):
        stem = _stem(path)
        if stem is not None and table.matches(stem[0]):
            found.append((stem[1], path, table.year_of(stem[0])))
    return found


def register_layout_table(
    con: duckdb.DuckDBPyConnection, data_dir: Path, table: LayoutTable, source: str
) -> SourceTable:
    """Create the view `src_<name>` (every required and optional column, lower-case)."""
    view = f"src_{table.name.lower()}"
    found = _found(data_dir, table)
    if not found:
        if table.required:
            raise DataError(
                f"{source} table {table.name!r} not found",
                where=str(data_dir),
                hint=f"expected {table.name}.csv, .csv.gz, .parquet or a {table.name}/ folder "
                f"(see docs/sources.md, {source} layout)",
            )
        columns = [*table.columns, *table.optional, *(("file_year",) if table.file_year else ())]
        con.register(view, pa.table({c: pa.array([], pa.string()) for c in columns}))
        return SourceTable(table.name, "absent", (), 0, {})
    parts, files, rows, formats = [], [], 0, set()
    for fmt, path, year in found:
        try:
            rel, part_files = read_files(con, table.name, fmt, path)
            rows += row_count(rel, fmt, part_files)
        except (duckdb.Error, pa.ArrowException, OSError) as exc:
            raise DataError(
                f"{source} table {table.name!r} cannot be read: {str(exc).splitlines()[0]}",
                where=str(path),
                hint="check that every file is a complete parquet file, or a UTF-8 CSV file "
                "with a header line and the same number of fields on every line",
            ) from None
        lowered = {c.lower(): c for c in rel.columns}
        missing = [c for c in table.columns if c not in lowered]
        if missing:
            raise DataError(
                f"{source} table {table.name!r} has no column {missing[0]!r}",
                where=str(path),
                hint=f"required columns: {', '.join(table.columns)} (docs/sources.md)",
            )
        projection = [
            duckdb.ColumnExpression(lowered[c]).alias(c)
            if c in lowered
            else duckdb.ConstantExpression(None).alias(c)
            for c in (*table.columns, *table.optional)
        ]
        if table.file_year:
            projection.append(duckdb.ConstantExpression(year).alias("file_year"))
        parts.append(rel.project(*projection))
        files.extend(part_files)
        formats.add(fmt)
    relation = parts[0]
    for part in parts[1:]:
        # yearly files may type a column differently (text in one, integer in another)
        relation = (
            relation.union(part) if _same_types(relation, part) else _as_text_union(relation, part)
        )
    relation.create_view(view)
    fmt = formats.pop() if len(formats) == 1 else "mixed"
    return SourceTable(table.name, fmt, tuple(files), rows, {})


def _same_types(a, b) -> bool:
    return [str(t) for t in a.types] == [str(t) for t in b.types]


def _as_text_union(a, b):
    def text(rel):
        return rel.project(
            *[
                duckdb.ColumnExpression(c).cast(duckdb.sqltype("VARCHAR")).alias(c)
                for c in rel.columns
            ]
        )

    return text(a).union(text(b))


def register_layout(
    con: duckdb.DuckDBPyConnection, data_dir: Path, tables: tuple[LayoutTable, ...], source: str
) -> dict[str, SourceTable]:
    if not data_dir.is_dir():
        raise DataError(
            "data directory not found",
            where=str(data_dir),
            hint=f"--data points at the folder holding the {source} tables (docs/sources.md)",
        )
    return {t.name: register_layout_table(con, data_dir, t, source) for t in tables}
