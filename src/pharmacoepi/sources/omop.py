"""OMOP CDM 5.3 / 5.4 adapter: the CDM tables as canonical claims views (docs/sources.md).

One file per CDM table (CSV, CSV.gz, parquet or a folder of parquet files), named as the
table (case ignored). Only the columns below are read.
"""

from __future__ import annotations

import pyarrow as pa

from pharmacoepi.sources.layout import LayoutTable

LABEL = "OMOP CDM"
CONCEPT_IDS = True
# Concept codelists (with their descendants) as pseudo-codes 'OMOP<concept_id>', before
# the coded tables are screened; then the screened rows matched by concept id.
CONCEPT_STAGES = ("sources/omop/codelist_concepts", "sources/omop/concept_vocabulary")
POST_SCREEN_STAGES = (
    "sources/omop/concept_diagnoses",
    "sources/omop/concept_dispensings",
    "sources/omop/concept_procedures",
)
# The engines that read this layout: Spark has the interface, not yet the tests (the
# scale-out issue runs every layout on Spark).
ENGINES = ("duckdb",)
# The CDM types every id as an integer: ids are compared as integers even when read from
# CSV text, and one that is not an integer is set aside as unparseable.
ID_TYPE = "BIGINT"

# Visit concepts that are hospital stays: inpatient visit, emergency room and inpatient.
INPATIENT_VISIT_CONCEPTS = [9201, 262]
# A condition is a primary hospital diagnosis when its status is "Primary diagnosis"
# (32902, CDM 5.4) or its type says primary (5.3 ETLs: 44786627 "Primary Condition",
# 38000183 "Inpatient detail - primary", 38000199 "Inpatient header - primary").
PRIMARY_CONDITION_CONCEPTS = [32902, 44786627, 38000183, 38000199]
GENDER_CONCEPTS = {8507: "M", 8532: "F"}
# Birth month and day when the CDM gives only the year (and month): mid-year, mid-month.
MISSING_BIRTH_MONTH, MISSING_BIRTH_DAY = 7, 15
# The OMOP drug_era rolls drugs up to these ingredients (OHDSI's standard script).
INGREDIENT_VOCABULARIES = ["RxNorm", "RxNorm Extension"]
INGREDIENT_CLASS = "Ingredient"

TABLES: tuple[LayoutTable, ...] = (
    LayoutTable(
        "person",
        ("person_id", "gender_concept_id", "year_of_birth"),
        ("month_of_birth", "day_of_birth", "birth_datetime"),
    ),
    LayoutTable(
        "observation_period",
        ("person_id", "observation_period_start_date", "observation_period_end_date"),
    ),
    LayoutTable(
        "condition_occurrence",
        ("person_id", "condition_concept_id", "condition_start_date"),
        (
            "condition_source_value",
            "condition_status_concept_id",
            "condition_type_concept_id",
            "visit_occurrence_id",
        ),
    ),
    LayoutTable(
        "drug_exposure",
        ("person_id", "drug_concept_id", "drug_exposure_start_date"),
        ("drug_exposure_end_date", "days_supply", "drug_source_value", "visit_occurrence_id"),
    ),
    LayoutTable(
        "procedure_occurrence",
        ("person_id", "procedure_concept_id", "procedure_date"),
        ("procedure_source_value", "visit_occurrence_id"),
        required=False,
    ),
    LayoutTable(
        "visit_occurrence",
        (
            "visit_occurrence_id",
            "person_id",
            "visit_concept_id",
            "visit_start_date",
            "visit_end_date",
        ),
        required=False,
    ),
    LayoutTable("death", ("person_id", "death_date"), required=False),
    LayoutTable(
        "concept",
        ("concept_id", "concept_code", "vocabulary_id", "concept_class_id"),
        ("standard_concept", "invalid_reason"),
        required=False,
    ),
    LayoutTable(
        "concept_ancestor", ("ancestor_concept_id", "descendant_concept_id"), required=False
    ),
)

STAGES: tuple[str, ...] = (
    "sources/omop/visits",
    "sources/omop/persons",
    "sources/omop/observation_periods",
    "sources/omop/hospital_stays",
    "sources/omop/diagnoses",
    "sources/omop/drug_exposure_ends",
    "sources/omop/drug_concepts",
    "sources/omop/dispensings",
    "sources/omop/procedures",
    "sources/omop/problems",
)


def lookup_tables() -> dict[str, pa.Table]:
    """Concepts and constants that views read (a view takes no bound parameter): small
    tables, so no value is pasted into SQL text."""
    return {
        "primary_condition_concepts": pa.table(
            {"concept_id": pa.array(PRIMARY_CONDITION_CONCEPTS, pa.int64())}
        ),
        "omop_gender": pa.table(
            {
                "concept_id": pa.array(list(GENDER_CONCEPTS), pa.int64()),
                "sex": pa.array(list(GENDER_CONCEPTS.values()), pa.string()),
            }
        ),
        "omop_birth_imputation": pa.table(
            {
                "month": pa.array([MISSING_BIRTH_MONTH], pa.int32()),
                "day": pa.array([MISSING_BIRTH_DAY], pa.int32()),
            }
        ),
    }


def stage_params(
    stage: str, coverage_end: str = "end_of_data", history_start: object = None
) -> dict[str, object]:
    """coverage_end and history_start are the SNDS layout's (OMOP gives observation
    periods)."""
    if stage == "sources/omop/visits":
        return {"inpatient_visit_concepts": INPATIENT_VISIT_CONCEPTS}
    if stage == "sources/omop/drug_concepts":
        return {"atc_vocabulary": "ATC", "atc_level": "ATC 5th"}
    return {}
