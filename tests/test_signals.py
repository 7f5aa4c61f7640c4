"""A scheduler's SIGTERM at any moment of a build ends it promptly and cleanly: one line,
exit code 143, no traceback, the previous output intact and no staging folder left; or,
when the signal comes after the new outputs are in place, a completed run (exit 0).

`make test` sends 8 signals; `make test-signals` (in CI) sends 50
(PHARMACOEPI_SIGNAL_RUNS)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

LINE = "interrupted: nothing was written; previous outputs are untouched"


def test_sigterm_at_random_moments_exits_cleanly(default_data, tmp_path):
    runs = int(os.environ.get("PHARMACOEPI_SIGNAL_RUNS", "8"))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "pharmacoepi", "build-cohort", "itp_faith",
               "--data", str(default_data), "--out", str(out), "--quiet"]  # fmt: skip
    started = time.perf_counter()
    first = subprocess.run(command, capture_output=True, text=True, timeout=600)
    whole = time.perf_counter() - started
    assert first.returncode == 0, first.stderr
    moments = random.Random(20261130)
    outcomes: Counter[str] = Counter()
    for _ in range(runs):
        previous = (out / "manifest.json").read_text()
        run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(moments.uniform(0, whole * 1.1))
        sent = time.perf_counter()
        run.send_signal(signal.SIGTERM)
        _, stderr = run.communicate(timeout=120)
        assert time.perf_counter() - sent < 20, "the run did not stop promptly"
        assert "Traceback" not in stderr and "FATAL" not in stderr, stderr
        if run.returncode in (128 + signal.SIGTERM, -signal.SIGTERM):
            # -15: the signal came while the interpreter itself was starting, before any
            # code of ours could take it (a shell sees 143 too); nothing was written
            said = [] if run.returncode < 0 else [LINE]
            assert stderr.strip().splitlines() == said, stderr
            assert (out / "manifest.json").read_text() == previous
            outcomes["interrupted"] += 1
        else:  # the signal came once the new outputs were in place: a completed run
            assert run.returncode == 0, (run.returncode, stderr)
            assert json.loads((out / "manifest.json").read_text())["outputs"]
            outcomes["completed"] += 1
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert outcomes["interrupted"] >= runs // 2, outcomes


def test_a_killed_runs_staging_is_removed_by_the_next_run(default_data, tmp_path):
    """kill -9 leaves no chance to clean up: the next run into the same folder removes
    what the dead run left, and says so."""
    out = tmp_path / "out"
    command = [sys.executable, "-m", "pharmacoepi", "build-cohort", "itp_faith",
               "--data", str(default_data), "--out", str(out)]  # fmt: skip
    run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.perf_counter() + 60
    while not any(p.name.startswith(".out.partial-") for p in tmp_path.iterdir()):
        assert time.perf_counter() < deadline and run.poll() is None, "no staging folder seen"
        time.sleep(0.05)
    run.kill()
    run.wait()
    (left,) = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert left.startswith(f".out.partial-{run.pid}-")
    again = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert f"removed {left}, left by run {run.pid}, which was killed" in again.stderr
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


class _Frame:
    """A stack frame as a signal handler receives it: the file its code is in, its caller."""

    def __init__(self, filename: str, back=None):
        self.f_code = type("Code", (), {"co_filename": filename})()
        self.f_back = back


IN_IMPORT = _Frame("/x/pharmacoepi/cli.py", _Frame("<frozen importlib._bootstrap>"))


# Where a raised exception would be printed as "Exception ignored ... Traceback" and lost.
# Both found by CI: a module lock's weakref callback inside an import, and a
# WeakKeyDictionary's `remove` run by the garbage collector (the report's matplotlib).
IN_GC = _Frame("/usr/lib/python3.11/weakref.py", _Frame("/x/pharmacoepi/report/svg.py"))


@pytest.mark.parametrize("frame", [IN_IMPORT, IN_GC], ids=["import", "weakref callback"])
def test_a_stop_where_it_cannot_unwind_is_acted_on_at_the_next_safe_point(frame):
    from pharmacoepi import interrupts
    from pharmacoepi.errors import Interrupted

    interrupts._state.update(requested=None, deferring=0, committed=False)
    try:
        interrupts.handler(signal.SIGTERM, frame)  # recorded, not raised
        assert interrupts.requested() == signal.SIGTERM
        with pytest.raises(Interrupted):
            interrupts.check()
        with pytest.raises(Interrupted):  # anywhere else it is raised at once
            interrupts.handler(signal.SIGTERM, _Frame("/x/pharmacoepi/plan.py"))
    finally:
        interrupts._state.update(requested=None, deferring=0, committed=False)


def test_a_stop_while_the_command_loads_waits_for_the_import_to_end():
    import pytest

    from pharmacoepi import launch

    launch._pending.clear()
    try:
        launch._early(signal.SIGTERM, IN_IMPORT)
        assert launch._pending == [signal.SIGTERM]
        with pytest.raises(SystemExit) as stopped:
            launch._early(signal.SIGTERM, _Frame("/x/site.py"))
        assert stopped.value.code == 143
    finally:
        launch._pending.clear()


def test_a_stop_while_duckdb_reads_a_registered_table_is_an_interrupt_not_a_data_error():
    """CI found it (make test-signals): a SIGTERM landing while DuckDB read a registered
    Python object through its callbacks came back as 'registering codelist_concepts
    failed: Invalid Input Error: reading the object ... failed: Interrupted: 15', exit 2
    with a bad-input hint. DuckDB wraps what a callback raises: the fake below does too."""
    import duckdb
    import pyarrow as pa
    import pytest

    from pharmacoepi import interrupts
    from pharmacoepi.engines.duckdb import DuckDBEngine
    from pharmacoepi.errors import Interrupted

    class WrappingConnection:
        def __init__(self, con):
            self.con = con

        def register(self, name, table):
            try:  # the signal lands inside DuckDB's callback into Python
                interrupts.handler(signal.SIGTERM, _Frame("/x/pyarrow/dataset.py"))
            except Interrupted as exc:
                raise duckdb.InvalidInputError(f"reading the object registered as {name!r} "
                                               f"data failed: {exc}") from None  # fmt: skip
            return self.con.register(name, table)

        def __getattr__(self, attr):
            return getattr(self.con, attr)

    interrupts._state.update(requested=None, deferring=0, committed=False)
    try:
        with DuckDBEngine() as engine:
            engine.con = WrappingConnection(engine.con)
            with pytest.raises(Interrupted):
                engine.register("codelist_concepts", pa.table({"concept_id": ["1"]}))
            engine.con = engine.con.con
    finally:
        interrupts._state.update(requested=None, deferring=0, committed=False)
