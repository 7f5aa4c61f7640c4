"""build-cohort: definitions on one data folder, as plans of declared steps.

A build is two plans. The screening plan: the source's registration and the screening
of its tables through the definitions' codelists. Then, per definition, its own plan:
the rows set aside, the cohort rules and the attrition, treatments, summaries and
analyses (raw aggregates), the disclosure pass that masks every aggregate, and the output
files. `build-cohort` is a scan of one definition (both plans in one engine session); a
study scans once for several (pipeline/scan.py: each definition in a session of its own
on the shared screened tables). The conductor checks the plans, opens an engine, runs the
screening, then for each definition a staging folder, its plan, the manifest and the
report, and swaps the folder in.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pharmacoepi import plan as plans
from pharmacoepi import sources
from pharmacoepi.analyses import incidence, outcomes, survival
from pharmacoepi.characteristics import steps as characteristics
from pharmacoepi.cohort import attrition, causes, rules
from pharmacoepi.definition import Codelist, LoadedDefinition
from pharmacoepi.disclosure import ATTRITION
from pharmacoepi.engines import Engine, StageRecord, make_engine
from pharmacoepi.errors import UserError
from pharmacoepi.outputs.write import atomic_output_dir, write_json
from pharmacoepi.pipeline import scan
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
    warnings: list[str] = field(default_factory=list)  # as printed and in the manifest


# What the conductor hands a definition's plan before it runs.
GIVEN = ("staging",)


@dataclass(frozen=True)
class Member:
    """One definition of a scan, and where its outputs go. `keep`: engine tables or step
    results to return in BuildResult.kept (person-level intermediates for tests; never
    written)."""

    loaded: LoadedDefinition
    out_dir: Path
    argv: list[str] | None = None
    keep: tuple[str, ...] = ()


def screening_plan(
    codelists: Sequence[Codelist],
    source: str,
    loaded: LoadedDefinition,
    date_range: tuple[dt.date, dt.date] = DEFAULT_DATE_RANGE,
) -> list[plans.Step]:
    """The source's registration and the screening through `codelists` (`loaded`: the
    definition whose SNDS coverage settings the source reads, alike for a whole scan)."""
    follow_up = loaded.definition.follow_up
    return [
        *sources.steps(source, follow_up.snds_coverage, follow_up.snds_history_start),
        *screening.steps(
            codelists,
            rows="codelist",
            concept_steps=sources.concept_steps(source, codelists),
            after=sources.post_screen_steps(source),
            date_range=date_range,
        ),
    ]


def definition_plan(
    loaded: LoadedDefinition, date_range: tuple[dt.date, dt.date] = DEFAULT_DATE_RANGE
) -> list[plans.Step]:
    """A definition's steps on the screened tables, in order."""
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
        *screening.checks(date_range, loaded.codelists.values()),
        *analysis,
        disclosure_step(d, produced),
        write_step(d),
    ]


def build_plan(
    loaded: LoadedDefinition,
    source: str = "claims",
    date_range: tuple[dt.date, dt.date] = DEFAULT_DATE_RANGE,
) -> list[plans.Step]:
    """Every step of a build of this definition alone (a scan of one), in order."""
    codelists = list(loaded.codelists.values())
    return [
        *screening_plan(codelists, source, loaded, date_range),
        *definition_plan(loaded, date_range),
    ]


@dataclass(frozen=True)
class ScanPlan:
    screening: Sequence[plans.Step]
    definitions: list[Sequence[plans.Step]]  # one per member, in its own session if shared
    shared: bool


