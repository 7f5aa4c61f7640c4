"""Engine options: wrong values are user errors (exit 2, a message, no traceback)."""

from __future__ import annotations

import pytest

from pharmacoepi.engines import spark_available
from tests.cli import assert_user_error, run_cli


def test_unknown_engine(default_data, tmp_path):
    result = run_cli(
        "build-cohort", "itp_faith", "--data", default_data, "--out", tmp_path / "o",
        "--engine", "oracle",
    )  # fmt: skip
    assert_user_error(result, "--engine 'oracle' is not an engine", "duckdb or spark")
    assert not (tmp_path / "o").exists()


def test_spark_master_needs_the_spark_engine(default_data, tmp_path):
    result = run_cli(
        "build-cohort", "itp_faith", "--data", default_data, "--out", tmp_path / "o",
        "--spark-master", "local[1]",
    )  # fmt: skip
    assert_user_error(result, "--spark-master needs --engine spark")


@pytest.mark.skipif(not spark_available(), reason="PySpark is not installed")
def test_source_adapters_run_on_duckdb_only(tmp_path):
    (tmp_path / "cdm").mkdir()
    result = run_cli(
        "build-cohort", "itp_faith", "--source", "omop", "--data", tmp_path / "cdm",
        "--out", tmp_path / "o", "--engine", "spark",
    )  # fmt: skip
    assert_user_error(result, "reads the claims layout only")
