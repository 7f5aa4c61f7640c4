"""The canonical claims tables and their columns (docs/data-model.md is the prose version).

Kinds name a family of accepted physical types: a `date` column may arrive as DATE,
TIMESTAMP or ISO text; text is parsed and rows that fail are rejected, not dropped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

Kind = Literal["person_id", "id", "date", "text", "code", "number", "integer", "concept"]

# The data's own vocabularies: the values a text column may hold (others are set aside as
# 'invalid value'). A definition names diagnosis settings from this list.
DiagnosisSetting = Literal[
    "hospital_primary", "hospital_related", "hospital_associated", "long_term_disease", "outpatient"
]
DIAGNOSIS_SETTINGS: tuple[str, ...] = DiagnosisSetting.__args__  # type: ignore[attr-defined]
DISPENSING_SETTINGS: tuple[str, ...] = ("community", "hospital")

# Dates outside this range are rejected as implausible (both ends inclusive).
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)
# A dispensing line of 100,000 boxes or more, or a supply beyond 100 years, is a data error
# (and would overflow exposure dates); such rows are set aside like any invalid value.
MAX_QUANTITY = 100_000.0
MAX_DAYS_SUPPLY = 36_525

_INTEGERS = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
)
_TIMESTAMPS = (
    "TIMESTAMP",
    "TIMESTAMP_NS",
    "TIMESTAMP_MS",
    "TIMESTAMP_S",
    "TIMESTAMP WITH TIME ZONE",
)

# Physical DuckDB types accepted for each kind (text is parsed; failures are rejected rows).
ACCEPTED_TYPES: dict[str, tuple[str, ...]] = {
    "person_id": (*_INTEGERS, "VARCHAR"),
    "id": (*_INTEGERS, "VARCHAR"),
    "date": ("DATE", *_TIMESTAMPS, "VARCHAR"),
    "text": ("VARCHAR",),
    "code": ("VARCHAR",),
    "number": (*_INTEGERS, "FLOAT", "DOUBLE", "DECIMAL", "VARCHAR"),
    "integer": (*_INTEGERS, "VARCHAR"),
    "concept": (*_INTEGERS, "VARCHAR"),
}
INTEGER_TYPES = frozenset(_INTEGERS)


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = True  # an optional column may be absent; it then reads as all-null
    allowed: tuple[str, ...] | None = None  # a vocabulary: other values are set aside


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    required: bool = True  # an optional table may be absent; it then reads as empty


TABLES: tuple[Table, ...] = (
    Table(
        "persons",
        (
            Column("person_id", "person_id"),
            Column("sex", "text"),
            Column("birth_date", "date"),
            Column("death_date", "date", required=False),
        ),
    ),
    Table(
        "observation_periods",
        (
            Column("person_id", "person_id"),
            Column("start_date", "date"),
            Column("end_date", "date"),
        ),
    ),
    Table(
        "diagnoses",
        (
            Column("person_id", "person_id"),
            Column("date", "date"),
            Column("code", "code"),
            Column("setting", "text", allowed=DIAGNOSIS_SETTINGS),
            Column("stay_id", "id", required=False),
            Column("concept_id", "concept", required=False),
            # a long-term disease (ALD) is a status: date = its start, end_date = its last
            # day (inclusive; null = open-ended). Other rows are one-day events.
            Column("end_date", "date", required=False),
        ),
    ),
    Table(
        "dispensings",
        (
            Column("person_id", "person_id"),
            Column("date", "date"),
            Column("atc", "code"),
            Column("product_code", "text", required=False),
            Column("setting", "text", allowed=DISPENSING_SETTINGS),
            Column("quantity", "number"),
            Column("days_supply", "integer", required=False),
            Column("end_date", "date", required=False),
            Column("concept_id", "concept", required=False),
        ),
    ),
    Table(
        "procedures",
        (
            Column("person_id", "person_id"),
            Column("date", "date"),
            Column("code", "code"),
            Column("stay_id", "id", required=False),
            Column("concept_id", "concept", required=False),
        ),
        required=False,
    ),
    Table(
        "hospital_stays",
        (
            Column("stay_id", "id"),
            Column("person_id", "person_id"),
            Column("admission_date", "date"),
            Column("discharge_date", "date"),
        ),
        required=False,
    ),
)

TABLES_BY_NAME = {t.name: t for t in TABLES}


def allowed_values(table: str, column: str) -> list[str]:
    """The vocabulary of a column, as the screening stages bind it."""
    (found,) = [c for c in TABLES_BY_NAME[table].columns if c.name == column]
    assert found.allowed is not None, f"{table}.{column} has no vocabulary"
    return list(found.allowed)
