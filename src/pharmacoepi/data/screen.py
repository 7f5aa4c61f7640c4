"""Screening: one pass over each input table that types it, checks its rows and keeps
only what later stages need (rows with a problem, rows whose code is on a codelist).

Shared by `validate` and `build-cohort`, which differ in the coded tables' rows they check:
- `validate` (rows="all") checks every row and keeps the rows with a problem;
- `build-cohort` (rows="codelist") checks only the rows its codelists select, filtered
  inside the scan, so the billions of dispensings on no codelist cost one column read.
  Rows outside its codelists are not read, so not set aside either: `validate` is the
  data-quality pass over a whole extract.
Persons and observation periods are always checked whole. No rule reads hospital stays:
only `validate` checks them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import pyarrow as pa

from pharmacoepi.data.contract import (
    MAX_DATE,
    MAX_DAYS_SUPPLY,
    MAX_QUANTITY,
    MIN_DATE,
    allowed_values,
)
from pharmacoepi.definition import Codelist
from pharmacoepi.engines import Engine
from pharmacoepi.errors import DefinitionError
from pharmacoepi.sources import SourceRead, register_source

_EMPTY_CONCEPTS = pa.table(
    {
        "codelist": pa.array([], pa.string()),
        "domain": pa.array([], pa.string()),
        "concept_id": pa.array([], pa.string()),
    }
)


def register_codelists(engine: Engine, codelists: Iterable[Codelist]) -> None:
    """Codes reach SQL as a table, never as text pasted into a query."""
    rows = [(c.name, c.domain, c.match, code) for c in codelists for code in c.codes]
    table = pa.table(
        {
            "codelist": pa.array([r[0] for r in rows], pa.string()),
            "domain": pa.array([r[1] for r in rows], pa.string()),
            "match": pa.array([r[2] for r in rows], pa.string()),
            "code": pa.array([r[3] for r in rows], pa.string()),
        }
    )
    engine.register("codelist_codes", table)


def _check_concept_codelists(codelists: list[Codelist], source: str) -> None:
    concept = [c.name for c in codelists if c.match.startswith("concept")]
    if concept and source != "omop":
        raise DefinitionError(
            f"codelist {concept[0]!r} names OMOP concept ids; the {source} source has none",
            hint="run with --source omop, or give the codelist as source codes",
        )


def screen_data(
    engine: Engine,
    data_dir: Path,
    codelists: Iterable[Codelist],
    source: str = "claims",
    rows: Literal["codelist", "all"] = "codelist",
) -> SourceRead:
    """Register the inputs and run every screening stage; returns what was read.

    rows: which rows of the coded tables (diagnoses, dispensings, procedures) are checked:
    those whose code is on a codelist, or all of them."""
    codelists = list(codelists)
    _check_concept_codelists(codelists, source)
    register_codelists(engine, codelists)
    sources = register_source(engine, source, data_dir)
    # Ids are compared as integers only when every table stores integers. If any table
    # holds them as text, all are compared as text: '1e0' or '1.5' is never re-read as a
    # number (it becomes an unknown person, set aside and counted).
    person_id_type = sources.id_type("person_id")
    stay_id_type = sources.id_type("stay_id")
    dates = {"min_date": MIN_DATE, "max_date": MAX_DATE}
    pid = {"person_id_type": person_id_type}
    both = {**pid, "stay_id_type": stay_id_type}
    scope = {"rows": rows}
    engine.run("screen/persons", dates, pid)
    engine.run("screen/valid_persons")
    engine.run("screen/observation_periods", dates, pid)
    engine.run("screen/code_vocabulary")
    if source == "omop":
        # concept codelists (with their descendants) as pseudo-codes 'OMOP<concept_id>'
        engine.run("sources/omop/codelist_concepts")
        engine.run("sources/omop/concept_vocabulary")
    else:
        engine.register("codelist_concepts", _EMPTY_CONCEPTS)
    settings = {"settings": allowed_values("diagnoses", "setting")}
    engine.run("screen/diagnoses", {**dates, **settings}, {**both, **scope})
    limits = {"max_quantity": MAX_QUANTITY, "max_days_supply": MAX_DAYS_SUPPLY}
    settings = {"settings": allowed_values("dispensings", "setting")}
    engine.run("screen/dispensings", {**dates, **limits, **settings}, {**pid, **scope})
    engine.run("screen/procedures", dates, {**both, **scope})
    engine.run("screen/hospital_stays", dates, {**both, **scope})
    if source == "omop":
        for domain in ("diagnoses", "dispensings", "procedures"):
            engine.run(f"sources/omop/concept_{domain}")
    engine.run("screen/rejected_rows")
    return sources
