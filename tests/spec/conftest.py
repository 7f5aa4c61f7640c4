"""Engine parity per rule: with PHARMACOEPI_SPARK_SPEC=1 (`make test-spark`, which CI runs
after `make test`), the spec tests of every cohort, exposure, line and switch rule run on
DuckDB and on Spark (the same SQL, transpiled by sqlglot) and must give the same
per-person results on both.

`make test` leaves them to DuckDB: a tiny build costs Spark a quarter to half a second per
SQL stage (a job per stage, about 40 stages), some 15 s per test, 12 minutes for the lot.
It runs the dataset-level parity instead (tests/test_engine_parity.py: both shipped
definitions, every output, on Spark and DuckDB). The safety-outcome specs
(test_outcomes) and Table 1's (test_characteristics) run on both engines like the rules.
The other analyses' spec tests (incidence, survival) run on DuckDB only: their SQL stages
(at-risk intervals, the Lexis split, survival times) are held to parity by every output of
that dataset-level test, and the estimators after them are the same Polars and lifelines
code for both engines."""

from __future__ import annotations

import os

import pytest

import tests.claims as claims
from pharmacoepi.engines import spark_available

_RULE_MODULES = {
    "test_case_finding",
    "test_diagnosis_date",
    "test_follow_up",
    "test_population",
    "test_exposures",
    "test_courses_and_lines",
    "test_ms_switches",
    "test_persistent_treatment",
    "test_outcomes",
    "test_characteristics",
    "test_shared_scan",
}


# Cases that repeat one stage's arithmetic with other codes: DuckDB only, to keep the Spark
# run short (the Charlson sum runs on Spark in test_table_values and in the dataset-level
# parity of both shipped definitions).
_DUCKDB_ONLY = {"test_charlson_hierarchy_and_weights"}


def pytest_generate_tests(metafunc):
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    spark = (
        os.environ.get("PHARMACOEPI_SPARK_SPEC") == "1"
        and module in _RULE_MODULES
        and metafunc.function.__name__ not in _DUCKDB_ONLY
    )
    if "engine" in metafunc.fixturenames:
        metafunc.parametrize("engine", ["duckdb", "spark"] if spark else ["duckdb"], indirect=True)


@pytest.fixture(autouse=True)
def engine(request):
    name = getattr(request, "param", "duckdb")
    if name == "spark" and not spark_available():
        pytest.skip("PySpark is not installed (pip install '.[spark]')")
    claims.ENGINE["name"] = name
    yield name
    claims.ENGINE["name"] = "duckdb"