def plan_scan(
    definitions: Sequence[LoadedDefinition],
    source: str = "claims",
    date_range: tuple[dt.date, dt.date] = DEFAULT_DATE_RANGE,
) -> ScanPlan:
    """The checked plans of one scan: the screening, then each definition's (pipeline/scan.py)."""
    own = [definition_plan(loaded, date_range) for loaded in definitions]
    if len(definitions) == 1:
        (loaded,) = definitions
        first = screening_plan(list(loaded.codelists.values()), source, loaded, date_range)
        plans.checked([*first, *own[0]], results=GIVEN)
        return ScanPlan(first, own, shared=False)
    codelists, keys = scan.keyed_codelists(definitions)
    first = screening_plan(codelists, source, definitions[0], date_range)
    given = (*GIVEN, *(g for step in first for g in step.gives))
    needed = {*scan.OWN_ROWS, *scan.ALSO_SHARED}
    for steps in own:
        needed |= {m.name for m in plans.check(steps, results=given) if m.kind == "table"}
    tables = sorted(needed)
    first = [*plans.checked([*first, scan.share_step(tables)])]
    shared = [f"shared_{t}" for t in tables]
    return ScanPlan(
        first,
        [
            plans.checked([*scan.own_rows_steps(tables, k), *steps], tables=shared, results=given)
            for steps, k in zip(own, keys, strict=True)
        ],
        shared=True,
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
    source: str = "claims",
    engine_name: str = "duckdb",
    spark_master: str | None = None,
    keep: Iterable[str] = (),
    date_range: tuple[dt.date, dt.date] = DEFAULT_DATE_RANGE,
    report: bool = True,
) -> BuildResult:
    """Build the definition's outputs into `out_dir`, atomically (a scan of one). `keep`:
    engine tables or step results to return in BuildResult.kept (person-level
    intermediates for tests; never written). `date_range`: the extract's valid dates,
    both ends inclusive. `report`: also render report.html from the aggregates and the
    manifest written."""
    member = Member(loaded, out_dir, argv, tuple(keep))
    settings = dict(threads=threads, memory_limit=memory_limit, reporter=reporter,
                    source=source, engine_name=engine_name, spark_master=spark_master,
                    date_range=date_range, report=report)  # fmt: skip
    with contextlib.closing(build_scan([member], data_dir, **settings)) as scanned:
        for _, result in scanned:
            if isinstance(result, Exception):
                raise result
            return result
    raise AssertionError("a scan of one definition gives one result")


def build_scan(
    members: Sequence[Member],
    data_dir: Path,
    *,
    threads: int | None = None,
    memory_limit: str | None = None,
    reporter: Reporter | None = None,
    source: str = "claims",
    engine_name: str = "duckdb",
    spark_master: str | None = None,
    date_range: tuple[dt.date, dt.date] = DEFAULT_DATE_RANGE,
    report: bool = True,
    on_member: Callable[[Member], None] | None = None,
) -> Iterator[tuple[Member, BuildResult | Exception]]:
    """Build each member's outputs into its folder, atomically, from one screening of the
    data: yields (member, its BuildResult or the error that failed it) as each is done,
    so a caller can record it before the next starts. A failed screening fails every
    member; a stop (Interrupted) ends the scan, the members done kept."""
    reporter = reporter or Reporter.for_stderr()
    ready = []
    for member in members:
        try:  # before any file is read
            sources.check_codelists(source, member.loaded.codelists.values())
        except UserError as exc:
            yield member, exc
            continue
        ready.append(member)
    if not ready:
        return
    planned = plan_scan([m.loaded for m in ready], source, date_range)
    started = time.perf_counter()
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    total = plans.stage_count(planned.screening) + sum(map(plans.stage_count, planned.definitions))
    reporter.min_cell = max(m.loaded.definition.privacy.min_cell_count for m in ready)
    with (
        tempfile.TemporaryDirectory(prefix="pharmacoepi-spill-") as spill,
        make_engine(
            engine_name, threads, memory_limit, Path(spill), reporter.stage, spark_master
        ) as engine,
        reporter.running(total),
    ):
        state = plans.RunState(engine, data_dir)
        try:
            plans.execute(planned.screening, state, on_step=reporter.step)
        except Exception as exc:  # the data or a bug: every member fails alike
            for member in ready:
                yield member, exc
            return
        done = plans.stage_count(planned.screening)
        shared = list(engine.records) if planned.shared else []
        screening_seconds = time.perf_counter() - started
        for member, steps in zip(ready, planned.definitions, strict=True):
            if on_member:
                on_member(member)
            began = time.perf_counter()
            try:
                result = _build_member(
                    member, steps, engine, state.results, data_dir, reporter,
                    _Run(started_at, threads, memory_limit, date_range, report, done,
                         shared, planned.shared,
                         began - screening_seconds if planned.shared else started),
                )  # fmt: skip
            except Exception as exc:
                outcome: BuildResult | Exception = exc
            else:
                outcome = result
            done += plans.stage_count(steps)
            yield member, outcome


