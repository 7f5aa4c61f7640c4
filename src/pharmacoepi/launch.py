"""The command's entry point: stop signals are handled from the first moment, before the
command line's libraries load (a second or so), so a scheduler's SIGTERM at any time ends
the process with one line and code 128 + the signal, never a traceback. Until the command
runs, nothing has been written, so there is nothing to clean."""

from __future__ import annotations

import signal
import sys

_LINE = "interrupted: nothing was written; previous outputs are untouched\n"


def _early(signum: int, frame: object) -> None:  # noqa: ARG001
    sys.stderr.write(_LINE)
    sys.stderr.flush()
    raise SystemExit(128 + signum)


def main() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _early)
    from pharmacoepi.cli import main as command

    command()  # installs the run's own handlers (pharmacoepi.interrupts)
