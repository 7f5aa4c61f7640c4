"""A failed or interrupted run never leaves half-written outputs nor destroys a good one."""

import json

import polars as pl
import pytest

from pharmacoepi.characteristics import charlson
from pharmacoepi.definition import load_definition
from pharmacoepi.engines.duckdb import DuckDBEngine as Engine
from pharmacoepi.errors import Interrupted, UserError
from pharmacoepi.pipeline.build import build_cohort
from pharmacoepi.progress import Reporter
from tests.claims import Claims, d
from tests.cli import assert_user_error, run_cli

QUIET = Reporter.for_stderr(quiet=True)


@pytest.fixture
def good_run(tmp_path):
    data = Claims().person(1).diagnosis(1, "2010-03-01").write(tmp_path / "data")
    out = tmp_path / "out"
    build_cohort(load_definition("itp_faith"), data, out, reporter=QUIET)
    return data, out, (out / "manifest.json").read_text()


def _leftovers(parent):
    return [p.name for p in parent.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("failure", [Interrupted, RuntimeError])
def test_interrupted_or_failed_run_keeps_previous_output(tmp_path, good_run, monkeypatch, failure):
    data, out, manifest = good_run
    real_run = Engine.run

    def failing_run(self, name, *args, **kwargs):
        if name == "cohort/index_date":
            raise failure()
        return real_run(self, name, *args, **kwargs)

    monkeypatch.setattr(Engine, "run", failing_run)
    with pytest.raises(failure):
        build_cohort(load_definition("itp_faith"), data, out, reporter=QUIET)
    assert (out / "manifest.json").read_text() == manifest
    assert pl.read_parquet(out / "cohort.parquet")["index_date"].to_list() == [d("2010-03-01")]
    assert _leftovers(tmp_path) == []


def test_failed_cli_run_keeps_previous_output(tmp_path, good_run):
    data, out, manifest = good_run
    (data / "persons.parquet").unlink()
    assert_user_error(
        run_cli("build-cohort", "itp_faith", "--data", data, "--out", out),
        "missing table 'persons'",
    )
    assert (out / "manifest.json").read_text() == manifest
    assert _leftovers(tmp_path) == []


def test_rerun_replaces_previous_output(tmp_path, good_run):
    data, out, manifest = good_run
    Claims().person(1).diagnosis(1, "2010-03-01").person(2).diagnosis(2, "2010-04-01").write(data)
    build_cohort(load_definition("itp_faith"), data, out, reporter=QUIET)
    assert pl.read_parquet(out / "cohort.parquet").height == 2
    assert json.loads((out / "manifest.json").read_text()) != json.loads(manifest)
    assert _leftovers(tmp_path) == []


def test_refuses_to_replace_a_folder_it_did_not_write(tmp_path, good_run):
    data, _, _ = good_run
    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "chapter1.docx").write_text("years of work")
    with pytest.raises(UserError, match="not a pharmacoepi output"):
        build_cohort(load_definition("itp_faith"), data, precious, reporter=QUIET)
    assert (precious / "chapter1.docx").read_text() == "years of work"


def test_signals_raise_interrupted_at_once_or_at_the_next_safe_point():
    from pharmacoepi import interrupts

    interrupts._state.update(requested=None, deferring=0, committed=False)
    with pytest.raises(Interrupted) as raised:
        interrupts.handler(15, None)
    assert raised.value.exit_code == 143  # 128 + SIGTERM
    interrupts._state.update(requested=None)
    with interrupts.deferred():
        interrupts.handler(2, None)  # inside an engine call: recorded, not raised
        assert interrupts.requested() == 2
    with pytest.raises(Interrupted) as raised:
        interrupts.check()
    assert raised.value.exit_code == 130
    interrupts.commit()  # outputs in place: a late signal is let go
    interrupts.handler(15, None)
    interrupts.check()
    interrupts._state.update(requested=None, deferring=0, committed=False)


def test_outputs_and_manifest(tmp_path, good_run):
    _, out, manifest_text = good_run
    assert sorted(p.name for p in out.iterdir()) == [
        ".pharmacoepi-output",
        "attrition.parquet",
        "characteristics.parquet",
        "cohort.parquet",
        "courses.parquet",
        "covariates.parquet",
        "exposed_at.parquet",
        "exposures.parquet",
        "incidence.parquet",
        "incident_cases.parquet",
        "lines.parquet",
        "manifest.json",
        "outcome_incidence.parquet",
        "outcome_survival.parquet",
        "pathways.parquet",
        "phases.parquet",
        "report.html",
        "retreatment.parquet",
        "secondary_causes.parquet",
        "survival.parquet",
    ]
    manifest = json.loads(manifest_text)
    assert manifest["outputs"]["cohort.parquet"] == {"rows": 1, "level": "individual"}
    assert manifest["outputs"]["lines.parquet"] == {"rows": 1, "level": "individual"}
    for aggregate in ("attrition", "exposed_at", "pathways", "phases", "retreatment", "incidence",
                      "survival", "secondary_causes", "characteristics"):  # fmt: skip
        entry = manifest["outputs"][f"{aggregate}.parquet"]
        assert entry["level"] == "aggregate", aggregate
        assert entry["min_cell_count"] in (11, None), aggregate  # None: an empty table
    assert manifest["inputs"]["persons"]["rows"] == 1
    assert manifest["inputs"]["procedures"]["format"] == "parquet"
    assert set(manifest["codelists"]) == {
        "itp", "itp_first_line_drugs", "secondary_itp", "bleeding", "thrombosis",
        "serious_infection", "corticosteroids", "ivig",
        "tpo_ra", "rituximab", "fostamatinib", "dapsone", "danazol", "immunosuppressants",
        "splenectomy", "diabetes", "hypertension", "copd", "autoimmune_disease", "anticoagulants",
        *(f"charlson_{c}" for c in charlson.WEIGHTS),
    }  # fmt: skip
    assert manifest["outputs"]["covariates.parquet"]["level"] == "individual"
    assert [s["stage"] for s in manifest["stages"]][:2] == [
        "screen/persons",
        "screen/valid_persons",
    ]
    cohort = pl.read_parquet(out / "cohort.parquet")
    assert cohort.columns == [
        "person_id",
        "sex",
        "birth_date",
        "age_at_index",
        "code_date",
        "diagnosis_date",
        "index_date",
        "index_source",
        "observation_start",
        "observation_end",
        "death_date",
        "follow_up_end",
        "end_reason",
        "follow_up_days",
        "phase",
        "persistent_or_chronic",
    ]
    # one person: every attrition count of 1 is masked (1..10 hidden)
    attrition = pl.read_parquet(out / "attrition.parquet")
    assert attrition["persons"].to_list() == [None] * 5


