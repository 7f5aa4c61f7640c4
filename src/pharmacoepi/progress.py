"""Progress on long work: one live line on a terminal, plain log lines otherwise (batch jobs).

On a terminal a run shows one line, redrawn in place: the stage k of n, its name, its
elapsed time and the run's, and the last stage ended with the rows it created when the
engine knows them. The stage log ("stage NAME done in X.Xs") is printed instead when the
output is not a terminal (batch logs), or as well with `verbose` (above the live line).

Only stage names, counts and times are printed: never person-level data.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console
from rich.live import Live
from rich.text import Text


@dataclass
class Position:
    """Where a run is, for the live line. Steps come from the plan (`Reporter.step`),
    stages from the engine (`Reporter.stage`): a Python step that runs no stage of its own
    (an estimator, the writing of the outputs) shows under its own name."""

    total: int | None = None  # the stages the plan counts; None outside `Reporter.running`
    started: float = field(default_factory=time.perf_counter)
    done: int = 0  # stages counted by the steps before the current one
    weight: int | None = None  # stages the current step counts; None until a step is told
    ended: int = 0  # stages ended within the current step
    step: str | None = None
    name: str = ""  # what runs now: a stage, or its step between stages
    since: float = field(default_factory=time.perf_counter)
    last: str = ""  # the last stage ended, with its rows when known

    @property
    def k(self) -> int:
        # the line loop may run its stages more times than its step counts: k stays in
        # the step, so it never runs past n nor goes back when the next step starts
        within = self.ended if self.weight is None else min(self.ended, self.weight - 1)
        k = self.done + within + 1
        return k if self.total is None else min(k, self.total)

    def line(self, now: float) -> str:
        if self.total is None:  # a stage outside a counted run: no k/n to tell
            return f"stage {self.name} · {now - self.since:.1f}s elapsed"
        line = f"stage {self.k}/{self.total} {self.name} · {now - self.since:.1f}s elapsed"
        line += f" (run {now - self.started:.1f}s)"
        return line + (f" · last: {self.last}" if self.last else "")


@dataclass
class Reporter:
    console: Console
    quiet: bool = False
    verbose: bool = False  # the stage log on a terminal too
    # a stage's rows from 1 to min_cell - 1 show as "< min_cell": the live line may sit on
    # a shared screen, and a small table (a cohort of 3) is a small count like any other
    min_cell: int = 11
    _started: dict[str, float] = field(default_factory=dict)
    _at: Position = field(default_factory=Position)
    _in_run: bool = False
    _live: Live | None = None

    @classmethod
    def for_stderr(cls, quiet: bool = False, verbose: bool = False) -> Reporter:
        # paths and names are printed as they are: no markup, no emoji codes
        console = Console(stderr=True, highlight=False, markup=False, emoji=False)
        return cls(console, quiet=quiet, verbose=verbose)

    @property
    def live(self) -> bool:
        return self.console.is_terminal

    def info(self, text: str) -> None:
        if not self.quiet:
            self.console.print(text if self.live else f"pharmacoepi: {text}", soft_wrap=True)

    @contextmanager
    def running(self, total: int) -> Iterator[None]:
        """A run of `total` stages (plan.stage_count): the live line lasts until it ends,
        however it ends."""
        self._at, self._in_run = Position(total), True
        try:
            yield
        finally:
            self._hide()  # first: stopping draws the line once more
            self._at, self._in_run = Position(), False

    def step(self, done: int, weight: int, name: str) -> None:
        """Plan callback (plan.execute's on_step): a step starts."""
        at, now = self._at, time.perf_counter()
        at.done, at.weight, at.ended, at.step, at.name, at.since = done, weight, 0, name, name, now
        self._show()

    def _rows(self, rows: int) -> str:
        return f"< {self.min_cell}" if 0 < rows < self.min_cell else f"{rows:,}"

    def stage(self, event: str, name: str, rows: int | None = None) -> None:
        """Engine callback: ('start' | 'end' | 'abort', stage name[, rows it created])."""
        at, now = self._at, time.perf_counter()
        if event == "start":
            self._started[name] = now
            at.name, at.since = name, now
            self._show()
            return
        seconds = now - self._started.pop(name, now)
        if event != "end":
            self._hide()  # before the failure's message
            return
        at.ended += 1
        # rows of the reads only (sources/, screen/): a cohort stage's rows are the
        # cohort size, which the attrition may mask as the complement of a small exclusion
        read = name.startswith(("sources/", "screen/"))
        at.last = f"{name} {self._rows(rows)} rows" if rows is not None and read else name
        at.name, at.since = at.step or name, now
        if self.verbose or not self.live:
            self.info(f"stage {name} done in {seconds:.1f}s")
        if self._in_run:
            self._show()
        else:
            self._hide()  # no run around it (validate, drug-eras): a line per stage

    def aside(self) -> Reporter:
        """A reporter for work that runs beside the current one (a definition's last
        steps while the next one's run, pipeline/build.py): its lines printed, its stages
        logged, the live line left to the current work."""
        return _Aside(self.console, quiet=self.quiet, verbose=self.verbose,
                      min_cell=self.min_cell)  # fmt: skip

    def line(self) -> str:
        """The live line's text, now."""
        return self._at.line(time.perf_counter())

    def _show(self) -> None:
        if self.quiet or not self.live:
            return
        if self._live is None:
            # stdout stays untouched: it carries the command's results
            self._live = Live(
                console=self.console,
                get_renderable=lambda: Text(self.line(), no_wrap=True, overflow="ellipsis"),
                transient=True,
                redirect_stdout=False,
            )
            self._live.start()
        self._live.refresh()  # every event drawn, not only at the timer's ticks

    def _hide(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def chunks(self, done: int, total: int, what: str) -> None:
        """Progress of chunked work such as the synthetic generator."""
        if self.quiet:
            return
        line = f"{what}: {done:,}/{total:,} ({100 * done / max(total, 1):.0f}%)"
        if self.live:
            end = "\n" if done >= total else "\r"
            sys.stderr.write(line + " " * 8 + end)
            sys.stderr.flush()
        else:
            self.info(line)


class _Aside(Reporter):
    def _show(self) -> None:
        return  # one live line per console: the current work's
