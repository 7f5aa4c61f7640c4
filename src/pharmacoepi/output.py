"""Run outputs: written into a hidden sibling folder and swapped into place when complete.

An interrupted or failed run leaves the previous output untouched and no partial folder.
Each output folder carries a marker naming the command that wrote it; pharmacoepi only
ever replaces a folder written by the same command, and never one that holds its inputs.
"""

from __future__ import annotations

import json
import shutil
import signal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pharmacoepi.errors import UserError

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
        marker = out / MARKER
        written_by = marker.read_text().strip() if marker.is_file() else None
        if written_by != kind:
            what = f"the output of `{written_by}`" if written_by else "not a pharmacoepi output"
            raise UserError(
                f"--out {out} is a non-empty folder that is {what}",
                hint=f"choose a new folder; pharmacoepi {kind} only replaces its own outputs",
            )
    return out


def _swap(staging: Path, out: Path, token: str) -> None:
    # Signals are held for the two renames, so no Ctrl-C can leave OUT missing between
    # them; a failed rename puts the previous output back.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
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
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    if had_previous:
        shutil.rmtree(previous, ignore_errors=True)


@contextmanager
def atomic_output_dir(out: Path, kind: str, inputs: Path | None = None) -> Iterator[Path]:
    """Yield a staging folder; on success it replaces `out`, on any failure it is removed."""
    out = check_output_target(out, kind, inputs)
    token = uuid.uuid4().hex[:8]
    staging = out.parent / f".{out.name}.partial-{token}"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
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
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")
