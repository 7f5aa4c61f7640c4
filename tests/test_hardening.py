"""Hardening: every failure a hostile but realistic user found is a clear error or a
correct result, never a traceback nor a silent change. One test per finding, named after
it (the estimator findings are in tests/estimate/test_bad_input.py)."""

from __future__ import annotations

import polars as pl

from tests.claims import Claims, build
from tests.cli import run_cli


def test_min_cell_count_1_does_not_crash_the_cox_fit(tmp_path):
    """privacy.min_cell_count: 1 is allowed; a model of one person is then not fitted."""
    c = Claims().person(1, death="2010-06-01").diagnosis(1, "2010-03-01")
    built = build(c, tmp_path, **{"privacy.min_cell_count": 1})
    cox = built.table("cox")
    assert cox["fitted"].to_list() == [False] * cox.height
    assert set(cox["analysis"]) >= {"death"}
    death = built.table("survival").filter(pl.col("analysis") == "death")
    assert death["persons"].to_list() == [1] * death.height  # threshold 1: nothing masked
    data = tmp_path / "data"
    result = run_cli("build-cohort", "itp_faith", "--data", data, "--out", tmp_path / "cli",
                     "--set", "privacy.min_cell_count=1", "--quiet")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr and "Traceback" not in result.stderr


def test_spark_engine_without_its_extra_says_what_to_install(monkeypatch):
    import sys

    import pytest

    from pharmacoepi.engines import make_engine
    from pharmacoepi.errors import UserError

    monkeypatch.delitem(sys.modules, "pharmacoepi.engines.spark", raising=False)
    monkeypatch.setitem(sys.modules, "sqlglot", None)  # as if not installed
    with pytest.raises(UserError, match="needs sqlglot") as raised:
        make_engine("spark")
    assert "pip install 'pharmacoepi[spark]'" in raised.value.hint


def test_user_text_in_messages_is_printed_literally(tmp_path):
    """A path with an emoji code (:x:) or markup ([bold]) is printed as it was given."""
    odd = tmp_path / "a:x:b [bold]c[/bold]"
    result = run_cli("build-cohort", "itp_faith", "--data", odd, "--out", tmp_path / "o")
    assert result.returncode == 2
    assert str(odd) in result.stderr
    assert "\u274c" not in result.stderr  # the cross emoji


def test_wrong_yaml_types_are_refused_not_coerced():
    """`washout_days: true` was read as 1: numbers and flags are strict."""
    import pytest

    from pharmacoepi.definition import load_definition
    from pharmacoepi.errors import DefinitionError

    for key, value, message in [
        ("incident.washout_days", True, "incident.washout_days: True is not a whole number"),
        ("incident.washout_days", 730.0, "730.0 is not a whole number of days"),
        ("adult.min_age", "18", "adult.min_age: Input should be a valid integer"),
        ("privacy.min_cell_count", False, "Input should be a valid integer"),
        ("treatments.classes.rituximab.course_gap_days", True, "valid integer"),
        ("codelists.itp.include_descendants", 1, "Input should be a valid boolean"),
    ]:
        with pytest.raises(DefinitionError, match=message):
            load_definition("itp_faith", {key: value})
    assert load_definition("itp_faith", {"incident.washout_days": 365})  # an int stays fine


def test_drug_eras_never_replaces_a_file_it_did_not_write(gibleed, tmp_path):
    """--out on a user's file, or on the CDM's own drug_era table, is refused; its own
    previous output is replaced."""
    from tests.cli import assert_user_error

    mine = tmp_path / "notes.parquet"
    pl.DataFrame({"x": [1]}).write_parquet(mine)
    before = mine.read_bytes()
    result = run_cli("drug-eras", "--data", gibleed, "--out", mine)
    assert_user_error(result, "exists and is not a pharmacoepi output")
    assert mine.read_bytes() == before
    assert_user_error(
        run_cli("drug-eras", "--data", gibleed, "--out", gibleed / "drug_era.parquet"),
        "inside the input data folder",
    )
    out = tmp_path / "drug_era.parquet"
    for _ in range(2):  # the second run replaces the first's output
        result = run_cli("drug-eras", "--data", gibleed, "--out", out, "--quiet")
        assert result.returncode == 0, result.stderr
    assert pl.read_parquet(out).height == 52_508
    assert [p.name for p in tmp_path.iterdir() if ".partial" in p.name] == []


def _cdm_without(gibleed, tmp_path, table: str, empty: bool):
    import shutil

    cdm = tmp_path / "cdm"
    shutil.copytree(gibleed, cdm)
    if empty:  # the header line only
        path = cdm / f"{table}.csv"
        path.write_text(path.read_text().splitlines()[0] + "\n")
    else:
        (cdm / f"{table}.csv").unlink()
    return cdm


def test_descendants_without_concept_ancestor_are_an_error(gibleed, tmp_path):
    from tests.cli import assert_user_error

    for empty, found in [(False, "not found"), (True, "empty")]:
        cdm = _cdm_without(gibleed, tmp_path / str(empty), "concept_ancestor", empty)
        result = run_cli(
            "build-cohort", "cohorts/examples/eunomia_celecoxib.yaml", "--source", "omop",
            "--data", cdm, "--out", tmp_path / str(empty) / "out",
        )  # fmt: skip
        assert_user_error(result, f"concept_ancestor table is {found}", "include_descendants")
        assert not (tmp_path / str(empty) / "out").exists()


