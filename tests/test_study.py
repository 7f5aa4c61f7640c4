"""Study runs (pharmacoepi run): incremental rebuilds, history, failures, the lock, kill -9
and JSON logs (docs/batch.md)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from pharmacoepi.study.lock import study_lock
from tests.cli import run_cli
from tests.test_cli_end_to_end import SYNTH

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("study") / "data"
    result = run_cli(*SYNTH, "--out", folder)
    assert result.returncode == 0, result.stderr
    return folder


@pytest.fixture
def study(tmp_path, data):
    """A study of copies of the shipped definitions (so a test may edit a codelist) on a
    copy of the data (so a test may touch a file)."""
    shutil.copytree(
        ROOT / "cohorts", tmp_path / "cohorts", ignore=shutil.ignore_patterns("studies")
    )
    shutil.copytree(data, tmp_path / "data")
    path = tmp_path / "study.yaml"
    path.write_text(
        "name: test_study\n"
        "data: {path: data}\n"
        "out: out\n"
        "cohorts: [cohorts/itp_faith.yaml, cohorts/ms_dmt.yaml]\n"
        "variants:\n"
        "  itp_faith:\n"
        "    washout_365: {incident.washout_days: 365}\n"
    )
    return path


def _run(path, *options):
    return run_cli("run", path, *options)


def _runs(path):
    return pl.read_parquet(path.parent / "out" / "runs.parquet")


def _statuses(path, run: int = -1) -> dict[tuple[str, str], str]:
    runs = _runs(path)
    run_id = runs["run_id"].unique(maintain_order=True)[run]
    rows = runs.filter(pl.col("run_id") == run_id)
    return {(r["cohort"], r["variant"]): r["status"] for r in rows.iter_rows(named=True)}


ALL = {("itp_faith", "main"), ("itp_faith", "washout_365"), ("ms_dmt", "main")}


def test_incremental_runs(study):
    first = _run(study)
    assert first.returncode == 0, first.stderr
    assert _statuses(study) == dict.fromkeys(ALL, "built")
    out = study.parent / "out"
    for cohort, variant in ALL:
        assert (out / cohort / variant / "report.html").is_file()
    assert "index:" in first.stdout and (out / "index.html").is_file()

    # nothing changed: nothing rebuilt, each found up to date at once
    again = _run(study)
    assert again.returncode == 0, again.stderr
    assert _statuses(study) == dict.fromkeys(ALL, "up to date")
    latest = _runs(study).filter(pl.col("run_id") == _runs(study)["run_id"][-1])
    assert latest["seconds"].max() < 1.0, latest["seconds"]

    # one codelist changed: exactly the cohorts that use it
    ms = study.parent / "cohorts" / "codelists" / "ms_diagnosis.csv"
    ms.write_text(ms.read_text() + "G379,demyelinating disease of the CNS (unspecified)\n")
    changed = _run(study)
    assert changed.returncode == 0, changed.stderr
    assert _statuses(study) == {**dict.fromkeys(ALL, "up to date"), ("ms_dmt", "main"): "built"}
    assert "codelist(s) changed: ms" in changed.stderr

    # a data file touched: everything rebuilt
    persons = study.parent / "data" / "persons.parquet"
    os.utime(persons, (time.time() + 60, time.time() + 60))
    touched = _run(study)
    assert touched.returncode == 0, touched.stderr
    assert _statuses(study) == dict.fromkeys(ALL, "built")
    assert "the data changed" in touched.stderr

    # --force rebuilds all; the history keeps every row of every run
    forced = _run(study, "--force")
    assert forced.returncode == 0
    assert _statuses(study) == dict.fromkeys(ALL, "built")
    assert _runs(study).height == 5 * len(ALL)
    assert _runs(study)["run_id"].n_unique() == 5


def test_a_failing_cohort_leaves_the_others_built(study):
    text = (
        study.read_text()
        + "    bad_population: {analyses.incidence.population_file: missing.parquet}\n"
    )
    study.write_text(text)
    result = _run(study)
    assert result.returncode == 3, result.stderr
    statuses = _statuses(study)
    assert statuses.pop(("itp_faith", "bad_population")) == "failed"
    assert statuses == dict.fromkeys(ALL, "built")
    assert "population table not found" in result.stderr
    assert not (study.parent / "out" / "itp_faith" / "bad_population").exists()


def test_bad_study_file_exits_2(study):
    study.write_text(study.read_text().replace("cohorts:", "cohort:"))
    result = _run(study)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "invalid study file" in result.stderr
    study.write_text(study.read_text().replace("cohort:", "cohorts:") + "  nope: {a: {b: 1}}\n")
    result = _run(study)
    assert result.returncode == 2 and "variants of cohorts the study does not list" in result.stderr


def test_a_second_run_exits_75_at_once(study):
    out = study.parent / "out"
    with study_lock(out, lambda _: None):
        started = time.perf_counter()
        result = _run(study)
        elapsed = time.perf_counter() - started
    assert result.returncode == 75, result.stderr
    assert "another study run" in result.stderr
    assert elapsed < 30  # it does not wait for the lock (the command's start is most of it)
    assert not (out / "runs.parquet").exists()


def test_kill_9_then_rerun_finishes(study):
    out = study.parent / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "pharmacoepi", "run", str(study)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.time() + 300
    while not (out / "runs.parquet").exists() and time.time() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_rows = pl.read_parquet(out / "runs.parquet")
    assert 1 <= killed_rows.height < len(ALL)
    rerun = _run(study)
    assert rerun.returncode == 0, rerun.stderr
    assert f"took over the lock of run {process.pid}" in rerun.stderr
    runs = _runs(study)
    assert runs["run_id"].n_unique() == 2
    first = set(killed_rows.select("cohort", "variant").iter_rows())
    last = _statuses(study)
    assert set(last) == ALL
    assert all(last[k] == "up to date" for k in first)  # what the killed run finished
    assert all(last[k] == "built" for k in ALL - first)
    assert not [p for p in out.rglob(".*partial*")], "no staging folder left"


def test_json_log_lines_parse(study):
    result = _run(study, "--log-format", "json", "--stages")
    assert result.returncode == 0
    records = [json.loads(line) for line in result.stderr.splitlines()]
    assert {r["level"] for r in records} <= {"info", "debug", "warning"}
    built = [r for r in records if r["message"].startswith("built in")]
    assert {(r["cohort"], r["variant"]) for r in built} == ALL
    assert all(isinstance(r["persons"], int | None) for r in built)
    stages = [r for r in records if r["message"] == "stage done"]
    assert stages and all({"stage", "seconds", "cohort", "variant"} <= set(r) for r in stages)
    # the codelists that match nothing (danazol...): said in full once per cohort, its
    # variant pointing to it
    warned = {r["variant"]: r["message"] for r in records
              if r["level"] == "warning" and r["cohort"] == "itp_faith"}  # fmt: skip
    assert "match no code in the data" in warned["main"]
    assert warned["washout_365"] == "the same warning as itp_faith/main (manifest.json)"


def test_sigterm_stops_a_study_and_keeps_what_it_finished(study):
    out = study.parent / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "pharmacoepi", "run", str(study)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.time() + 300
    while not (out / "runs.parquet").exists() and time.time() < deadline:
        time.sleep(0.2)
    # after the first build committed its folder: the next build must still stop
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 143, stderr
    assert "every cohort finished before the stop is kept" in stderr
    runs = pl.read_parquet(out / "runs.parquet")
    built = runs.filter(pl.col("status") == "built")
    assert 1 <= built.height < len(ALL)
    for cohort, variant in built.select("cohort", "variant").iter_rows():
        assert (out / cohort / variant / "manifest.json").is_file()
    assert set(runs["status"]) <= {"built", "interrupted"}
    assert not [p for p in out.rglob(".*partial*")], "no staging folder left"


def test_history_keeps_no_person_level_count(study):
    assert _run(study).returncode == 0
    for row in _runs(study).iter_rows(named=True):
        files = json.loads(row["output_rows"])
        assert files and all(not f.startswith(("cohort.", "incident_cases", "exposures",
                                                "courses", "lines", "covariates", "rejected"))
                             for f in files)  # fmt: skip
        assert (row["source"], row["engine"]) == ("claims", "duckdb")
