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
    # every row as the column `file_year` (as written, '09'), since PMSI numbers stays
    # (RSA_NUM) per year, and `file_calendar_year` (2009), since columns come and go
    # with the years.
    file_year: bool = False
    # Other names a column goes by in some extracts (SNDS project extracts name
    # BEN_NIR_PSA NUM_ENQ): read under the first name when the file lacks it.
    aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Optional columns a yearly file must hold from a year on (T_MCOaaC's EXE_SOI_DTD
    # exists from 2009): (column, first year), the year as four digits.
    required_from: tuple[tuple[str, int], ...] = ()

    def source_column(self, read, name: str) -> str | None:
        """The file's column holding `name`, under its own name or an alias."""
        for candidate in (name, *dict(self.aliases).get(name, ())):
            if (column := read.column(candidate)) is not None:
                return column
        return None

    @property
    def name_pattern(self) -> str:
        return self.pattern or re.escape(self.name)

    @property
    def all_columns(self) -> list[str]:
        years = ("file_year", "file_calendar_year") if self.file_year else ()
        return [*self.columns, *self.optional, *years]


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
    renamed: dict[str, str] = {}
    for one in found:
        read = inspect(one, f"{source} table {table.name!r}")
        # The pattern's first group names the file's year (T_MCO(\d{2})B)
        year = one.match.group(1) if one.match.groups() else None
        needed = [*table.columns, *_required_in(table, year)]
        missing = [c for c in needed if table.source_column(read, c) is None]
        if missing:
            raise DataError(
                f"{source} table {table.name!r} has no column {missing[0]!r}",
                where=str(one.path),
                hint=_missing_hint(table, missing[0]),
            )
        columns = tuple(
            (c, table.source_column(read, c)) for c in (*table.columns, *table.optional)
        )
        read.check_required(
            [read_as for c, read_as in columns if c in needed], f"{source} table {table.name!r}"
        )
        renamed.update({c: read_as for c, read_as in columns if read_as and read_as.lower() != c})
        constants = ()
        if table.file_year and year is not None:
            constants = (("file_year", year), ("file_calendar_year", str(four_digit_year(year))))
        parts.append(FilePart(one.format, read.files, read.hive, columns, constants))
        files.extend(read.files)
        rows += read.rows
    engine.register_files(view, parts)
    formats = {one.format for one in found}
    fmt = formats.pop() if len(formats) == 1 else "mixed"
    return SourceTable(table.name, fmt, tuple(files), rows, {}, renamed)


def four_digit_year(year: str) -> int:
    """A yearly file's two-digit year (T_MCO09C -> 2009; the SNDS PMSI starts in 2005)."""
    yy = int(year)
    return 2000 + yy if yy < 50 else 1900 + yy


def _required_in(table: LayoutTable, year: str | None) -> list[str]:
    if year is None:
        return [c for c, _ in table.required_from]
    return [c for c, first in table.required_from if four_digit_year(year) >= first]


def _missing_hint(table: LayoutTable, column: str) -> str:
    first = dict(table.required_from).get(column)
    if first is not None:
        return (
            f"{column.upper()} exists in {table.name} from {first} on (schema-snds); earlier "
            f"files may lack it, a file of {first} or later must hold it (docs/sources.md)"
        )
    return f"required columns: {', '.join(table.columns)} (docs/sources.md)"


def register_layout(
    engine: Engine, data_dir: Path, tables: tuple[LayoutTable, ...], source: str
) -> dict[str, SourceTable]:
    check_folder(
        data_dir, f"--data points at the folder holding the {source} tables (docs/sources.md)"
    )
    return {t.name: register_layout_table(engine, data_dir, t, source) for t in tables}
