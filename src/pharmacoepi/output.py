"""Run outputs: written into a hidden sibling folder and swapped into place when complete.

An interrupted or failed run leaves the previous output untouched and no partial folder.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pharmacoepi.errors import UserError

MANIFEST = "manifest.json"


def _check_replaceable(out: Path, marker: str) -> None:
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file", hint="give a folder path for the outputs")
    if out.is_dir() and any(out.iterdir()) and not (out / marker).is_file():
        raise UserError(
            f"--out {out} is a non-empty folder that is not a pharmacoepi output",
            hint="choose a new folder; pharmacoepi only replaces folders it wrote itself",
        )


@contextmanager
def atomic_output_dir(out: Path, marker: str = MANIFEST) -> Iterator[Path]:
    """Yield a staging folder; on success it replaces `out`, on any failure it is removed.

    An existing `out` is replaced only if it holds `marker` (a file pharmacoepi writes).
    """
    out = out.resolve()
    _check_replaceable(out, marker)
    out.parent.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:8]
    staging = out.parent / f".{out.name}.partial-{token}"
    staging.mkdir()
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if out.exists():
        previous = out.parent / f".{out.name}.previous-{token}"
        out.rename(previous)
        staging.rename(out)
        shutil.rmtree(previous, ignore_errors=True)
    else:
        staging.rename(out)


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")
