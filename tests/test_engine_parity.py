"""Engine parity on a synthetic dataset: build-cohort on Spark (the same SQL, transpiled
by sqlglot) writes the same outputs as on DuckDB, file by file and row by row, floats
included (the estimators read their frames in a defined order, so sums agree to the
bit). The per-rule parity is in tests/spec (each rule's spec tests run on both)."""

from __future__ import annotations

import json

import polars as pl
import pytest

from pharmacoepi.engines import spark_available
from tests.cli import run_cli

pytestmark = pytest.mark.skipif(not spark_available(), reason="PySpark is not installed")


def _outputs(folder):
    return {f.name: pl.read_parquet(f) for f in sorted(folder.glob("*.parquet"))}


@pytest.mark.parametrize("definition", ["itp_faith", "ms_dmt"])
def test_spark_writes_what_duckdb_writes(default_data, tmp_path, definition):
    outs = {}
    for engine in ("duckdb", "spark"):
        out = tmp_path / engine
        result = run_cli(
            "build-cohort", definition, "--data", default_data, "--out", out,
            "--engine", engine, "--quiet",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
        outs[engine] = _outputs(out)
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["engine"]["name"] == engine
    duck, spark = outs["duckdb"], outs["spark"]
    assert duck.keys() == spark.keys()
    assert "cohort.parquet" in duck and duck["cohort.parquet"].height > 100
    for name, table in duck.items():
        other = spark[name]
        assert table.schema == other.schema, name
        ordered = table.sort(table.columns, nulls_last=True)
        assert ordered.equals(other.sort(other.columns, nulls_last=True)), name
    # individual-level files keep the order DuckDB writes them in (by person)
    assert duck["cohort.parquet"]["person_id"].equals(spark["cohort.parquet"]["person_id"])
