"""The command's entry point: stop signals are handled from the first moment, before the
command line's libraries load (a second or so), so a scheduler's SIGTERM at any time ends
the process with one line and code 128 + the signal, never a traceback. Until the command
runs, nothing has been written, so there is nothing to clean."""

from __future__ import annotations

import signal
import sys

_LINE = "interrupted: nothing was written; previous outputs are untouched\n"


_pending: list[int] = []


def _early(signum: int, frame) -> None:
    # inside the import machinery (a module lock's weakref callback) an exception is
    # printed as "Exception ignored" and lost: note the stop, act once the import is done
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            _pending.append(signum)
            return
        frame = frame.f_back
    _exit(signum)


def _exit(signum: int) -> None:
    sys.stderr.write(_LINE)
    sys.stderr.flush()
    raise SystemExit(128 + signum)


def main() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _early)
    from pharmacoepi.cli import main as command

    if _pending:
        _exit(_pending[0])
    command()  # installs the run's own handlers (pharmacoepi.interrupts)
