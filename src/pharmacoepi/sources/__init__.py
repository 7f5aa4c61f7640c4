"""Source adapters: map a real data layout onto the canonical tables, inside the engine.

`claims` registers the canonical layout as it is (docs/data-model.md). `omop` (OMOP CDM 5.3/5.4)
and `snds` (native SNDS tables) register their files as views `src_<table>` and run the
SQL stages under sql/sources/<source>/, which create the canonical views `raw_persons`,
`raw_observation_periods`, `raw_diagnoses`, `raw_dispensings`, `raw_procedures` and
`raw_hospital_stays` (views, not copies) plus a table `source_problems` counting the
layout's documented data problems (docs/sources.md). The screening stages then read the
`raw_*` views exactly as they read a claims extract, so one definition runs on any layout.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pyarrow as pa

from pharmacoepi.data.contract import INTEGER_TYPES
from pharmacoepi.engines import Engine
from pharmacoepi.errors import UserError
from pharmacoepi.sources.claims import register_claims
from pharmacoepi.sources.files import SourceTable
from pharmacoepi.sources.layout import register_layout

Source = Literal["claims", "omop", "snds"]
SOURCES: tuple[str, ...] = Source.__args__  # type: ignore[attr-defined]

# Canonical views an adapter must create (each with the contract's column names).
CANONICAL_VIEWS = (
    "persons",
    "observation_periods",
    "diagnoses",
    "dispensings",
    "procedures",
    "hospital_stays",
)

_ID_COLUMNS = {
    "persons": ("person_id",),
    "observation_periods": ("person_id",),
    "diagnoses": ("person_id", "stay_id"),
    "dispensings": ("person_id",),
    "procedures": ("person_id", "stay_id"),
    "hospital_stays": ("stay_id", "person_id"),
}

PROBLEM_SCHEMA = pa.schema(
    [
        ("source_table", pa.string()),
        ("problem", pa.string()),
        ("handling", pa.string()),
        ("rows", pa.int64()),
    ]
)


@dataclass
class SourceRead:
    """What a source adapter registered: its input tables (for the manifest), the id
    types of each canonical view (for the screening casts), and its problem counts."""

    source: str
    inputs: dict[str, SourceTable]
    id_types: dict[str, dict[str, str]] = field(default_factory=dict)

    def id_type(self, column: str, default: str = "BIGINT") -> str:
        types = {t[column] for t in self.id_types.values() if column in t}
        return "VARCHAR" if "VARCHAR" in types else default


def _adapter(source: str):
    return importlib.import_module(f"pharmacoepi.sources.{source}")


def register_source(engine: Engine, source: str, data_dir: Path) -> SourceRead:
    """Register the canonical `raw_*` views for `source`; create `source_problems`."""
    adapter = _adapter(source)
    if engine.name not in adapter.ENGINES:
        raise UserError(
            f"the {engine.name} engine reads the claims layout only; --source {source} "
            "runs on DuckDB",
            hint="convert the extract to the claims layout, or drop --engine",
        )
    if source == "claims":
        tables = register_claims(engine, data_dir)
        engine.register("source_problems", PROBLEM_SCHEMA.empty_table())
        return SourceRead(source, tables, {n: t.id_types for n, t in tables.items()})
    inputs = register_layout(engine, data_dir, adapter.TABLES, adapter.LABEL)
    for name, table in adapter.lookup_tables().items():  # small tables the views read
        engine.register(name, table)
    for stage in adapter.STAGES:
        engine.run(stage, adapter.stage_params(stage))
    id_types = _view_id_types(engine)
    if getattr(adapter, "ID_TYPE", None):  # the layout fixes the ids' type (OMOP: integers)
        id_types = {v: dict.fromkeys(cols, adapter.ID_TYPE) for v, cols in id_types.items()}
    return SourceRead(source, inputs, id_types)


def _view_id_types(engine: Engine) -> dict[str, dict[str, str]]:
    """BIGINT when the adapter's view types an id column as an integer, else VARCHAR."""
    id_types = {}
    for view, columns in _ID_COLUMNS.items():
        described = {c: t.split("(")[0] for c, t in engine.schema(f"raw_{view}").items()}
        id_types[view] = {
            c: "BIGINT" if described.get(c, "VARCHAR") in INTEGER_TYPES else "VARCHAR"
            for c in columns
        }
    return id_types


def source_problems(engine: Engine) -> list[dict[str, object]]:
    """The adapter's documented data problems, as counted (empty for claims)."""
    keys = ("source_table", "problem", "handling", "rows")
    rows = sorted(r for r in engine.rows("source_problems") if r[3])
    return [dict(zip(keys, r, strict=True)) for r in rows]