def test_outputs_never_overlap_the_inputs(tmp_path, good_run):
    data, out, _ = good_run
    for target in (data, data / "sub", tmp_path):
        result = run_cli("build-cohort", "itp_faith", "--data", data, "--out", target)
        assert_user_error(result, "overlaps the input data folder")
    assert sorted(p.name for p in data.iterdir())[0] == "diagnoses.parquet"


def test_commands_do_not_replace_each_others_outputs(tmp_path, good_run):
    data, out, manifest = good_run
    result = run_cli("validate", "--data", data, "--out", out)
    assert_user_error(result, "is the output of `build-cohort`")
    assert (out / "manifest.json").read_text() == manifest


def test_output_under_a_file(tmp_path, good_run):
    data, _, _ = good_run
    (tmp_path / "afile").write_text("x")
    result = run_cli("build-cohort", "itp_faith", "--data", data, "--out", tmp_path / "afile" / "o")
    assert_user_error(result, "cannot create the output folder")


def test_failed_swap_puts_the_previous_output_back(tmp_path, good_run, monkeypatch):
    data, out, manifest = good_run
    real_rename = type(out).rename

    def rename(self, target):
        if ".partial-" in self.name:
            raise OSError("disk full")
        return real_rename(self, target)

    monkeypatch.setattr(type(out), "rename", rename)
    with pytest.raises(OSError, match="disk full"):
        build_cohort(load_definition("itp_faith"), data, out, reporter=QUIET)
    assert (out / "manifest.json").read_text() == manifest
    assert _leftovers(tmp_path) == []


def test_a_failed_stage_stops_the_progress_display(tmp_path):
    events = []
    with Engine(on_stage=lambda event, name: events.append((event, name))) as engine:
        engine.con.execute("CREATE TABLE raw_persons AS SELECT 'x' AS person_id")
        with pytest.raises(Exception):  # noqa: B017 - any failure must end the display
            engine.run(
                "screen/persons", {"min_date": None, "max_date": None}, {"person_id_type": "BIGINT"}
            )
    assert events == [("start", "screen/persons"), ("abort", "screen/persons")]


def test_a_signal_interrupts_a_running_query_at_once():
    """DuckDB runs in a worker thread so a signal is handled mid-query, not after it."""
    import os
    import signal
    import threading
    import time

    def handler(signum, frame):
        raise Interrupted

    previous = signal.signal(signal.SIGUSR1, handler)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGUSR1))
    try:
        with Engine(threads=1) as engine:
            engine.con.execute(
                "CREATE VIEW raw_persons AS SELECT i AS person_id, 'F' AS sex, "
                "DATE '1960-01-01' AS birth_date, NULL AS death_date FROM range(300000000) t(i)"
            )
            started = time.perf_counter()
            timer.start()
            with pytest.raises(Interrupted):
                engine.run(
                    "screen/persons",
                    {"min_date": d("1900-01-01"), "max_date": d("2100-12-31")},
                    {"person_id_type": "BIGINT"},
                )
            assert time.perf_counter() - started < 10
            assert engine.con.execute("SELECT 42").fetchall() == [(42,)]  # still usable
    finally:
        timer.cancel()
        signal.signal(signal.SIGUSR1, previous)


def test_memory_limit_too_small_is_a_user_error(tmp_path, good_run):
    data, _, _ = good_run
    result = run_cli(
        "build-cohort",
        "itp_faith",
        "--data",
        data,
        "--out",
        tmp_path / "o",
        "--memory-limit",
        "1KB",
    )
    assert_user_error(result, "--memory-limit")
    assert not (tmp_path / "o").exists()


def test_terminal_shows_masked_counts_unless_asked(tmp_path, good_run):
    data, _, _ = good_run
    masked = run_cli("build-cohort", "itp_faith", "--data", data, "--out", tmp_path / "a")
    assert masked.returncode == 0, masked.stderr
    assert "masked persons in the cohort" in masked.stdout
    # one person: the five persons cells, the summary line, the crude incidence and the
    # phase share are masked (0 excluded is shown); then each of the five outcome rates
    # says its events are
    summary, outcomes = masked.stdout.split("outputs:")[0].split("outcome bleeding_first_year")
    assert summary.count("masked") == 8
    assert outcomes.count("events masked (small cells)") == 5
    assert "persistent or chronic share masked" in masked.stdout
    shown = run_cli(
        "build-cohort", "itp_faith", "--data", data, "--out", tmp_path / "b", "--show-small-counts"
    )
    assert "1 persons in the cohort" in shown.stdout
    assert "0 of 1 with a decided phase are persistent or chronic (0.0%)" in shown.stdout
