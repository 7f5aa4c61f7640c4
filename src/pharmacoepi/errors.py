"""One exception tree for problems the user can fix.

The CLI prints these as a message plus a hint, without a traceback, and exits with code 2.
Anything else is a bug in pharmacoepi and keeps its traceback.
"""

from __future__ import annotations

import errno


class UserError(Exception):
    """Bad input: a definition, a codelist, a data extract or a command-line option."""

    exit_code = 2

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def render(self) -> str:
        lines = [f"error: {self.message}"]
        if self.where:
            lines.append(f"  where: {self.where}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


class DefinitionError(UserError):
    """The cohort definition (YAML) or one of its codelists is invalid."""


class DataError(UserError):
    """The data extract breaks the data contract in a way that stops the run."""


class Interrupted(BaseException):  # noqa: N818 - a signal, not an error
    """SIGINT/SIGTERM: unwinds like Ctrl-C so staging folders are removed on the way out.

    A BaseException so no `except Exception` swallows it. Raised by the command line's
    handler, at once or at the next safe point of an engine call (pharmacoepi.interrupts).
    The exit code is 128 + the signal: 130 for Ctrl-C, 143 for SIGTERM.
    """

    exit_code = 130

    def __init__(self, signum: int | None = None):
        super().__init__(signum)
        if signum is not None:
            self.exit_code = 128 + signum


# A full disk or a read-only one, whichever library meets it: the user's to fix.
NO_SPACE = ("No space left on device", "Disk quota exceeded")
NO_SPACE_HINT = (
    "free disk space, or write elsewhere (--out; the engines spill into the temporary "
    "folder, TMPDIR)"
)
_ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}


def environment_error(exc: OSError) -> UserError | None:
    """The user error a failed write stands for (a full or read-only disk), or None."""
    if exc.errno not in _ENVIRONMENT_ERRNOS and not any(m in str(exc) for m in NO_SPACE):
        return None
    hint = "write elsewhere (--out)" if exc.errno == errno.EROFS else NO_SPACE_HINT
    return UserError(f"cannot write: {exc.strerror or exc}", where=exc.filename or None, hint=hint)


class Locked(UserError):
    """Another run holds the output folder's lock (a scheduler started a second run)."""

    exit_code = 75  # EX_TEMPFAIL (sysexits.h): try again later