def test_drug_eras_on_an_empty_concept_ancestor_is_an_error(gibleed, tmp_path):
    from tests.cli import assert_user_error

    cdm = _cdm_without(gibleed, tmp_path, "concept_ancestor", empty=True)
    result = run_cli("drug-eras", "--data", cdm, "--out", tmp_path / "de.parquet")
    assert_user_error(result, "OMOP table 'concept_ancestor' empty", "concept_ancestor")
    assert not (tmp_path / "de.parquet").exists()


def test_a_partition_missing_a_required_column_stops_the_run(tmp_path):
    """diagnoses/year=2008/ without `code` was read as nulls: 10 -> 14 persons, unsaid."""
    from tests.cli import assert_user_error

    c = Claims()
    for pid in (1, 2):
        c.person(pid).diagnosis(pid, "2008-05-01").diagnosis(pid, "2010-03-01")
    data = c.write(tmp_path / "data")
    diagnoses = pl.read_parquet(data / "diagnoses.parquet")
    (data / "diagnoses.parquet").unlink()
    for year in (2008, 2010):
        part = data / "diagnoses" / f"year={year}"
        part.mkdir(parents=True)
        rows = diagnoses.filter(pl.col("date").dt.year() == year)
        (rows.drop("code") if year == 2008 else rows).write_parquet(part / "part-0.parquet")
    result = run_cli("build-cohort", "itp_faith", "--data", data, "--out", tmp_path / "o")
    assert_user_error(result, "column 'code' is missing from 1 of its 2 files", "year=2008")
    assert not (tmp_path / "o").exists()
    assert_user_error(run_cli("validate", "--data", data), "column 'code' is missing")


def test_a_full_disk_is_a_clear_error_and_keeps_the_previous_output(tmp_path, monkeypatch, capsys):
    import errno
    import signal
    import sys

    import pytest

    from pharmacoepi import cli
    from pharmacoepi.pipeline import build

    monkeypatch.setattr(signal, "signal", lambda *args: None)  # keep pytest's handlers

    data = Claims().person(1).diagnosis(1, "2010-03-01").write(tmp_path / "data")
    out = tmp_path / "out"
    argv = ["pharmacoepi", "build-cohort", "itp_faith", "--data", str(data), "--out", str(out),
            "--quiet"]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as done:
        cli.main()
    assert done.value.code in (0, None)
    before = (out / "manifest.json").read_text()

    def full(path, payload):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(build, "write_json", full)
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        cli.main()
    err = capsys.readouterr().err
    assert done.value.code == 2
    assert "cannot write: No space left on device" in err and "hint: free disk space" in err
    assert "Traceback" not in err
    assert (out / "manifest.json").read_text() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_out_of_memory_outside_a_stage_is_a_clear_error(gibleed, tmp_path):
    """DuckDB's out-of-memory while reading the CDM's CSV files (not in a stage)."""
    from tests.cli import assert_user_error

    result = run_cli("drug-eras", "--data", gibleed, "--out", tmp_path / "de.parquet",
                     "--memory-limit", "1KB")  # fmt: skip
    assert_user_error(result, "failed: Out of Memory Error", "raise --memory-limit")
    assert not (tmp_path / "de.parquet").exists()


def test_duckdb_disk_full_gets_the_disk_hint():
    import duckdb

    from pharmacoepi.engines.duckdb import DuckDBEngine

    with DuckDBEngine(threads=1) as engine:
        error = engine.user_error(
            "writing table cohort", duckdb.IOException("IO Error: No space left on device")
        )
    assert error.message.startswith("writing table cohort failed: IO Error: No space left")
    assert "free disk space" in error.hint


def test_shifted_dates_stop_the_run_with_a_hint_and_a_wider_range_reads_them(tmp_path):
    """MIMIC-IV's dates are shifted into 2110-2202: every row was set aside as out of
    range and every cohort was empty, without a word."""
    from tests.cli import assert_user_error

    c = Claims()
    for pid in range(1, 21):
        c.person(pid, birth="2150-01-01", covered=("2180-01-01", "2199-12-31"))
        c.diagnosis(pid, "2190-03-01")
    data = c.write(tmp_path / "data")
    result = run_cli("build-cohort", "itp_faith", "--data", data, "--out", tmp_path / "o",
                     "--set", "study_period.start=2189-07-01",
                     "--set", "study_period.end=2191-06-30",
                     "--set", "follow_up.administrative_end=2199-12-31")  # fmt: skip
    assert_user_error(result, "20 of the 20 persons rows checked have a date outside the "
                      "valid range 1900-01-01..2100-12-31", "--date-range")  # fmt: skip
    assert not (tmp_path / "o").exists()
    widened = run_cli("build-cohort", "itp_faith", "--data", data, "--out", tmp_path / "o",
                      "--set", "study_period.start=2189-07-01",
                      "--set", "study_period.end=2191-06-30",
                      "--set", "follow_up.administrative_end=2199-12-31",
                      "--date-range", "1900-01-01:2300-12-31", "--quiet")  # fmt: skip
    assert widened.returncode == 0, widened.stderr
    assert pl.read_parquet(tmp_path / "o" / "cohort.parquet").height == 20
    manifest = (tmp_path / "o" / "manifest.json").read_text()
    assert '"date_range": [\n    "1900-01-01",\n    "2300-12-31"\n  ]' in manifest
    assert_user_error(run_cli("validate", "--data", data), "persons rows checked")
    assert_user_error(run_cli("validate", "--data", data, "--date-range", "2300-01-01:1900-01-01"),
                      "is not START:END")  # fmt: skip
