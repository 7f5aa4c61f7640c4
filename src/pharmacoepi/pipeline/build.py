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
import signal
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pharmacoepi import interrupts, sources
from pharmacoepi import plan as plans
from pharmacoepi.analyses import incidence, outcomes, survival
from pharmacoepi.characteristics import steps as characteristics
from pharmacoepi.cohort import attrition, causes, rules
from pharmacoepi.definition import Codelist, LoadedDefinition
from pharmacoepi.disclosure import ATTRITION
from pharmacoepi.engines import Engine, StageRecord, make_engine
from pharmacoepi.errors import Interrupted, UserError
from pharmacoepi.outputs.write import atomic_output_dir, write_json
from pharmacoepi.pipeline import scan
from pharmacoepi.pipeline.manifest import run_manifest
from pharmacoepi.pipeline.outputs import (
    aggregates_step,
    disclosure_step,
    individual_step,
    produced_aggregates,
)
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
        individual_step(d),
        disclosure_step(d, produced),
        aggregates_step(),
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
    whole = {t for step in first for t in step.tables_created()} - set(scan.OWN_ROWS)
    common, own = scan.common_steps(own, whole)
    first = [*first, *common]
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
        # Each member's last steps (the disclosure pass, the aggregates, the manifest and
        # the report) read no engine table: they run in a thread beside the next member's
        # engine work, which spends its time in the engine, outside Python's lock. Members
        # still end, and are yielded, in order.
        pending: deque[_Pending] = deque()
        with ThreadPoolExecutor(1, thread_name_prefix="pharmacoepi-last-steps") as last:
            try:
                for i, (member, steps) in enumerate(zip(ready, planned.definitions, strict=True)):
                    if on_member:
                        on_member(member)
                    run = _Run(started_at, threads, memory_limit, date_range, report, done,
                               shared, planned.shared,
                               time.perf_counter() - screening_seconds
                               if planned.shared else started,
                               beside=i < len(ready) - 1)  # fmt: skip
                    done += plans.stage_count(steps)
                    try:
                        outputs, finish = _build_member(
                            member, steps, engine, state.results, data_dir, reporter, run
                        )
                    except Exception as exc:
                        while pending:
                            yield _finished(pending.popleft())
                        yield member, exc
                        continue
                    pending.append(_Pending(member, outputs, last.submit(finish)))
                    while len(pending) > 1:
                        yield _finished(pending.popleft())
                while pending:
                    yield _finished(pending.popleft())
            finally:  # a stop, or the caller closed the scan: nothing half-written stays
                while pending:
                    _abandon(pending.popleft())


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
    beside: bool  # another member's work runs beside its last steps (not the last one)


@dataclass(frozen=True)
class _Pending:
    """A member whose last steps run: its staging folder swapped in once they end."""

    member: Member
    outputs: contextlib.ExitStack  # holds the staging folder (outputs/write.py)
    last_steps: Future  # its BuildResult


def _finished(pending: _Pending) -> tuple[Member, BuildResult | Exception]:
    """Wait for a member's last steps, then swap its folder in (or remove it)."""
    with interrupts.deferred():  # a stop waits for the steps: they end at their next step
        error = pending.last_steps.exception()
    if error is None:
        try:
            pending.outputs.close()  # the swap
        except Exception as exc:
            return pending.member, exc
        return pending.member, pending.last_steps.result()
    pending.outputs.__exit__(type(error), error, error.__traceback__)  # the folder removed
    if not isinstance(error, Exception):
        raise error  # a stop
    return pending.member, error


def _abandon(pending: _Pending) -> None:
    with interrupts.deferred():
        pending.last_steps.cancel()
        with contextlib.suppress(BaseException):
            pending.last_steps.exception()
    stop = Interrupted(interrupts.requested() or signal.SIGTERM)
    pending.outputs.__exit__(Interrupted, stop, None)


def _split(steps: Sequence[plans.Step]) -> tuple[list[plans.Step], list[plans.Step]]:
    """The plan as (steps on the engine, last steps): the last are the Python steps that
    read no engine table and whose results no engine step needs (an estimator on frames
    already read, the disclosure pass, the aggregate files), each in plan order."""
    needed: set[str] = set()  # results the engine steps after this one use
    last = [False] * len(steps)
    for i in range(len(steps) - 1, -1, -1):
        step = steps[i]
        pure = step.action is not None and not step.tables_read() and not step.tables_created()
        if pure and not needed & set(step.gives):
            last[i] = True
        else:
            needed.update(step.uses)
    return ([s for s, x in zip(steps, last, strict=True) if not x],
            [s for s, x in zip(steps, last, strict=True) if x])  # fmt: skip


def _build_member(
    member: Member,
    steps: Sequence[plans.Step],
    engine: Engine,
    screened: dict,
    data_dir: Path,
    reporter: Reporter,
    run: _Run,
) -> tuple[contextlib.ExitStack, Callable[[], BuildResult]]:
    """Run a member's steps on the engine, in a staging folder; returns that folder's
    exit stack (closing it swaps the folder in) and the member's last steps, which read
    no engine table and may run in another thread."""
    d = member.loaded.definition
    first, last = _split(steps)
    later = {g for step in last for g in step.gives}
    outputs = contextlib.ExitStack()
    staging = outputs.enter_context(
        atomic_output_dir(member.out_dir, "build-cohort", data_dir, reporter.info)
    )
    try:
        with engine.session() if run.own_session else contextlib.nullcontext(engine) as session:
            state = plans.RunState(session, data_dir, {**screened, "staging": staging})
            on_step = lambda k, w, n: reporter.step(run.done + k, w, n)  # noqa: E731
            plans.execute(first, state, on_step=on_step)
            results = state.results
            warnings = _unmatched_warnings(member.loaded, results["unmatched_codelists"])
            for warning in warnings:
                reporter.info(f"warning: {d.name}: {warning}")
            stages, problems = list(session.records), sources.source_problems(session)
            engine_settings = session.settings()
            frames = {n: session.frame(n) for n in member.keep
                      if n not in results and n not in later}  # fmt: skip
    except BaseException:
        if not outputs.__exit__(*sys.exc_info()):
            raise
    # the live line is the next member's, when one runs beside
    shown = reporter.aside() if run.beside else reporter

    def last_steps() -> BuildResult:
        at = run.done + plans.stage_count(first)
        plans.execute(last, plans.RunState(engine, data_dir, results),
                      on_step=lambda k, w, n: shown.step(at + k, w, n))  # fmt: skip
        settings = {
            "command": member.argv or sys.argv,
            "started_at": run.started_at,
            "seconds": round(time.perf_counter() - run.since, 3),
            "threads": run.threads,
            "memory_limit": run.memory_limit,
            "engine": engine_settings,
            "date_range": [str(day) for day in run.date_range],
        }
        manifest = run_manifest(
            member.loaded,
            results["source"],
            stages,
            problems,
            outputs=results["outputs"],
            rejected_summary=results["rejected_summary"],
            run=settings,
            disclosure_audit=results["disclosure_audit"],
            shared_stages=run.shared,
            warnings=warnings,
        )
        write_json(staging / "manifest.json", manifest)
        report = run.report and _report(staging, shown)
        kept = {**frames, **{n: results[n] for n in member.keep if n in results}}
        return _result(member, results, kept, time.perf_counter() - run.since, report,
                       warnings)  # fmt: skip

    return outputs, last_steps


def _result(member, results, kept, seconds, report, warnings) -> BuildResult:
    d = member.loaded.definition
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
        seconds=seconds,
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
