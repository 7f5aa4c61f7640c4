"""build-cohort: definition + data directory -> cohort.parquet, attrition, manifest."""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from pharmacoepi.analyses import incidence, survival
from pharmacoepi.cohort.attrition import attrition_table, suppressed
from pharmacoepi.cohort.manifest import run_manifest
from pharmacoepi.cohort.rules import run_rules
from pharmacoepi.data.screen import screen_data
from pharmacoepi.definition import LoadedDefinition
from pharmacoepi.engines import Engine, make_engine
from pharmacoepi.output import atomic_output_dir, write_json
from pharmacoepi.privacy import hide_columns
from pharmacoepi.progress import Reporter
from pharmacoepi.treatments import summaries
from pharmacoepi.treatments.stages import run_treatments


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    attrition: pl.DataFrame  # unsuppressed counts
    attrition_suppressed: pl.DataFrame  # as written to attrition.parquet
    min_cell_count: int
    cohort_rows: int
    rejected_rows: int
    seconds: float
    phases: pl.DataFrame | None = None  # masked, as written to phases.parquet
    phase_counts: dict[str, int] | None = None  # unmasked, for --show-small-counts


# Individual-level treatment tables: output file <- engine table (written when it exists).
_TREATMENT_TABLES = {
    "exposures.parquet": ("exposures", "person_id, class, era_number"),
    "courses.parquet": ("course_outcomes", "person_id, class, course_number"),
    "lines.parquet": ("lines", "person_id, line_number"),
    "switches.parquet": ("switches", "person_id, from_start_date, from_class"),
}


def _summaries(
    engine: Engine, loaded: LoadedDefinition, attrition: pl.DataFrame, masked: pl.DataFrame
) -> dict[str, pl.DataFrame]:
    """The aggregate treatment tables of this definition, masked. `attrition` is the raw
    table, `masked` as published; when the latter hides the cohort size, so do these."""
    d = loaded.definition
    if d.treatments is None:
        return {}
    n = d.privacy.min_cell_count
    cohort_size = int(attrition["persons"][-1])
    tables = {
        "exposed_at.parquet": summaries.exposed_at(engine, d, n, cohort_size),
        "pathways.parquet": summaries.pathways(engine, n),
        "retreatment.parquet": summaries.course_outcomes(engine, n),
    }
    if d.phase is not None:
        tables["phases.parquet"] = summaries.phases(engine, n)
    if d.switches is not None:
        tables["switch_types_by_year.parquet"] = summaries.switch_years(engine, n)
    if masked["persons"][-1] is None:
        tables = {name: hide_columns(t, summaries.COUNTS[name]) for name, t in tables.items()}
    return tables


def _incidence(
    engine: Engine, loaded: LoadedDefinition, masked: pl.DataFrame, data_dir: Path
) -> dict[str, pl.DataFrame]:
    """incidence.parquet; its event total is the attrition's incident count (step 2), so
    when the masked attrition hides that count, every event count and rate is hidden."""
    d = loaded.definition
    if d.analyses.incidence is None:
        return {}
    if d.analyses.incidence.population_file is None:
        cells = incidence.person_time(engine, d)
    else:
        cells = incidence.external_person_time(engine, d, data_dir)
    table = incidence.masked(incidence.incidence_table(cells, d), d.privacy.min_cell_count)
    denominator = "internal" if d.analyses.incidence.population_file is None else "external"
    table = table.with_columns(pl.lit(denominator).alias("denominator"))
    if masked["persons"][2] is None:
        table = hide_columns(table, ["events", "rate", "ci_lower", "ci_upper"])
    return {"incidence.parquet": table}


def _survival(
    engine: Engine, loaded: LoadedDefinition, masked: pl.DataFrame
) -> dict[str, pl.DataFrame]:
    """survival.parquet; hidden whole when the attrition hides the cohort size (the number
    of persons in an analysis is the cohort size)."""
    d = loaded.definition
    if d.analyses.survival is None:
        return {}
    n = d.privacy.min_cell_count
    times = survival.survival_times(engine, d)
    table = survival.masked(survival.survival_table(times, d), n)
    hidden = masked["persons"][-1] is None
    if hidden:
        table = hide_columns(table, survival.COUNTS)
    out = {"survival.parquet": table}
    if d.analyses.survival.cox_covariates and not hidden:
        cohort = engine.frame("cohort").join(
            engine.frame("classified_cases").select("person_id", "secondary"),
            on="person_id",
        )
        out["cox.parquet"] = survival.cox_table(times, cohort, d, n)
    return out


