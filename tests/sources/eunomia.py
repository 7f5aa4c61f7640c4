"""The OHDSI test database Eunomia GiBleed (OMOP CDM 5.3, 2,694 persons): the tables the
adapter and drug-eras read, vendored as zstd parquet of the CSV text (tests/reference/
README.md), written back as the CSV files a CDM export holds, once per test session."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "eunomia_gibleed"

# The OMOP tables the adapter and drug-eras read (the published CDM holds more).
TABLES = (
    "person",
    "observation_period",
    "condition_occurrence",
    "drug_exposure",
    "procedure_occurrence",
    "visit_occurrence",
    "death",
    "concept",
    "concept_ancestor",
    "drug_era",
)


@pytest.fixture(scope="session")
def gibleed(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("gibleed")
    for table in TABLES:
        # every column was stored as the CSV's text: the adapter types it, as from a CDM export
        pl.read_parquet(REFERENCE / f"{table}.parquet").write_csv(folder / f"{table}.csv")
    return folder
