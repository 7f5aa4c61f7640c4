"""build-cohort: definition + data directory -> cohort.parquet, attrition, manifest."""

from __future__ import annotations

import datetime as dt
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pyarrow

from pharmacoepi import __version__
from pharmacoepi.cohort.rules import attrition_descriptions, run_rules
from pharmacoepi.data.screen import screen_data
from pharmacoepi.definition import LoadedDefinition
from pharmacoepi.engine import Engine
from pharmacoepi.output import atomic_output_dir, write_json
from pharmacoepi.privacy import suppress_attrition
from pharmacoepi.progress import Reporter


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    attrition: pl.DataFrame  # unsuppressed counts
    attrition_suppressed: pl.DataFrame  # as written to attrition.parquet
    min_cell_count: int
    cohort_rows: int
    rejected_rows: int
    seconds: float


def _attrition(engine: Engine, loaded: LoadedDefinition) -> pl.DataFrame:
    counts = dict(engine.con.table("attrition_counts").fetchall())
    persons = [counts[i] for i in range(len(counts))]
    return pl.DataFrame(
        {
            "step": list(range(len(persons))),
            "description": attrition_descriptions(loaded.definition),
            "persons": persons,
            "excluded": [None] + [persons[i - 1] - persons[i] for i in range(1, len(persons))],
        },
        schema={
            "step": pl.Int32,
            "description": pl.String,
            "persons": pl.Int64,
            "excluded": pl.Int64,
        },
    )


def _suppressed(attrition: pl.DataFrame, min_cell_count: int) -> pl.DataFrame:
    masked = suppress_attrition(attrition["persons"].to_list(), min_cell_count)
    return attrition.with_columns(
        pl.Series("persons", [p for p, _ in masked], dtype=pl.Int64),
        pl.Series("excluded", [e for _, e in masked], dtype=pl.Int64),
        pl.lit(min_cell_count, dtype=pl.Int32).alias("min_cell_count"),
    )


def build_cohort(
    loaded: LoadedDefinition,
    data_dir: Path,
    out_dir: Path,
    *,
    threads: int | None = None,
    memory_limit: str | None = None,
    reporter: Reporter | None = None,
    argv: list[str] | None = None,
) -> BuildResult:
    reporter = reporter or Reporter.for_stderr()
    min_cell_count = loaded.definition.privacy.min_cell_count
    started = time.perf_counter()
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with (
        tempfile.TemporaryDirectory(prefix="pharmacoepi-spill-") as spill,
        Engine(threads, memory_limit, Path(spill), on_stage=reporter.stage) as engine,
        atomic_output_dir(out_dir, "build-cohort", inputs=data_dir) as staging,
    ):
        sources = screen_data(engine, data_dir, loaded.codelists.values())
        run_rules(engine, loaded.definition)

        attrition = _attrition(engine, loaded)
        cohort_rows = engine.count("cohort")
        rejected = engine.count("rejected_rows")
        engine.con.table("cohort").write_parquet(str(staging / "cohort.parquet"))
        engine.con.table("classified_cases").order("person_id").write_parquet(
            str(staging / "incident_cases.parquet")
        )
        suppressed = _suppressed(attrition, min_cell_count)
        suppressed.write_parquet(staging / "attrition.parquet")
        outputs = {
            "cohort.parquet": {"rows": cohort_rows, "level": "individual"},
            "incident_cases.parquet": {
                "rows": engine.count("classified_cases"),
                "level": "individual",
            },
            "attrition.parquet": {
                "rows": attrition.height,
                "level": "aggregate",
                "min_cell_count": min_cell_count,
            },
        }
        rejected_summary = []
        if rejected:
            engine.con.table("rejected_rows").write_parquet(str(staging / "rejected_rows.parquet"))
            outputs["rejected_rows.parquet"] = {"rows": rejected, "level": "individual"}
            engine.run("screen/problem_summary")
            rejected_summary = [
                {"table": t, "reason": r, "column": c, "rows": n}
                for t, r, c, n, _example in engine.con.table("problem_summary").fetchall()
            ]
        write_json(
            staging / "manifest.json",
            {
                "pharmacoepi_version": __version__,
                "disclosure": "restricted: stage row counts here are not suppressed; "
                "export attrition.parquet, not this file",
                "command": argv or sys.argv,
                "started_at": started_at,
                "seconds": round(time.perf_counter() - started, 3),
                "versions": {
                    "python": platform.python_version(),
                    "duckdb": duckdb.__version__,
                    "polars": pl.__version__,
                    "pyarrow": pyarrow.__version__,
                },
                "engine": {"name": "duckdb", "threads": threads, "memory_limit": memory_limit},
                "definition": {
                    "name": loaded.definition.name,
                    "path": str(loaded.path),
                    "file_sha256": loaded.file_sha256,
                    "resolved_sha256": loaded.resolved_sha256(),
                    "overrides": loaded.overrides,
                    "resolved": loaded.definition.model_dump(mode="json"),
                },
                "codelists": {
                    name: {
                        "path": str(c.path),
                        "sha256": c.sha256,
                        "domain": c.domain,
                        "match": c.match,
                        "codes": len(c.codes),
                    }
                    for name, c in sorted(loaded.codelists.items())
                },
                "inputs": {
                    name: {
                        "format": s.format,
                        "files": [str(f) for f in s.files],
                        "rows": s.rows,
                    }
                    for name, s in sources.items()
                },
                "stages": [
                    {
                        "stage": r.stage,
                        "creates": r.creates,
                        "rows": r.rows,
                        "seconds": round(r.seconds, 3),
                    }
                    for r in engine.records
                ],
                "rejected_rows": rejected_summary,
                "outputs": outputs,
            },
        )
    return BuildResult(
        out_dir=out_dir,
        attrition=attrition,
        attrition_suppressed=suppressed,
        min_cell_count=min_cell_count,
        cohort_rows=cohort_rows,
        rejected_rows=rejected,
        seconds=time.perf_counter() - started,
    )
