"""The command line end to end: synth -> validate -> build-cohort, as a user runs it."""

from __future__ import annotations

import hashlib
import json

import polars as pl
import pytest

from pharmacoepi.resources import resource_dir
from tests.cli import assert_user_error, run_cli

# 4,000 persons with ITP x500 and MS x50: enough cases for both shipped cohorts, fast
# enough for every run
SYNTH = (
    "synth",
    "--persons",
    "4000",
    "--start",
    "2005-01-01",
    "--end",
    "2014-12-31",
    "--seed",
    "7",
    "--itp-multiplier",
    "500",
    "--ms-multiplier",
    "50",
)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    data = tmp_path_factory.mktemp("e2e") / "data"
    result = run_cli(*SYNTH, "--out", data)
    assert result.returncode == 0, result.stderr
    assert "persons 4,000" in result.stdout
    return data


def _digest(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_synth_same_seed_same_bytes(synthetic, tmp_path):
    again = tmp_path / "again"
    assert run_cli(*SYNTH, "--out", again).returncode == 0
    assert _digest(again) == _digest(synthetic)
    assert "ground_truth/itp_cases.parquet" in _digest(again)


def test_validate_clean_synthetic_data(synthetic):
    result = run_cli("validate", "--data", synthetic)
    assert result.returncode == 0, result.stderr
    assert "no row-level problems" in result.stdout
    assert "dispensings" in result.stdout


def test_build_cohort_cli(synthetic, tmp_path):
    out = tmp_path / "out"
    result = run_cli(
        "build-cohort",
        "itp_faith",
        "--data",
        synthetic,
        "--out",
        out,
        "--threads",
        "1",
        "--memory-limit",
        "1GB",
    )
    assert result.returncode == 0, result.stderr
    assert "Attrition: itp_faith" in result.stdout
    assert f"outputs: {out}" in result.stdout
    assert "stage screen/dispensings done" in result.stderr  # plain progress lines off a TTY
    cohort = pl.read_parquet(out / "cohort.parquet")
    incident = pl.read_parquet(out / "incident_cases.parquet")
    assert f"{cohort.height:,} persons in the cohort" in result.stdout
    assert cohort.height > 20
    assert set(cohort["person_id"]) == set(
        incident.filter(~pl.col("secondary"), pl.col("age_at_index") >= 18)["person_id"]
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["engine"] == {"name": "duckdb", "threads": 1, "memory_limit": "1GB"}
    assert manifest["inputs"]["persons"]["rows"] == 4000
    checked = manifest["disclosure_audit"]["sensitive_counts_checked"]
    assert f"disclosure audit: {checked:,} hidden small counts checked" in result.stdout
    attrition = pl.read_parquet(out / "attrition.parquet")
    assert attrition["persons"][0] == 4000 and attrition["persons"][4] == cohort.height


def test_build_ms_cohort_cli(synthetic, tmp_path):
    out = tmp_path / "ms"
    definition = resource_dir("cohorts") / "ms_dmt.yaml"
    result = run_cli("build-cohort", definition, "--data", synthetic, "--out", out)
    assert result.returncode == 0, result.stderr
    assert "Attrition: ms_dmt" in result.stdout
    cohort = pl.read_parquet(out / "cohort.parquet")
    assert cohort.height > 20
    switches = pl.read_parquet(out / "switches.parquet")
    lines = pl.read_parquet(out / "lines.parquet")
    assert set(switches["person_id"]) <= set(cohort["person_id"])
    assert {"escalation", "discontinuation"} <= set(switches["transition"])
    assert set(lines["person_id"]) == set(cohort["person_id"])  # line 1 for everyone
    assert (lines["line_number"] > 1).sum() > 10
    assert (out / "switch_types_by_year.parquet").exists()


def test_bad_options_exit_2(synthetic, tmp_path):
    assert_user_error(
        run_cli(
            "build-cohort",
            "itp_faith",
            "--data",
            synthetic,
            "--out",
            tmp_path / "o",
            "--memory-limit",
            "lots",
        ),
        "cannot start DuckDB",
        "--memory-limit",
    )
    assert_user_error(
        run_cli(
            "synth",
            "--persons",
            "10",
            "--start",
            "2010-01-01",
            "--end",
            "2009-01-01",
            "--out",
            tmp_path / "s",
        ),
        "end",
    )
    assert_user_error(
        run_cli("synth", "--start", "2010-31-01", "--out", tmp_path / "s"),
        "--start '2010-31-01' is not a date",
    )
    assert not (tmp_path / "s").exists() and not (tmp_path / "o").exists()
    usage = run_cli("build-cohort")
    assert usage.returncode == 2 and "Traceback" not in usage.stderr
