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

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Literal

import pyarrow as pa

from pharmacoepi.data.contract import INTEGER_TYPES
from pharmacoepi.definition import Codelist
from pharmacoepi.engines import Engine
from pharmacoepi.errors import DataError, DefinitionError, UserError
from pharmacoepi.plan import RunState, Step, execute, python, sql
from pharmacoepi.sources import claims, omop, snds
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


ADAPTERS: dict[str, ModuleType] = {"claims": claims, "omop": omop, "snds": snds}


def check_codelists(source: str, codelists: Iterable[Codelist]) -> None:
    """A definition whose codelists name OMOP concept ids runs only on a layout that has
    them (before any file is read)."""
    concept = [c.name for c in codelists if c.match.startswith("concept")]
    if concept and not ADAPTERS[source].CONCEPT_IDS:
        raise DefinitionError(
            f"codelist {concept[0]!r} names OMOP concept ids; the {source} source has none",
            hint="run with --source omop, or give the codelist as source codes",
        )


def _check_engine(engine: Engine, source: str) -> None:
    if engine.name not in ADAPTERS[source].ENGINES:
        raise UserError(
            f"the {engine.name} engine reads the claims layout only; --source {source} "
            "runs on DuckDB",
            hint="convert the extract to the claims layout, or drop --engine",
        )


def steps(
    source: str, snds_coverage: str = "end_of_data", snds_history_start: dt.date | None = None
) -> list[Step]:
    """The steps that register the canonical `raw_*` views for `source` and create
    `source_problems`; the last gives "source" (a SourceRead). `snds_coverage`: how an
    SNDS beneficiary's coverage ends (the definition's follow_up.snds_coverage);
    `snds_history_start`: where the coverage of a beneficiary inserted before 2012
    starts (follow_up.snds_history_start; the adapter's default when None)."""
    if source == "claims":

        def register(state: RunState) -> None:
            _check_engine(state.engine, source)
            tables = register_claims(state.engine, state.data_dir)
            state.engine.register("source_problems", PROBLEM_SCHEMA.empty_table())
            id_types = {n: t.id_types for n, t in tables.items()}
            state.results["source"] = SourceRead(source, tables, id_types)

        raw = tuple(f"raw_{v}" for v in CANONICAL_VIEWS)
        return [
            python("sources/claims", register, creates=(*raw, "source_problems"), gives=("source",))
        ]
    adapter = ADAPTERS[source]
    lookups = adapter.lookup_tables()

    def files(state: RunState) -> None:
        _check_engine(state.engine, source)
        state.results["source_tables"] = register_layout(
            state.engine, state.data_dir, adapter.TABLES, adapter.LABEL
        )
        for name, table in lookups.items():  # small tables the views read
            state.engine.register(name, table)

    def read(state: RunState) -> None:
        id_types = _view_id_types(state.engine)
        if adapter.ID_TYPE:  # the layout fixes the ids' type (OMOP: integers)
            id_types = {v: dict.fromkeys(cols, adapter.ID_TYPE) for v, cols in id_types.items()}
        state.results["source"] = SourceRead(source, state.results["source_tables"], id_types)

    views = tuple(f"src_{t.name.lower()}" for t in adapter.TABLES)
    return [
        python(
            f"sources/{source}/files", files, creates=(*views, *lookups), gives=("source_tables",)
        ),
        *(
            sql(stage, adapter.stage_params(stage, snds_coverage, snds_history_start))
            for stage in adapter.STAGES
        ),
        python(
            f"sources/{source}/id_types",
            read,
            inputs=tuple(f"raw_{v}" for v in CANONICAL_VIEWS),
            uses=("source_tables",),
            gives=("source",),
        ),
    ]


def register_source(
    engine: Engine,
    source: str,
    data_dir: Path,
    snds_coverage: str = "end_of_data",
    snds_history_start: dt.date | str | None = None,
) -> SourceRead:
    """The source's steps alone (a notebook, a test): the `raw_*` views, registered."""
    state = RunState(engine, data_dir)
    if isinstance(snds_history_start, str):
        snds_history_start = dt.date.fromisoformat(snds_history_start)
    execute(steps(source, snds_coverage, snds_history_start), state)
    return state.results["source"]


def concept_steps(source: str, codelists: Iterable[Codelist] = ()) -> list[Step]:
    """The source's stages that create `codelist_concepts` for the screening (OMOP),
    after a check that the vocabulary tables they need hold rows."""
    stages = [sql(stage) for stage in ADAPTERS[source].CONCEPT_STAGES]
    descendants = [c.name for c in codelists if c.match == "concept_descendants"]
    if not stages or not descendants:
        return stages

    def check(state: RunState) -> None:
        ancestors = state.results["source_tables"]["concept_ancestor"]
        if ancestors.rows == 0:
            where = "not found" if ancestors.format == "absent" else "empty"
            raise DataError(
                f"codelist {descendants[0]!r} takes the descendants of its concepts, but "
                f"the CDM's concept_ancestor table is {where}: it would select no descendant",
                where=str(state.data_dir),
                hint="add the OMOP vocabulary table concept_ancestor, or set "
                "include_descendants: false",
            )

    return [
        python("sources/omop/descendants_available", check, uses=("source_tables",)),
        *stages,
    ]


def post_screen_steps(source: str) -> list[Step]:
    """The source's stages that run on the screened tables (OMOP concept codelists)."""
    return [sql(stage) for stage in ADAPTERS[source].POST_SCREEN_STAGES]


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
