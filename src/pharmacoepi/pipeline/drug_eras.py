"""`pharmacoepi drug-eras`: the OMOP standard drug_era table from drug_exposure, built by
the project's era builder (treatments/exposures) with the OHDSI conventions: ingredient
roll-up through concept_ancestor, CDM end dates, 30-day persistence window.

When the CDM ships its own drug_era table, `compare_with_shipped` says how many eras agree
exactly (person, ingredient, start, end, exposure count); docs/sources.md explains the
differences found on Eunomia GiBleed.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from pharmacoepi import plan as plans
from pharmacoepi.engines import make_engine
from pharmacoepi.errors import DataError
from pharmacoepi.outputs.write import atomic_file, check_output_file
from pharmacoepi.progress import Reporter
from pharmacoepi.sources import omop
from pharmacoepi.sources.layout import LayoutTable, register_layout
from pharmacoepi.treatments.steps import CLASS_SCHEMA

# A follow-up end later than any exposure: the era builder cuts eras there, so never.
_OPEN_END = dt.date(9999, 12, 31)

SHIPPED_DRUG_ERA = LayoutTable(
    "drug_era",
    (
        "person_id",
        "drug_concept_id",
        "drug_era_start_date",
        "drug_era_end_date",
        "drug_exposure_count",
    ),
    ("gap_days",),
    required=False,
)


@dataclass(frozen=True)
class DrugEraResult:
    out: Path
    eras: int
    persons: int
    exposures_read: int
    exposures_rolled_up: int
    seconds: float
    comparison: dict[str, int] | None  # None when the CDM has no drug_era table


# treatments/exposures also merges courses and point treatments: none here.
NO_COURSES_NOR_POINTS = {
    "courses": pa.table(
        {
            "person_id": pa.array([], pa.int64()),
            "class": pa.array([], pa.string()),
            "start_date": pa.array([], pa.date32()),
            "end_date": pa.array([], pa.date32()),
            "n_administrations": pa.array([], pa.int32()),
            "course_effect_days": pa.array([], pa.int32()),
        }
    ),
    "treatment_records": pa.table(
        {
            "person_id": pa.array([], pa.int64()),
            "class": pa.array([], pa.string()),
            "date": pa.array([], pa.date32()),
            "follow_up_end": pa.array([], pa.date32()),
        }
    ),
    "treatment_classes": CLASS_SCHEMA.empty_table(),
}


def drug_era_plan(
    out: Path, persistence_days: int, data_dir: Path | None = None
) -> list[plans.Step]:
    tables = {t.name: t for t in omop.TABLES}
    needed = (tables["drug_exposure"], tables["concept"], tables["concept_ancestor"])

    def register(state: plans.RunState) -> None:
        inputs = register_layout(
            state.engine, state.data_dir, (*needed, SHIPPED_DRUG_ERA), omop.LABEL
        )
        for name in ("concept", "concept_ancestor"):
            if inputs[name].rows == 0:  # absent, or empty: no drug would reach an ingredient
                found = "not found" if inputs[name].format == "absent" else "empty"
                raise DataError(
                    f"OMOP table {name!r} {found}: drug eras roll drugs up to ingredients "
                    "through the vocabulary",
                    where=str(state.data_dir),
                    hint="add concept and concept_ancestor (OMOP vocabulary tables)",
                )
        state.results["source_tables"] = inputs

    def no_courses(state: plans.RunState) -> None:
        for name, table in NO_COURSES_NOR_POINTS.items():
            state.engine.register(name, table)

    def write(state: plans.RunState) -> None:
        with atomic_file(out, "drug-eras", inputs=state.data_dir) as partial:
            state.engine.write_parquet("drug_era", partial, "drug_era_id")

    def compare(state: plans.RunState) -> None:
        shipped = state.results["source_tables"]["drug_era"].format != "absent"
        state.results["comparison"] = compare_with_shipped(state) if shipped else None

    views = tuple(f"src_{t.name.lower()}" for t in (*needed, SHIPPED_DRUG_ERA))
    return [
        plans.python("sources/omop/files", register, creates=views, gives=("source_tables",)),
        plans.sql("sources/omop/drug_exposure_ends"),
        plans.sql(
            "sources/omop/ingredient_windows",
            {
                "ingredient_vocabularies": omop.INGREDIENT_VOCABULARIES,
                "ingredient_class": omop.INGREDIENT_CLASS,
                "persistence_days": persistence_days,
                "open_end": _OPEN_END,
            },
        ),
        plans.python("drug_eras/no_courses", no_courses, creates=tuple(NO_COURSES_NOR_POINTS)),
        plans.sql("treatments/exposures"),
        plans.sql("sources/omop/drug_era"),
        plans.python("drug_eras/write", write, inputs=("drug_era",)),
        plans.sql("sources/omop/drug_era_counts"),
        plans.python(
            "drug_eras/compare",
            compare,
            substages=("sources/omop/drug_era_comparison",),
            uses=("source_tables",),
            gives=("comparison",),
        ),
    ]


def build_drug_eras(
    data_dir: Path,
    out: Path,
    *,
    persistence_days: int = 30,
    threads: int | None = None,
    memory_limit: str | None = None,
    reporter: Reporter | None = None,
) -> DrugEraResult:
    reporter = reporter or Reporter.for_stderr()
    check_output_file(out, "drug-eras", inputs=data_dir)  # before the work, not after it
    plan = plans.checked(drug_era_plan(out, persistence_days))
    started = dt.datetime.now()
    with (
        tempfile.TemporaryDirectory(prefix="pharmacoepi-spill-") as spill,
        make_engine("duckdb", threads, memory_limit, Path(spill), reporter.stage) as engine,
    ):
        state = plans.RunState(engine, data_dir)
        plans.execute(plan, state)
        ((era_count, persons),) = engine.rows("drug_era_counts")
        rolled_up = engine.count("exposure_windows")
    return DrugEraResult(
        out=out,
        eras=era_count,
        persons=persons,
        exposures_read=state.results["source_tables"]["drug_exposure"].rows,
        exposures_rolled_up=rolled_up,
        seconds=(dt.datetime.now() - started).total_seconds(),
        comparison=state.results["comparison"],
    )


def compare_with_shipped(state: plans.RunState) -> dict[str, int]:
    """Agreement of the built drug_era with the CDM's own (src_drug_era), era by era."""
    state.engine.run("sources/omop/drug_era_comparison")
    return dict(state.engine.rows("drug_era_comparison"))
