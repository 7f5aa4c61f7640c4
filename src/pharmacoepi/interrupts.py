"""Ctrl-C and SIGTERM (a batch scheduler's stop) end a run promptly and cleanly: one line,
exit code 128 + the signal (130, 143), no traceback, the previous output intact.

The command line installs `handler`. Outside engine calls it raises Interrupted at once,
and the run unwinds through its cleanup (the staging folder is removed). Inside an engine
call (`deferred()`), it only records the request: an exception raised while a database
library runs Python code for its C++ side (a scan of an Arrow table, a progress callback)
would abort the process, or leave the connection busy. The engine's wait loop sees the
request, stops the query, and raises Interrupted at a safe point. Once a run's outputs are
swapped into place (`commit`), a late signal is let go: the run is complete, it exits 0.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from pharmacoepi.errors import Interrupted

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

_state = {"requested": None, "deferring": 0, "committed": False, "installed": False}


def install() -> None:
    """The command line's handlers (a library user keeps Python's own)."""
    _state.update(requested=None, deferring=0, committed=False, installed=True)
    for signum in STOP_SIGNALS:
        signal.signal(signum, handler)


def handler(signum: int, frame: FrameType | None) -> None:
    if _state["committed"]:
        return
    _state["requested"] = signum
    if not _state["deferring"] and not _importing(frame):
        raise Interrupted(signum)


def _importing(frame: FrameType | None) -> bool:
    """Whether the signal landed where an exception cannot unwind the run: inside the
    import machinery, or inside a weakref callback run by the garbage collector (a
    WeakKeyDictionary's `remove`, which matplotlib's figures leave behind). Raised there,
    it is printed as "Exception ignored" with a traceback and lost. The stop stays
    recorded; the next safe point (`check`, between the steps of a run, or the swap of
    the outputs) acts on it."""
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith("<frozen importlib") or name.endswith(("weakref.py", "_weakrefset.py")):
            return True
        frame = frame.f_back
    return False


def requested() -> int | None:
    """The signal asked for and not yet acted on, if any."""
    return None if _state["committed"] else _state["requested"]


def check() -> None:
    """A safe point: raise Interrupted if a stop was asked for."""
    signum = requested()
    if signum is not None:
        raise Interrupted(signum)


@contextmanager
def deferred() -> Iterator[None]:
    """While inside, a stop is recorded, not raised (see the module's docstring)."""
    _state["deferring"] += 1
    try:
        yield
    finally:
        _state["deferring"] -= 1


def commit() -> None:
    """The outputs are in place: from now on a stop signal is let go, and the command
    (when its handlers are installed) ignores it until it exits 0, through the
    interpreter's own shutdown too."""
    _state["committed"] = True
    if _state["installed"]:
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)


def reopen() -> None:
    """A command that runs several builds (a study): once one build's outputs are in
    place (`commit`), the next build must be stoppable again. A stop that came in the
    moment between the two was let go with the committed build."""
    _state.update(requested=None, deferring=0, committed=False)
    if _state["installed"]:
        for signum in STOP_SIGNALS:
            signal.signal(signum, handler)


def take_pending(blocked: tuple[int, ...] = STOP_SIGNALS) -> int | None:
    """With `blocked` signals blocked: the one pending, consumed (so it is not delivered
    when they are unblocked), or None."""
    pending = signal.sigpending() & set(blocked)
    if not pending:
        return None
    info = signal.sigtimedwait(pending, 0)
    return info.si_signo if info is not None else None
