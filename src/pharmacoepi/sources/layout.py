"""The tables of a source layout (OMOP CDM, SNDS), each exposed to the engine as a view
`src_<name>`: columns as read, names lower-cased, every file matching the table's
pattern stacked by column name (files are found and read by sources/files.py). CSV
values are read as text; the adapter's SQL casts them, and the screening stages reject
what does not parse, as for the claims layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pharmacoepi.engines import Engine, FilePart
from pharmacoepi.errors import DataError
from pharmacoepi.sources.files import SourceTable, check_folder, empty_table, find, inspect


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

    @property
    def name_pattern(self) -> str:
        return self.pattern or re.escape(self.name)

    @property
    def all_columns(self) -> list[str]:
        return [*self.columns, *self.optional, *(("file_year",) if self.file_year else ())]


def register_layout_table(
    engine: Engine, data_dir: Path, table: LayoutTable, source: str
) -> SourceTable:
    """Create the view `src_<name>` (every required and optional column, lower-case)."""
    view = f"src_{table.name.lower()}"
    found = find(data_dir, table.name_pattern)
    if not found:
        if table.required:
            raise DataError(
                f"{source} table {table.name!r} not found",
                where=str(data_dir),
                hint=f"expected {table.name}.csv, .csv.gz, .parquet or a {table.name}/ folder "
                f"(see docs/sources.md, {source} layout)",
            )
        engine.register(view, empty_table(table.all_columns))
        return SourceTable(table.name, "absent", (), 0, {})
    parts, files, rows = [], [], 0
    for one in found:
        read = inspect(one, f"{source} table {table.name!r}")
        missing = [c for c in table.columns if read.column(c) is None]
        if missing:
            raise DataError(
                f"{source} table {table.name!r} has no column {missing[0]!r}",
                where=str(one.path),
                hint=f"required columns: {', '.join(table.columns)} (docs/sources.md)",
            )
        read.check_required(table.columns, f"{source} table {table.name!r}")
        columns = tuple((c, read.column(c)) for c in (*table.columns, *table.optional))
        # The pattern's first group names the file's year (T_MCO(\d{2})B)
        year = one.match.group(1) if one.match.groups() else None
        constants = (("file_year", year),) if table.file_year else ()
        parts.append(FilePart(one.format, read.files, read.hive, columns, constants))
        files.extend(read.files)
        rows += read.rows
    engine.register_files(view, parts)
    formats = {one.format for one in found}
    fmt = formats.pop() if len(formats) == 1 else "mixed"
    return SourceTable(table.name, fmt, tuple(files), rows, {})


def register_layout(
    engine: Engine, data_dir: Path, tables: tuple[LayoutTable, ...], source: str
) -> dict[str, SourceTable]:
    check_folder(
        data_dir, f"--data points at the folder holding the {source} tables (docs/sources.md)"
    )
    return {t.name: register_layout_table(engine, data_dir, t, source) for t in tables}
