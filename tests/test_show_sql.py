"""`build-cohort --show-sql`: the stages in run order, each value shown as bound beside the
query and never pasted into it; no data read."""

from __future__ import annotations

import re

from pharmacoepi.definition import load_definition
from pharmacoepi.pipeline.build import build_plan
from tests.cli import run_cli


def test_the_stages_in_run_order_with_values_bound_not_pasted(tmp_path):
    result = run_cli(
        "build-cohort", "itp_faith", "--show-sql", "--set", "incident.washout_days=1234",
        "--data", tmp_path / "nowhere",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = result.stdout
    plan = build_plan(load_definition("itp_faith", {"incident.washout_days": 1234}))
    shown = re.findall(r"^-- step \d+: ([\w/.]+)", text, re.MULTILINE)
    assert shown == [s.name for s in plan]
    sql_lines = [line for line in text.splitlines() if line and not line.lstrip().startswith("--")]
    assert not any("1234" in line for line in sql_lines)  # bound, not pasted
    assert not any("D693" in line for line in sql_lines)  # codes travel as a table
    assert "-- $washout_days = 1234 (INTEGER)" in text
    assert "{{" not in text  # every identifier slot filled
    assert not (tmp_path / "nowhere").exists() and not (tmp_path / "output").exists()
