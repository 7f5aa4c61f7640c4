"""`pharmacoepi drug-eras`: the OMOP standard drug_era table from drug_exposure, built by
the project's era builder (treatments/exposures) with the OHDSI conventions: ingredient
roll-up through concept_ancestor, CDM end dates, 30-day persistence window.

When the CDM ships its own drug_era table, `compare_with_shipped` says how many eras agree
exactly (person, ingredient, start, end, exposure count); docs/sources.md explains the
differences found on Eunomia GiBleed.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from pharmacoepi.engines import Engine, make_engine
from pharmacoepi.errors import DataError, UserError
from pharmacoepi.progress import Reporter
from pharmacoepi.sources import omop
from pharmacoepi.sources.layout import LayoutTable, register_layout

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


def _empty_era_inputs(engine: Engine) -> None:
    """treatments/exposures also merges courses and point treatments: none here."""
    engine.register(
        "courses",
        pa.table(
            {
                "person_id": pa.array([], pa.int64()),
                "class": pa.array([], pa.string()),
                "start_date": pa.array([], pa.date32()),
                "end_date": pa.array([], pa.date32()),
                "n_administrations": pa.array([], pa.int32()),
                "course_effect_days": pa.array([], pa.int32()),
            }
        ),
    )
    engine.register(
        "treatment_records",
        pa.table(
            {
                "person_id": pa.array([], pa.int64()),
                "class": pa.array([], pa.string()),
                "date": pa.array([], pa.date32()),
                "follow_up_end": pa.array([], pa.date32()),
            }
        ),
    )
    engine.register(
        "treatment_classes",
        pa.table({"class": pa.array([], pa.string()), "kind": pa.array([], pa.string())}),
    )


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
    if out.is_dir():
        raise UserError(
            "--out is a folder", where=str(out), hint="give a file name, e.g. drug_era.parquet"
        )
    if not out.parent.is_dir():
        raise UserError("the folder of --out does not exist", where=str(out.parent))
    started = dt.datetime.now()
    tables = {t.name: t for t in omop.TABLES}
    needed = (tables["drug_exposure"], tables["concept"], tables["concept_ancestor"])
    with (
        tempfile.TemporaryDirectory(prefix="pharmacoepi-spill-") as spill,
        make_engine("duckdb", threads, memory_limit, Path(spill), reporter.stage) as engine,
    ):
        inputs = register_layout(engine, data_dir, (*needed, SHIPPED_DRUG_ERA), omop.LABEL)
        for name in ("concept", "concept_ancestor"):
            if inputs[name].format == "absent":
                raise DataError(
                    f"OMOP table {name!r} not found: drug eras roll drugs up to ingredients "
                    "through the vocabulary",
                    where=str(data_dir),
                    hint="add concept and concept_ancestor (OMOP vocabulary tables)",
                )
        engine.run("sources/omop/drug_exposure_ends")
        engine.run(
            "sources/omop/ingredient_windows",
            {
                "ingredient_vocabularies": omop.INGREDIENT_VOCABULARIES,
                "ingredient_class": omop.INGREDIENT_CLASS,
                "persistence_days": persistence_days,
                "open_end": _OPEN_END,
            },
        )
        _empty_era_inputs(engine)
        engine.run("treatments/exposures")
        engine.run("sources/omop/drug_era")
        _write_atomically(engine, out)
        engine.run("sources/omop/drug_era_counts")
        ((era_count, persons),) = engine.rows("drug_era_counts")
        rolled_up = engine.count("exposure_windows")
        comparison = None
        if inputs["drug_era"].format != "absent":
            comparison = compare_with_shipped(engine)
    return DrugEraResult(
        out=out,
        eras=era_count,
        persons=persons,
        exposures_read=inputs["drug_exposure"].rows,
        exposures_rolled_up=rolled_up,
        seconds=(dt.datetime.now() - started).total_seconds(),
        comparison=comparison,
    )


def _write_atomically(engine: Engine, out: Path) -> None:
    """Write next to the target and rename: a failed run never leaves half a file, and
    never destroys a previous good one."""
    partial = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        engine.write_parquet("drug_era", partial, "drug_era_id")
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def compare_with_shipped(engine: Engine) -> dict[str, int]:
    """Agreement of the built drug_era with the CDM's own (src_drug_era), era by era."""
    engine.run("sources/omop/drug_era_comparison")
    return dict(engine.rows("drug_era_comparison"))