def _write_outputs(
    engine: Engine,
    loaded: LoadedDefinition,
    staging: Path,
    attrition: pl.DataFrame,
    aggregates: dict[str, pl.DataFrame],
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """Write the parquet outputs; return their manifest entries and the rejected-row counts."""
    d = loaded.definition
    cohort = "cohort_phased" if d.phase is not None else "cohort"  # a phase needs treatments
    engine.write_parquet(cohort, staging / "cohort.parquet", "person_id")
    engine.write_parquet("classified_cases", staging / "incident_cases.parquet", "person_id")
    outputs: dict[str, dict[str, Any]] = {
        "cohort.parquet": {"rows": engine.count(cohort), "level": "individual"},
        "incident_cases.parquet": {"rows": engine.count("classified_cases"), "level": "individual"},
    }
    written = {"switches"} if d.switches is not None else set()
    if d.treatments is not None:
        written |= {"exposures", "course_outcomes", "lines"}
    for name, (table, order) in _TREATMENT_TABLES.items():
        if table in written:
            engine.write_parquet(table, staging / name, order)
            outputs[name] = {"rows": engine.count(table), "level": "individual"}
    for name, frame in {"attrition.parquet": attrition, **aggregates}.items():
        frame.write_parquet(staging / name)
        outputs[name] = {
            "rows": frame.height,
            "level": "aggregate",
            "min_cell_count": int(frame["min_cell_count"][0]) if frame.height else None,
        }
    rejected = engine.count("rejected_rows")
    if not rejected:
        return outputs, []
    engine.write_parquet("rejected_rows", staging / "rejected_rows.parquet")
    outputs["rejected_rows.parquet"] = {"rows": rejected, "level": "individual"}
    engine.run("screen/problem_summary")
    summary = [
        {"table": t, "reason": r, "column": c, "rows": n}
        for t, r, c, n, _example in engine.rows("problem_summary")
    ]
    return outputs, summary


def build_cohort(
    loaded: LoadedDefinition,
    data_dir: Path,
    out_dir: Path,
    *,
    threads: int | None = None,
    memory_limit: str | None = None,
    reporter: Reporter | None = None,
    argv: list[str] | None = None,
    source: str = "claims",
    engine_name: str = "duckdb",
    spark_master: str | None = None,
) -> BuildResult:
    reporter = reporter or Reporter.for_stderr()
    min_cell_count = loaded.definition.privacy.min_cell_count
    started = time.perf_counter()
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with (
        tempfile.TemporaryDirectory(prefix="pharmacoepi-spill-") as spill,
        make_engine(
            engine_name, threads, memory_limit, Path(spill), reporter.stage, spark_master
        ) as engine,
        atomic_output_dir(out_dir, "build-cohort", inputs=data_dir) as staging,
    ):
        sources = screen_data(engine, data_dir, loaded.codelists.values(), source)
        run_rules(engine, loaded.definition)
        run_treatments(engine, loaded.definition)

        attrition = attrition_table(engine, loaded.definition)
        masked = suppressed(attrition, min_cell_count)
        aggregates = {
            **_summaries(engine, loaded, attrition, masked),
            **_incidence(engine, loaded, masked, data_dir),
            **_survival(engine, loaded, masked),
        }
        phase_counts = dict(engine.rows("phase_counts")) if "phases.parquet" in aggregates else None
        outputs, rejected_summary = _write_outputs(engine, loaded, staging, masked, aggregates)
        run = {
            "command": argv or sys.argv,
            "started_at": started_at,
            "seconds": round(time.perf_counter() - started, 3),
            "threads": threads,
            "memory_limit": memory_limit,
            "engine": engine.settings(),
        }
        manifest = run_manifest(
            loaded, sources, engine, outputs=outputs, rejected_summary=rejected_summary, run=run
        )
        write_json(staging / "manifest.json", manifest)
    return BuildResult(
        out_dir=out_dir,
        attrition=attrition,
        attrition_suppressed=masked,
        min_cell_count=min_cell_count,
        cohort_rows=outputs["cohort.parquet"]["rows"],
        rejected_rows=outputs.get("rejected_rows.parquet", {}).get("rows", 0),
        seconds=time.perf_counter() - started,
        phases=aggregates.get("phases.parquet"),
        phase_counts=phase_counts,
    )
