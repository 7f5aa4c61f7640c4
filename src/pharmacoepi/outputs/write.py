"""Writing outputs safely: a folder is written into a hidden sibling and swapped into place
when complete; a single file is written beside its target and renamed over it.

An interrupted or failed run leaves the previous output untouched and no partial folder
or file. Each output folder carries a marker naming the command that wrote it;
pharmacoepi only ever replaces a folder written by the same command, and never one that
holds its inputs.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pharmacoepi import interrupts
from pharmacoepi.errors import Interrupted, UserError

MARKER = ".pharmacoepi-output"


def check_output_target(out: Path, kind: str, inputs: Path | None = None) -> Path:
    """Refuse an output folder that would destroy something; return it resolved."""
    out = out.resolve()
    if inputs is not None:
        data = inputs.resolve()
        if out == data or data in out.parents or out in data.parents:
            raise UserError(
                f"--out {out} overlaps the input data folder {data}",
                hint="write outputs to a folder outside the data, e.g. --out output/NAME",
            )
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file", hint="give a folder path for the outputs")
    if out.is_dir() and any(out.iterdir()):
        _check_owner(out / MARKER, kind, f"--out {out} is a non-empty folder that is", "folder")
    return out


def _check_owner(marker: Path, kind: str, what: str, noun: str) -> None:
    """An existing output is replaced only by the command that wrote it (its marker)."""
    written_by = marker.read_text().strip() if marker.is_file() else None
    if written_by != kind:
        owner = f"the output of `{written_by}`" if written_by else "not a pharmacoepi output"
        raise UserError(
            f"{what} {owner}",
            hint=f"choose a new {noun}; pharmacoepi {kind} only replaces its own outputs",
        )


@contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait (pending) while inside: renames and cleanup are not cut."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, set(interrupts.STOP_SIGNALS))
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _swap(staging: Path, out: Path, token: str) -> None:
    # Signals are held for the two renames, so no Ctrl-C can leave OUT missing between
    # them; a failed rename puts the previous output back. A stop asked for before the
    # renames (pending now) cancels them: the previous output stays.
    with _signals_held(), interrupts.deferred():
        # a stop pending in the kernel, or one Python's handler took just before the
        # signals were held (it only records it in here)
        pending = interrupts.take_pending() or interrupts.requested()
        if pending is not None:
            raise Interrupted(pending)
        previous = out.parent / f".{out.name}.previous-{token}"
        had_previous = out.exists()
        if had_previous:
            out.rename(previous)
        try:
            staging.rename(out)
        except BaseException:
            if had_previous:
                previous.rename(out)
            raise
        interrupts.commit()  # the run is complete: a late stop is let go
    if had_previous:
        shutil.rmtree(previous, ignore_errors=True)


def process_alive(pid: int) -> bool:
    """Whether a process of that PID runs (a killed run's leftovers are ours to clean)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def _remove_dead_runs(out: Path) -> list[str]:
    """What a run killed outright (kill -9, a power cut) left beside `out`: its staging
    folder, or the previous output it had moved aside for the swap (put back when `out`
    is missing). Only folders whose writing process is gone are touched."""
    said = []
    prefix = f".{out.name}."
    for path in sorted(p for p in out.parent.iterdir() if p.name.startswith(prefix)):
        kind, _, rest = path.name[len(prefix) :].partition("-")
        pid_text = rest.split("-")[0]
        if kind not in ("partial", "previous") or not pid_text.isdigit():
            continue
        if process_alive(int(pid_text)):
            continue
        if kind == "previous" and not out.exists():
            path.rename(out)
            said.append(f"put back the previous output that run {pid_text} had moved aside")
        else:
            shutil.rmtree(path, ignore_errors=True)
            said.append(f"removed {path.name}, left by run {pid_text}, which was killed")
    return said


@contextmanager
def atomic_output_dir(
    out: Path, kind: str, inputs: Path | None = None, say: Callable[[str], None] | None = None
) -> Iterator[Path]:
    """Yield a staging folder; on success it replaces `out`, on any failure it is removed.
    `say` hears what was cleaned up of an earlier run that was killed."""
    out = check_output_target(out, kind, inputs)
    token = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    staging = out.parent / f".{out.name}.partial-{token}"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        for line in _remove_dead_runs(out):
            if say is not None:
                say(line)
        staging.mkdir()
    except OSError as exc:
        raise UserError(
            f"cannot create the output folder: {exc.strerror or exc}",
            where=str(out),
            hint="check that the parent folder exists as a folder and is writable",
        ) from None
    try:
        (staging / MARKER).write_text(kind + "\n")
        yield staging
        _swap(staging, out, token)
    except BaseException:
        with _signals_held():  # a second Ctrl-C does not cut the cleanup short
            shutil.rmtree(staging, ignore_errors=True)
        raise


def _file_marker(out: Path) -> Path:
    return out.with_name(f".{out.name}{MARKER}")


def check_output_file(out: Path, kind: str, inputs: Path | None = None) -> Path:
    """Refuse a file output that would destroy something (checked before the work, not
    after it): a folder, a file inside the input data, or an existing file that `kind`
    did not write (a single file's owner is named in a hidden marker beside it)."""
    out = out.resolve()
    if out.is_dir():
        raise UserError(
            "--out is a folder", where=str(out), hint="give a file name, e.g. drug_era.parquet"
        )
    if not out.parent.is_dir():
        raise UserError("the folder of --out does not exist", where=str(out.parent))
    if inputs is not None:
        data = inputs.resolve()
        if out == data or data in out.parents:
            raise UserError(
                f"--out {out} is inside the input data folder {data}",
                hint="write outputs outside the data, e.g. --out output/drug_era.parquet",
            )
    if out.exists():
        _check_owner(_file_marker(out), kind, f"--out {out} exists and is", "file name")
    return out


@contextmanager
def atomic_file(out: Path, kind: str, inputs: Path | None = None) -> Iterator[Path]:
    """Yield a partial path beside `out`; on success it replaces `out` (and a marker names
    `kind` as its writer), on any failure it is removed, so `out` is never half written and
    a previous good one never lost."""
    out = check_output_file(out, kind, inputs)
    partial = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        yield partial
        _file_marker(out).write_text(kind + "\n")
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def replace_file(target: Path, write: Callable[[Path], None]) -> Path:
    """`write` fills a partial file beside `target`, which is then renamed over it: a
    reader (or a crash) never meets a half-written file, and a failed write leaves the
    previous one. For files a command owns outright (report.html, runs.parquet); a file
    whose owner must be checked goes through `atomic_file`."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        write(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")
