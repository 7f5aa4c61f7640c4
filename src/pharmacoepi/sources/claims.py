"""The canonical claims layout (docs/data-model.md) as one more adapter: each contract
table is found in the data folder, checked against the contract (required tables and
columns, physical types that can hold each column's kind) and registered as the view
`raw_<table>` holding every contract column (absent optional ones as NULL).

Structural problems raise DataError and stop the run before any stage.
"""

from __future__ import annotations

import re
from pathlib import Path

from pharmacoepi.data.contract import ACCEPTED_TYPES, INTEGER_TYPES, TABLES, Table
from pharmacoepi.engines import Engine, FilePart
from pharmacoepi.errors import DataError
from pharmacoepi.sources.files import SourceTable, check_folder, empty_table, find, inspect

LABEL = "claims"
CONCEPT_IDS = False  # no OMOP concept ids: concept codelists cannot run on it
CONCEPT_STAGES: tuple[str, ...] = ()
POST_SCREEN_STAGES: tuple[str, ...] = ()
ID_TYPE = None  # id types as the files store them
ENGINES = ("duckdb", "spark")  # the engines that read this layout
_COLUMN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def _describe_columns(types: dict[str, str]) -> str:
    names = list(types)
    # A CSV without its header line has data values for column names: never print those.
    if all(_COLUMN_NAME.match(n) for n in names):
        return f"columns found: {', '.join(names)}"
    return (
        f"{len(names)} columns found, whose names do not look like column names "
        "(not shown: they may be data) - is the header line missing?"
    )


def register_table(engine: Engine, data_dir: Path, table: Table) -> SourceTable:
    """Register `raw_<name>`; return what was read."""
    found = find(data_dir, re.escape(table.name))
    if len(found) > 1:
        raise DataError(
            f"table {table.name!r} is given more than once: "
            f"{', '.join(f.path.name for f in found)}",
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
        engine.register(f"raw_{table.name}", empty_table([c.name for c in table.columns]))
        ids = {c.name: "BIGINT" for c in table.columns if c.kind in ("person_id", "id")}
        return SourceTable(table.name, "absent", (), 0, ids)

    read = inspect(found[0], f"table {table.name!r}")
    path = found[0].path
    present_required = [c.name for c in table.columns if c.required and read.column(c.name)]
    read.check_required(present_required, f"table {table.name!r}")
    columns: list[tuple[str, str | None]] = []
    id_types = {}
    for column in table.columns:
        actual = read.column(column.name)
        if actual is None:
            if column.required:
                raise DataError(
                    f"table {table.name!r} has no column {column.name!r}",
                    where=str(path),
                    hint=f"{_describe_columns(read.types)}; required: "
                    + ", ".join(c.name for c in table.columns if c.required),
                )
            columns.append((column.name, None))
            continue
        physical = read.types[actual]
        if physical not in ACCEPTED_TYPES[column.kind]:
            raise DataError(
                f"column {table.name}.{column.name} has type {physical}, which cannot hold a "
                f"{column.kind}",
                where=str(path),
                hint=f"accepted types: {', '.join(ACCEPTED_TYPES[column.kind])}",
            )
        if column.kind in ("person_id", "id"):
            id_types[column.name] = "BIGINT" if physical in INTEGER_TYPES else "VARCHAR"
        columns.append((column.name, actual))
    part = FilePart(read.found.format, read.files, read.hive, tuple(columns))
    engine.register_files(f"raw_{table.name}", [part])
    return SourceTable(table.name, read.found.format, read.files, read.rows, id_types)


def register_claims(engine: Engine, data_dir: Path) -> dict[str, SourceTable]:
    check_folder(
        data_dir,
        "--data points at a folder holding persons, observation_periods, diagnoses, "
        "dispensings ... (see docs/data-model.md)",
    )
    return {t.name: register_table(engine, data_dir, t) for t in TABLES}
