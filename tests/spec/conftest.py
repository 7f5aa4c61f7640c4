"""Engine parity: the spec tests of every cohort, exposure, line and switch rule run on
DuckDB and on Spark (the same SQL, transpiled by sqlglot) and must give the same
per-person results on both. Spark runs when PySpark (and Java) is installed, as
`make test` installs it; elsewhere the Spark half is skipped with a reason. The
analyses' spec tests (incidence, survival) run on DuckDB: after their SQL stages the
estimators are Polars and lifelines code, the same for both engines."""

from __future__ import annotations

import pytest

import tests.claims as claims
from pharmacoepi.spark_engine import spark_available

_RULE_MODULES = {
    "test_case_finding",
    "test_diagnosis_date",
    "test_follow_up",
    "test_population",
    "test_exposures",
    "test_courses_and_lines",
    "test_ms_switches",
}


def pytest_generate_tests(metafunc):
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    engines = ["duckdb", "spark"] if module in _RULE_MODULES else ["duckdb"]
    if "engine" in metafunc.fixturenames:
        metafunc.parametrize("engine", engines, indirect=True)


@pytest.fixture(autouse=True)
def engine(request):
    name = getattr(request, "param", "duckdb")
    if name == "spark" and not spark_available():
        pytest.skip("PySpark is not installed (pip install '.[spark]')")
    claims.ENGINE["name"] = name
    yield name
    claims.ENGINE["name"] = "duckdb"
