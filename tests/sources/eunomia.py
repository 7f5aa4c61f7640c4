"""The OHDSI test database Eunomia GiBleed (OMOP CDM 5.3, 2,694 persons), read in place
from ../shared/reference and unzipped into a temporary folder per test session."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

ZIP = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "reference"
    / "omop_eunomia_gibleed"
    / "gibleed_cdm53_csv.zip"
)

# The OMOP tables the adapter and drug-eras read (the zip holds the whole CDM).
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
    assert ZIP.is_file(), f"Eunomia GiBleed not found at {ZIP}"
    folder = tmp_path_factory.mktemp("gibleed")
    with zipfile.ZipFile(ZIP) as archive:
        for table in TABLES:
            archive.extract(f"{table}.csv", folder)
    return folder
