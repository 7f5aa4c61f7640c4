"""What a report reads: the aggregate files of an output folder and the manifest, nothing
else. The individual files (one row per person) are never opened: the catalogue's level
decides, so a report is as safe to release as the aggregates themselves.

Of the manifest (restricted: its stage row counts are not masked) only the run's record,
the definition and codelists, the inputs' names and the problem summaries are used; the
report masks the row counts it shows of them with the run's threshold.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from pharmacoepi.errors import UserError
from pharmacoepi.outputs.catalogue import aggregates


@dataclass(frozen=True)
class RunOutputs:
    folder: Path
    manifest: dict[str, Any]
    tables: dict[str, pl.DataFrame]  # aggregate file -> its rows, for the files present

    @property
    def min_cell(self) -> int:
        privacy = self.manifest["definition"]["resolved"].get("privacy") or {}
        return int(privacy.get("min_cell_count", 11))

    @property
    def definition(self) -> dict[str, Any]:
        return self.manifest["definition"]["resolved"]

    def table(self, file: str) -> pl.DataFrame | None:
        frame = self.tables.get(file)
        return frame if frame is not None and frame.height else None


def read_outputs(folder: Path) -> RunOutputs:
    """The manifest and every aggregate file the catalogue lists that the folder holds."""
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise UserError(
            f"{folder} holds no manifest.json",
            hint="give the output folder of a build-cohort run (--out of build-cohort)",
        )
    try:
        manifest = json.loads(manifest_path.read_text())
        _ = manifest["definition"]["resolved"], manifest["outputs"]
    except (ValueError, KeyError, TypeError):
        raise UserError(
            "manifest.json is not a build-cohort manifest",
            where=str(manifest_path),
            hint="re-run build-cohort to write it again",
        ) from None
    tables = {}
    for spec in aggregates():
        path = folder / spec.file
        if path.is_file():
            tables[spec.file] = pl.read_parquet(path)
    return RunOutputs(folder, manifest, tables)
