"""The fingerprint of a data extract: one hash that changes when any input file is
replaced, touched or edited, computed without reading parquet data (its footer only); a
CSV file is read whole to hash its content (a cost on large text extracts).

Each file counts with its path, size and modification time; a parquet file also with its
footer (rows, row groups, writer, the footer's size: a file rewritten with other rows
changes them even when size and time are kept); a CSV file with a hash of its content (a
text file copied with its times kept can still differ). Incremental study runs compare it
(docs/batch.md); the manifest records it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

import pyarrow.parquet as pq

TEXT = (".csv", ".csv.gz", ".tsv", ".txt")


def _footer(path: Path) -> str:
    try:
        meta = pq.read_metadata(path)
    except Exception:  # not a readable parquet file: its bytes' size and time still count
        return "unreadable"
    return f"{meta.num_rows}:{meta.num_row_groups}:{meta.created_by}:{meta.serialized_size}"


def _content(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(files: Iterable[Path], root: Path | None = None) -> str:
    """sha256 over the files (paths relative to `root` when given, so a folder moved
    whole keeps its fingerprint only if its files' times are kept too)."""
    digest = hashlib.sha256()
    for path in sorted(Path(f) for f in files):
        name = str(path.relative_to(root)) if root is not None else str(path)
        try:
            stat = os.stat(path)
        except OSError:  # gone since it was listed: its name still counts
            digest.update(f"{name}\0missing\n".encode())
            continue
        extra = ""
        if path.suffix == ".parquet":
            extra = _footer(path)
        elif path.name.lower().endswith(TEXT):
            extra = _content(path)
        digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\0{extra}\n".encode())
    return digest.hexdigest()


def folder_fingerprint(folder: Path) -> str:
    """Every file under `folder` (hidden files and folders left out)."""
    files = []
    # followlinks: an extract whose tables are symlinked folders changes with them (a
    # folder linked into itself is walked once: os.walk does not revisit a real path)
    seen = set()
    for parent, dirs, names in os.walk(folder, followlinks=True):
        real = os.path.realpath(parent)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        files += [Path(parent) / n for n in names if not n.startswith(".")]
    return fingerprint(files, root=folder)
