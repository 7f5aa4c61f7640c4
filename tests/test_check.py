"""`pharmacoepi check`: a definition against the data without building: what each codelist
matches (rows and persons per setting, small counts masked), the lists that match nothing,
the rows set aside; nothing written."""

from __future__ import annotations

import re

from pharmacoepi.definition import load_definition
from pharmacoepi.pipeline.check import check_definition
from pharmacoepi.progress import Reporter
from tests.claims import Claims
from tests.cli import assert_user_error, run_cli


def _data(tmp_path):
    c = Claims()
    for pid in range(1, 13):  # 12 persons with two ITP codes each, in two settings
        c.person(pid).diagnosis(pid, "2010-03-01").diagnosis(
            pid, "2010-04-01", setting="outpatient"
        )
    c.person(20).dispensing(20, "2010-03-02")  # one corticosteroid: a small count
    for pid in range(1, 12):  # 11 rows set aside: a date out of range
        c.dispensing(pid, "1850-01-01")
    return c.write(tmp_path / "data")


def test_counts_per_codelist_and_setting_masked_below_min_cell(tmp_path):
    result = check_definition(
        load_definition("itp_faith"), _data(tmp_path), reporter=Reporter.for_stderr(quiet=True)
    )
    rows = {(r[0], r[2]): (r[3], r[4]) for r in result.counts.iter_rows()}
    assert rows[("itp", "hospital_primary")] == (12, 12)
    assert rows[("itp", "outpatient")] == (12, 12)
    assert rows[("corticosteroids", "community")] == (None, None)  # 1 row: masked
    assert "bleeding" in result.unmatched and "itp" not in result.unmatched
    assert result.rejected == {"dispensings": 11}


def test_the_command_prints_the_table_and_writes_nothing(tmp_path):
    data = _data(tmp_path)
    result = run_cli("check", "itp_faith", "--data", data, cwd=tmp_path, env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert re.search(r"itp\s+│ diagnoses\s+│ hospital_primary\s+│\s+12 │\s+12 │", text)
    assert re.search(r"corticosteroids\s+│ dispensings │ community\s+│\s+< 11 │\s+< 11 │", text)
    assert "codelist(s) match no code in the data" in text
    assert "rows set aside: dispensings 11; the definition is valid" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # no output folder


def test_a_bad_definition_is_reported_whole_before_any_data_is_read(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\nwashout: 365\n")
    result = run_cli("check", path, "--data", tmp_path / "nowhere")
    assert_user_error(result, "problems in the definition", "did you mean 'incident.washout_days'")
