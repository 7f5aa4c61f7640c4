"""Progress of a run: on a terminal one live line (stage k/n, its name, times, the last
stage's rows); the stage log when verbose or not on a terminal (batch logs); nothing when
quiet. k/n counts a real build's plan consistently with the stages its engine runs."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from pharmacoepi import plan as plans
from pharmacoepi.definition import load_definition
from pharmacoepi.pipeline.build import build_cohort, build_plan
from pharmacoepi.progress import Reporter

ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# nothing but stage names, counts and times: no person-level data
LINE = re.compile(
    r"stage (\d+)/(\d+) ([\w/.]+) · \d+\.\ds elapsed \(run \d+\.\ds\)"
    r"( · last: [\w/.]+( ([\d,]+|< \d+) rows)?)?"
)


def reporter(terminal: bool, **kwargs) -> tuple[Reporter, io.StringIO]:
    out = io.StringIO()
    console = Console(file=out, force_terminal=terminal, width=200, highlight=False)
    return Reporter(console, **kwargs), out


def frames(text: str) -> list[re.Match]:
    """Every drawing of the live line in a counted run (each event redraws it)."""
    parts = re.split(r"[\r\n]", ESCAPES.sub("\r", text))
    return [LINE.fullmatch(p) for p in parts if re.match(r"stage \d+/", p)]


def fake_run(r: Reporter) -> None:
    """Four steps counting five stages: a SQL step, a Python step with no stage of its own,
    a loop declaring two stages that runs three, and a view (rows not known)."""
    with r.running(5):
        r.step(0, 1, "screen/persons")
        r.stage("start", "screen/persons")
        r.stage("end", "screen/persons", 1234)
        r.step(1, 1, "cohort/attrition")
        r.info("a message")
        r.step(2, 2, "treatments/lines")
        for name in ("treatments/line_starts", "treatments/next", "treatments/next"):
            r.stage("start", name)
            r.stage("end", name, 7)
        r.step(4, 1, "screen/rejected_rows")
        r.stage("start", "screen/diagnoses")
        r.stage("end", "screen/diagnoses", 3)
        r.stage("start", "screen/rejected_rows")
        r.stage("end", "screen/rejected_rows", None)


def test_a_terminal_shows_one_live_line_and_no_stage_log():
    r, out = reporter(terminal=True)
    fake_run(r)
    text = out.getvalue()
    assert "done in" not in text
    assert "a message\n" in text
    shown = frames(text)
    assert all(shown)  # every drawing is a whole line of names, counts and times
    steps = [(int(m[1]), int(m[2]), m[3]) for m in shown]
    assert (1, 5, "screen/persons") in steps
    assert (2, 5, "cohort/attrition") in steps  # a Python step shows under its own name
    assert (3, 5, "treatments/line_starts") in steps
    assert (4, 5, "treatments/next") in steps
    assert (5, 5, "screen/rejected_rows") in steps
    ks = [k for k, _, _ in steps]
    # the loop's third stage stays within its step: k never goes back nor past n
    assert ks == sorted(ks) and max(ks) == 5
    assert "last: screen/persons 1,234 rows" in text
    # a read's 3 rows: a small count (below min_cell 11) shows as "< 11", as in the files;
    # a rule's rows (the cohort's size, which attrition may mask) are not shown at all
    assert "last: screen/diagnoses < 11 rows" in text and "3 rows" not in text
    assert re.search(r"last: treatments/next[\r\n]", text)
    assert "7 rows" not in text
    assert shown[-1][4] == " · last: screen/rejected_rows"  # a view: no rows
    assert text.endswith("\x1b[2K")  # the line is erased when the run ends


@pytest.mark.parametrize(
    ("terminal", "verbose", "prefix"), [(False, False, "pharmacoepi: "), (True, True, "")]
)
def test_verbose_or_batch_output_logs_each_stage(terminal, verbose, prefix):
    r, out = reporter(terminal, verbose=verbose)
    fake_run(r)
    text = ESCAPES.sub("\n", out.getvalue()).replace("\r", "\n")
    logged = re.findall(rf"^{prefix}stage ([\w/.]+) done in \d+\.\ds$", text, re.MULTILINE)
    assert logged == [
        "screen/persons",
        "treatments/line_starts",
        "treatments/next",
        "treatments/next",
        "screen/diagnoses",
        "screen/rejected_rows",
    ]
    assert f"{prefix}a message" in text
    assert bool(frames(text)) == terminal  # a batch log holds no live line


@pytest.mark.parametrize("terminal", [True, False])
def test_quiet_prints_nothing(terminal):
    r, out = reporter(terminal, quiet=True, verbose=True)
    fake_run(r)
    assert out.getvalue() == ""


def test_a_failed_stage_takes_the_line_down_before_its_message():
    r, out = reporter(terminal=True)
    with pytest.raises(RuntimeError), r.running(3):
        r.step(0, 1, "screen/persons")
        r.stage("start", "screen/persons")
        r.stage("abort", "screen/persons")
        r.info("the failure")
        raise RuntimeError
    text = out.getvalue()
    assert text.endswith("\x1b[2Kthe failure\n")
    assert "done in" not in text


def test_stages_outside_a_run_show_without_a_count():
    """validate and drug-eras, until they count their plan: a line per stage, erased."""
    r, out = reporter(terminal=True)
    for name in ("screen/persons", "screen/diagnoses"):
        r.stage("start", name)
        r.stage("end", name, 3)
    text = out.getvalue()
    assert "stage screen/diagnoses · 0.0s elapsed\r" in ESCAPES.sub("\r", text)
    assert "done in" not in text
    assert text.endswith("\x1b[2K")


def test_the_plan_counts_sql_steps_once_and_python_steps_by_their_stages():
    def nothing(state):
        return None

    steps = [
        plans.sql("screen/persons"),
        plans.python("registration", nothing),
        plans.python("lines", nothing, substages=("treatments/line_starts", "treatments/lines")),
    ]
    assert [s.weight for s in steps] == [1, 1, 2]
    assert plans.stage_count(steps) == 4
    told = []

    class State:
        pass

    plans.execute(steps[1:], State(), on_step=lambda *told_now: told.append(told_now))
    assert told == [(0, 1, "registration"), (1, 2, "lines")]


class Recording(Reporter):
    """A reporter that also records the plan's steps and the engine's stages."""

    def step(self, done, weight, name):
        self.events.append(("step", name, weight))
        super().step(done, weight, name)

    def stage(self, event, name, rows=None):
        self.events.append((event, name, rows))
        super().stage(event, name, rows)


@pytest.fixture(params=["terminal", "batch"])
def real_build(request, default_data, tmp_path, monkeypatch):
    """itp_faith on the default dataset (its line loop runs its stages several times),
    with the display wired as build-cohort wires it."""
    out = io.StringIO()
    console = Console(file=out, force_terminal=request.param == "terminal", width=250)
    r = Recording(console)
    r.events = []
    execute = plans.execute

    def wired(plan, state, on_step=None):
        r.events.append(("run", "", None))
        if on_step is not None:  # the conductor wires the display itself
            execute(plan, state, on_step)
        else:
            with r.running(plans.stage_count(plan)):
                execute(plan, state, r.step)
        r.events.append(("run", "", None))

    monkeypatch.setattr(plans, "execute", wired)
    build_cohort(load_definition("itp_faith"), default_data, tmp_path / "out", reporter=r)
    run = [i for i, event in enumerate(r.events) if event[0] == "run"]
    # the screening's plan, then the definition's (pipeline/build.py)
    ran = [e for e in r.events[run[0] + 1 : run[-1]] if e[0] != "run"]
    return request.param, out.getvalue(), ran


def test_a_real_build_counts_its_stages(real_build):
    mode, text, events = real_build
    plan = build_plan(load_definition("itp_faith"))
    n = plans.stage_count(plan)
    ends = [name for event, name, _ in events if event == "end"]  # those of the plan's run
    # every stage the engine runs is counted by the step that runs it: a SQL step is its
    # stage, a Python step runs only the stages it declares (the loop some several times)
    by_step: dict[str, list[str]] = {}
    for event, name, _ in events:
        if event == "step":
            current = by_step.setdefault(name, [])
        elif event == "end":
            current.append(name)
    for step in plan:
        if step.stage is not None:
            assert by_step[step.name] == [step.stage]
        else:
            assert set(by_step[step.name]) <= set(step.substages)
    assert len(by_step["treatments/lines"]) > plan_weight(plan, "treatments/lines")
    assert all(rows is not None for e, _, rows in events if e == "end")  # tables, counted
    if mode == "batch":
        logged = re.findall(r"^pharmacoepi: stage ([\w/.]+) done in", text, re.MULTILINE)
        assert logged[: len(ends)] == ends  # (stages after the plan's may follow)
        assert "stage 1/" not in text
        return
    assert "done in" not in text
    shown = frames(text)
    assert all(shown)
    ks = [int(m[1]) for m in shown]
    assert {int(m[2]) for m in shown} == {n}
    assert ks == sorted(ks) and ks[0] == 1 and ks[-1] == n
    assert {m[3] for m in shown} >= set(ends)  # each stage appeared by name


def plan_weight(plan, name):
    return next(s.weight for s in plan if s.name == name)
