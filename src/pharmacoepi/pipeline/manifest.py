"""manifest.json: what a run read, with which rules and versions, and what it wrote."""

from __future__ import annotations

import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow

from pharmacoepi import __version__
from pharmacoepi.data.fingerprint import fingerprint
from pharmacoepi.definition import LoadedDefinition
from pharmacoepi.engines import StageRecord
from pharmacoepi.sources import SourceRead


def run_manifest(
    loaded: LoadedDefinition,
    sources: SourceRead,
    stages: Sequence[StageRecord],
    problems: list[dict[str, Any]],
    *,
    outputs: dict[str, dict[str, Any]],
    rejected_summary: list[dict[str, Any]],
    run: dict[str, Any],
    disclosure_audit: dict[str, Any],
    shared_stages: Sequence[StageRecord] = (),
    warnings: Sequence[str] = (),
) -> dict[str, Any]:
    """`stages`: the definition's own stages; `problems`: the source's problem counts
    (sources.source_problems), both read of the engine before the run's last steps.
    `run` carries command, started_at, seconds, threads and memory_limit.
    `shared_stages`: the screening's stages when it served several definitions at once
    (a study's scan: pipeline/scan.py), listed first and marked shared."""
    return {
        "pharmacoepi_version": __version__,
        "disclosure": "restricted: stage row counts here are not suppressed; "
        "export attrition.parquet, not this file",
        "command": run["command"],
        "started_at": run["started_at"],
        "seconds": run["seconds"],
        "versions": {
            "python": platform.python_version(),
            "duckdb": duckdb.__version__,
            "polars": pl.__version__,
            "pyarrow": pyarrow.__version__,
        },
        "engine": {
            **run["engine"],
            "threads": run["threads"],
            "memory_limit": run["memory_limit"],
        },
        "date_range": run["date_range"],
        "definition": {
            "name": loaded.definition.name,
            "path": str(loaded.path),
            "file_sha256": loaded.file_sha256,
            "resolved_sha256": loaded.resolved_sha256(),
            "overrides": loaded.overrides,
            "resolved": loaded.definition.model_dump(mode="json", by_alias=True),
        },
        "codelists": {
            name: {
                "path": str(c.path),
                "sha256": c.sha256,
                "domain": c.domain,
                "match": c.match,
                "codes": len(c.codes),
                # the codes themselves, for the report's section 9 (not person data)
                "entries": [
                    {"code": code, "label": label, "group": group}
                    for code, label, group in zip(
                        c.codes, c.labels, c.groups or ("",) * len(c.codes), strict=True
                    )
                ],
            }
            for name, c in sorted(loaded.codelists.items())
        },
        "source": sources.source,
        "data_fingerprint": data_fingerprint(sources),
        "inputs": {
            name: {
                "format": s.format,
                "files": [str(f) for f in s.files],
                "rows": s.rows,
                **({"columns_read_as": s.renamed} if s.renamed else {}),
            }
            for name, s in sources.inputs.items()
        },
        "source_problems": problems,
        "warnings": list(warnings),  # e.g. a codelist that matches no code of the data
        "stages": [
            *({**_stage(r), "shared": True} for r in shared_stages),
            *(_stage(r) for r in stages),
        ],
        "rejected_rows": rejected_summary,
        "outputs": outputs,
        "disclosure_audit": disclosure_audit,
    }


def _stage(r: StageRecord) -> dict[str, Any]:
    return {"stage": r.stage, "creates": r.creates, "rows": r.rows, "seconds": round(r.seconds, 3)}


def data_fingerprint(sources: SourceRead) -> str:
    """The fingerprint of every file the run read (pharmacoepi.data.fingerprint)."""
    return fingerprint(Path(f) for read in sources.inputs.values() for f in read.files)
