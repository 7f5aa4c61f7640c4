"""Tiny SNDS extracts typed as the official schema types them (tests/reference/snds_schema,
from the Health Data Hub's schema-snds): parquet columns of the schema's types, or CSV
text as a SAS export writes it (DATE9 dates, SAS datetimes, %d%m%Y where the schema says
so). A test gives rows as dicts of Python values; a field the schema does not list is an
error, so a test cannot drift from the schema by a typo."""

from __future__ import annotations

import csv
import datetime as dt
import json
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

FIELDS = Path(__file__).parents[1] / "reference" / "snds_schema" / "fields.json"


@cache
def schema() -> dict[str, dict[str, dict[str, str]]]:
    tables = json.loads(FIELDS.read_text())["tables"]
    return {name: table["fields"] for name, table in tables.items()}


def schema_name(file_name: str) -> str:
    """T_MCO10B -> T_MCOaaB, IR_BEN_R_ARC -> IR_BEN_R, ER_PRS_F_2010 -> ER_PRS_F."""
    if file_name.startswith("T_MCO"):
        return "T_MCOaa" + file_name[7:]
    if file_name == "IR_BEN_R_ARC":
        return "IR_BEN_R"
    return file_name.split("_20")[0]


def _arrow_type(field: dict[str, str]) -> pa.DataType:
    kind, fmt = field["type"], field.get("format")
    if kind == "date" and fmt == "%m":
        return pa.string()  # a month: '03'
    return {
        "integer": pa.int64(),
        "number": pa.float64(),
        "string": pa.string(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "datetime": pa.timestamp("s"),
        "year": pa.int64(),
        "yearmonth": pa.string(),
    }[kind]


def _arrow_value(field: dict[str, str], value):
    if value is None:
        return None
    if field["type"] == "datetime" and isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return value


def _sas_text(field: dict[str, str], value) -> str:
    """A value as a SAS CSV export writes it."""
    if value is None:
        return ""
    kind, fmt = field["type"], field.get("format")
    if kind == "datetime":
        return value.strftime("%d%b%Y:%H:%M:%S").upper()
    if kind == "date" and isinstance(value, dt.date):
        return value.strftime("%d%m%Y") if fmt == "%d%m%Y" else value.strftime("%d%b%Y").upper()
    if kind == "boolean":
        return "1" if value else "0"
    return str(value)


def write(folder: Path, name: str, rows: list[dict], fmt: str = "parquet") -> Path:
    """Write table `name` (a file name: T_MCO10C, IR_BEN_R ...) with the schema's types."""
    fields = schema()[schema_name(name)]
    columns = list(dict.fromkeys(c for row in rows for c in row))
    unknown = [c for c in columns if c not in fields]
    if unknown:
        raise KeyError(f"{name}: {unknown} not in the schema's fields (tests/reference)")
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        path = folder / f"{name}.csv"
        with path.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            writer.writerows([_sas_text(fields[c], row.get(c)) for c in columns] for row in rows)
        return path
    arrays = {
        c: pa.array([_arrow_value(fields[c], row.get(c)) for row in rows], _arrow_type(fields[c]))
        for c in columns
    }
    path = folder / f"{name}.parquet"
    pq.write_table(pa.table(arrays), path)
    return path


def rename(path: Path, columns: dict[str, str]) -> None:
    """Rename columns of a written parquet file (NUM_ENQ for BEN_NIR_PSA ...)."""
    table = pq.read_table(path)
    pq.write_table(table.rename_columns([columns.get(c, c) for c in table.column_names]), path)
