"""build-cohort: one definition on one data folder, as a plan of declared steps.

The plan reads top to bottom: the source's registration, screening, the cohort rules and
the attrition, treatments, summaries and analyses (raw aggregates), the disclosure pass
that masks every aggregate, and the output files. The conductor checks the plan, opens an
engine and a staging folder, runs the plan, writes the manifest, and swaps the folder in.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pharmacoepi import plan as plans
from pharmacoepi import sources
from pharmacoepi.analyses import incidence, outcomes, survival
from pharmacoepi.characteristics import steps as characteristics
from pharmacoepi.cohort import attrition, causes, rules
from pharmacoepi.definition import LoadedDefinition
from pharmacoepi.disclosure import ATTRITION
from pharmacoepi.engines import make_engine
from pharmacoepi.outputs.write import atomic_output_dir, write_json
from pharmacoepi.pipeline.manifest import run_manifest
from pharmacoepi.pipeline.outputs import disclosure_step, produced_aggregates, write_step
from pharmacoepi.progress import Reporter
from pharmacoepi.report import REPORT, write_report
from pharmacoepi.screening import steps as screening
from pharmacoepi.screening.steps import DEFAULT_DATE_RANGE
from pharmacoepi.treatments import steps as treatments
from pharmacoepi.treatments import summaries


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    attrition: pl.DataFrame  # unsuppressed counts
    attrition_suppressed: pl.DataFrame  # as written to attrition.parquet
    attrition_steps: tuple[str, ...]  # the name of each row of both (cohort/attrition.py)
    min_cell_count: int
    cohort_rows: int
    rejected_rows: int
    seconds: float
    phases: pl.DataFrame | None = None  # masked, as written to phases.parquet
    phase_counts: dict[str, int] | None = None  # unmasked, for --show-small-counts
    kept: dict[str, pl.DataFrame] = field(default_factory=dict)  # build_cohort(keep=...)
    disclosure_audit: dict = field(default_factory=dict)  # the audit's record (manifest)
    # masked, as written (the summary lines of build-cohort)
    outcome_incidence: pl.DataFrame | None = None
    outcome_survival: pl.DataFrame | None = None
    characteristics: pl.DataFrame | None = None
    report: Path | None = None  # report.html in out_dir, when written
    incidence: pl.DataFrame | None = None  # masked, as written


# What the conductor hands the plan before it runs.
GIVEN = ("staging",)


def build_plan(
    loaded: LoadedDefinition,
    source: str = "claims",
    date_range: tuple[dt.date, dt.date] = DEFAULT_DATE_RANGE,
) -> list[plans.Step]:
    """Every step of a build of this definition on this layout, in order."""
    d = loaded.definition
    analysis = [
        *rules.steps(d, loaded.codelists),
        *attrition.steps(d),
        *causes.steps(d),
        *treatments.steps(d),
        *summaries.steps(d),
        *incidence.steps(d),
        *outcomes.steps(d, date_range),
        *survival.steps(d),
        *characteristics.steps(d),
    ]
    produced = produced_aggregates(analysis)  # the attrition first
    return [
        *sources.steps(
            source,
            loaded.definition.follow_up.snds_coverage,
            loaded.definition.follow_up.snds_history_start,
        ),
        *screening.steps(
            loaded.codelists.values(),
            rows="codelist",
            concept_steps=sources.concept_steps(source, loaded.codelists.values()),
            after=sources.post_screen_steps(source),
            date_range=date_range,
        ),
        *analysis,
        disclosure_step(d, produced),
        write_step(d),
    ]


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
    keep: Iterable[str] = (),
    date_range: tuple[dt.date, dt.date] = DEFAULT_DATE_RANGE,
    report: bool = True,
) -> BuildResult:
    """Build the definition's outputs into `out_dir`, atomically. `keep`: engine tables or
    step results to return in BuildResult.kept (person-level intermediates for tests;
    never written). `date_range`: the extract's valid dates, both ends inclusive.
    `report`: also render report.html from the aggregates and the manifest written."""
    reporter = reporter or Reporter.for_stderr()
    d = loaded.definition
    sources.check_codelists(source, loaded.codelists.values())
    plan = plans.checked(build_plan(loaded, source, date_range), results=GIVEN)
    started = time.perf_counter()
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with (
        tempfile.TemporaryDirectory(prefix="pharmacoepi-spill-") as spill,
        make_engine(
            engine_name, threads, memory_limit, Path(spill), reporter.stage, spark_master
        ) as engine,
        atomic_output_dir(out_dir, "build-cohort", data_dir, reporter.info) as staging,
    ):
        state = plans.RunState(engine, data_dir, {"staging": staging})
        reporter.min_cell = d.privacy.min_cell_count
        with reporter.running(plans.stage_count(plan)):
            plans.execute(plan, state, on_step=reporter.step)
        results = state.results
        run = {
            "command": argv or sys.argv,
            "started_at": started_at,
            "seconds": round(time.perf_counter() - started, 3),
            "threads": threads,
            "memory_limit": memory_limit,
            "engine": engine.settings(),
            "date_range": [str(d) for d in date_range],
        }
        manifest = run_manifest(
            loaded,
            results["source"],
            engine,
            outputs=results["outputs"],
            rejected_summary=results["rejected_summary"],
            run=run,
            disclosure_audit=results["disclosure_audit"],
        )
        write_json(staging / "manifest.json", manifest)
        if report:  # from the files just written, as `pharmacoepi report` would
            reporter.stage("start", "report/html")
            try:
                write_report(staging, staging / REPORT)
            except Exception as exc:  # a bug of the page must not cost the run's outputs
                report = False
                reporter.stage("abort", "report/html")
                reporter.info(
                    f"warning: report.html not written ({type(exc).__name__}: {exc}); the "
                    "outputs are; try `pharmacoepi report OUT` after an upgrade"
                )
            else:
                reporter.stage("end", "report/html")
        kept = {name: results[name] if name in results else engine.frame(name) for name in keep}
    published = results["published"]
    raw_phases = results.get("phases.parquet")
    return BuildResult(
        out_dir=out_dir,
        attrition=results[ATTRITION],
        attrition_suppressed=published[ATTRITION],
        attrition_steps=results["attrition_steps"],
        min_cell_count=d.privacy.min_cell_count,
        cohort_rows=results["outputs"]["cohort.parquet"]["rows"],
        rejected_rows=results["outputs"].get("rejected_rows.parquet", {}).get("rows", 0),
        seconds=time.perf_counter() - started,
        phases=published.get("phases.parquet"),
        phase_counts=dict(raw_phases.rows()) if raw_phases is not None else None,
        kept=kept,
        disclosure_audit=results["disclosure_audit"],
        outcome_incidence=published.get("outcome_incidence.parquet"),
        outcome_survival=published.get("outcome_survival.parquet"),
        characteristics=published.get("characteristics.parquet"),
        report=out_dir / REPORT if report else None,
        incidence=published.get("incidence.parquet"),
    )
