"""`--help` states every default a user would otherwise have to guess, and its hints read
as written (rich markup must not eat `[spark]`)."""

from __future__ import annotations

import re

from tests.cli import run_cli


def _help(*command: str) -> str:
    result = run_cli(*command, "--help", env={"COLUMNS": "400"})
    assert result.returncode == 0, result.stderr
    return re.sub(r"\s+", " ", re.sub(r"[│╭╮╰╯─]", " ", result.stdout))


def test_build_cohort_help_states_its_defaults_and_the_spark_extra():
    text = _help("build-cohort")
    assert "pip install 'pharmacoepi[spark]'" in text
    assert "Default: every core." in text
    assert "Default: DuckDB's own, 80% of the machine's memory; Spark's 1g." in text
    assert "[default: duckdb]" in text


def test_synth_help_names_the_default_preset_and_model():
    text = _help("synth")
    assert "national_1m (used when none is given: 1,000,000 persons" in text
    assert "france_model (the shipped one, used when none is given)" in text