@dataclass(frozen=True)
class _Run:
    """What a member's build knows of the scan it is part of."""

    started_at: str
    threads: int | None
    memory_limit: str | None
    date_range: tuple[dt.date, dt.date]
    report: bool
    done: int  # stages counted before its own (the progress display's k)
    shared: list[StageRecord]  # the screening's stages, when in a session of its own
    own_session: bool
    since: float  # perf_counter() its time counts from (the screening's time included)


def _build_member(
    member: Member,
    steps: Sequence[plans.Step],
    engine: Engine,
    screened: dict,
    data_dir: Path,
    reporter: Reporter,
    run: _Run,
) -> BuildResult:
    d = member.loaded.definition
    with (
        engine.session() if run.own_session else contextlib.nullcontext(engine) as session,
        atomic_output_dir(member.out_dir, "build-cohort", data_dir, reporter.info) as staging,
    ):
        state = plans.RunState(session, data_dir, {**screened, "staging": staging})
        plans.execute(steps, state, on_step=lambda k, w, n: reporter.step(run.done + k, w, n))
        results = state.results
        warnings = _unmatched_warnings(member.loaded, results["unmatched_codelists"])
        for warning in warnings:
            reporter.info(f"warning: {d.name}: {warning}")
        settings = {
            "command": member.argv or sys.argv,
            "started_at": run.started_at,
            "seconds": round(time.perf_counter() - run.since, 3),
            "threads": run.threads,
            "memory_limit": run.memory_limit,
            "engine": session.settings(),
            "date_range": [str(day) for day in run.date_range],
        }
        manifest = run_manifest(
            member.loaded,
            results["source"],
            session,
            outputs=results["outputs"],
            rejected_summary=results["rejected_summary"],
            run=settings,
            disclosure_audit=results["disclosure_audit"],
            shared_stages=run.shared,
            warnings=warnings,
        )
        write_json(staging / "manifest.json", manifest)
        report = run.report and _report(staging, reporter)
        kept = {n: results[n] if n in results else session.frame(n) for n in member.keep}
    published = results["published"]
    raw_phases = results.get("phases.parquet")
    return BuildResult(
        out_dir=member.out_dir,
        attrition=results[ATTRITION],
        attrition_suppressed=published[ATTRITION],
        attrition_steps=results["attrition_steps"],
        min_cell_count=d.privacy.min_cell_count,
        cohort_rows=results["outputs"]["cohort.parquet"]["rows"],
        rejected_rows=results["outputs"].get("rejected_rows.parquet", {}).get("rows", 0),
        seconds=time.perf_counter() - run.since,
        phases=published.get("phases.parquet"),
        phase_counts=dict(raw_phases.rows()) if raw_phases is not None else None,
        kept=kept,
        disclosure_audit=results["disclosure_audit"],
        outcome_incidence=published.get("outcome_incidence.parquet"),
        outcome_survival=published.get("outcome_survival.parquet"),
        characteristics=published.get("characteristics.parquet"),
        report=member.out_dir / REPORT if report else None,
        incidence=published.get("incidence.parquet"),
        warnings=warnings,
    )


def _unmatched_warnings(loaded: LoadedDefinition, names: Sequence[str]) -> list[str]:
    """One line for the codelists that match no code of the data (what they define
    selects nobody: usually codes not written as the data writes them)."""
    if not names:
        return []
    listed = ", ".join(f"{n} ({loaded.codelists[n].domain})" for n in names)
    return [
        f"{len(names)} codelist(s) match no code in the data: {listed}; what they define "
        "selects nobody (codes written otherwise than in the data? "
        "docs/cohort-definitions.md, Codelists)"
    ]


def _report(staging: Path, reporter: Reporter) -> bool:
    """report.html from the files just written, as `pharmacoepi report` would; False when
    it could not be (a bug of the page must not cost the run's outputs)."""
    reporter.stage("start", "report/html")
    try:
        write_report(staging, staging / REPORT)
    except Exception as exc:
        reporter.stage("abort", "report/html")
        reporter.info(
            f"warning: report.html not written ({type(exc).__name__}: {exc}); the "
            "outputs are; try `pharmacoepi report OUT` after an upgrade"
        )
        return False
    reporter.stage("end", "report/html")
    return True
