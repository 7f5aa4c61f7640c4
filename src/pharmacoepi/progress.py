"""Progress on long work: live lines on a terminal, plain log lines otherwise (batch jobs).

Only stage names, counts and times are printed: never person-level data.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

from rich.console import Console


@dataclass
class Reporter:
    console: Console
    quiet: bool = False
    _started: dict[str, float] = field(default_factory=dict)
    _status: object = None

    @classmethod
    def for_stderr(cls, quiet: bool = False) -> Reporter:
        # paths and names are printed as they are: no markup, no emoji codes
        return cls(Console(stderr=True, highlight=False, markup=False, emoji=False), quiet=quiet)

    @property
    def live(self) -> bool:
        return self.console.is_terminal

    def info(self, text: str) -> None:
        if not self.quiet:
            self.console.print(text if self.live else f"pharmacoepi: {text}", soft_wrap=True)

    def stage(self, event: str, name: str) -> None:
        """Engine callback: ('start' | 'end' | 'abort', stage name)."""
        if event == "start":
            self._started[name] = time.perf_counter()
            if self.live and not self.quiet:
                self._status = self.console.status(f"running {name} ...")
                self._status.__enter__()
            return
        seconds = time.perf_counter() - self._started.pop(name, time.perf_counter())
        if self._status is not None:
            self._status.__exit__(None, None, None)
            self._status = None
        if event == "end":
            self.info(f"stage {name} done in {seconds:.1f}s")

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
