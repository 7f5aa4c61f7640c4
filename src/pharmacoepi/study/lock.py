"""One study run at a time per output folder: an exclusive lock on OUT/.pharmacoepi.lock.

The lock is the kernel's (flock): a run killed outright releases it with its process, so a
stale lock can never block a scheduler. The file holds the holder's PID; finding the PID of
a process that is gone means the previous run was killed: the new run takes over and says
so.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pharmacoepi.errors import Locked
from pharmacoepi.outputs.write import process_alive

LOCK = ".pharmacoepi.lock"


@contextmanager
def study_lock(out: Path, warn: Callable[[str], None]) -> Iterator[None]:
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK
    handle = path.open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise Locked(
                f"another study run (PID {holder}) is writing to this output folder",
                where=str(out),
                hint="wait for it to end; a killed run releases the lock by itself",
            ) from None
        handle.seek(0)
        previous = handle.read().strip()
        if previous.isdigit() and int(previous) != os.getpid() and not process_alive(int(previous)):
            warn(f"took over the lock of run {previous}, which was killed; finishing its work")
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:  # any end but a kill leaves no PID behind (a kill -9 leaves it: said)
            handle.seek(0)
            handle.truncate()
            handle.flush()
    finally:
        handle.close()  # releases the lock
