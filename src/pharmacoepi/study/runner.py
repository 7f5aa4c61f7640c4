"""`pharmacoepi run STUDY.yaml`: every cohort and variant of a study built into
OUT/<cohort>/<variant>/, each only when something it depends on changed.

A cohort/variant is up to date, and skipped, when its resolved definition (overrides and
codelist contents included), its codelists, the data fingerprint and the pharmacoepi
version equal those of its last successful run in OUT/runs.parquet and its folder is
there. Each build is build-cohort's own (atomic: a failed or interrupted one leaves the
previous outputs); a failing cohort is recorded and the others still run.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from pharmacoepi import __version__, interrupts
from pharmacoepi.data.fingerprint import folder_fingerprint
from pharmacoepi.datasets import default_dataset
from pharmacoepi.definition import LoadedDefinition, load_definition
from pharmacoepi.errors import DefinitionError, Interrupted, UserError
from pharmacoepi.outputs.write import replace_file
from pharmacoepi.pipeline.build import Member, build_scan
from pharmacoepi.pipeline.scan import scan_key
from pharmacoepi.progress import Reporter
from pharmacoepi.screening.steps import DEFAULT_DATE_RANGE
from pharmacoepi.study import history
from pharmacoepi.study.index import write_index
from pharmacoepi.study.lock import study_lock
from pharmacoepi.study.log import StudyLog
from pharmacoepi.study.overlap import cohort_overlap
from pharmacoepi.study.spec import MAIN, Study, load_study, resolve


@dataclass(frozen=True)
class Planned:
    cohort: str  # the definition's name: the folder OUT/<cohort>
    variant: str
    loaded: LoadedDefinition

    @property
    def codelists(self) -> dict[str, str]:
        return {name: c.sha256 for name, c in sorted(self.loaded.codelists.items())}


@dataclass(frozen=True)
class Outcome:
    cohort: str
    variant: str
    folder: Path  # relative to the study's out
    status: str  # built | up to date | failed
    reason: str
    seconds: float | None = None


@dataclass
class StudyResult:
    name: str
    out: Path
    run_id: str
    outcomes: list[Outcome] = field(default_factory=list)
    index: Path | None = None

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def exit_code(self) -> int:
        """0: everything built or up to date; 3: some cohorts failed, the others kept."""
        return 3 if self.failed else 0


def plan_study(study: Study, base: Path) -> list[Planned]:
    """Every cohort/variant, its definition loaded (a bad one stops the study before any
    build: the study file is wrong, not one cohort's data)."""
    planned: list[Planned] = []
    listed: dict[str, str] = {}  # as listed in the study -> definition name
    for spec in study.cohorts:
        path = resolve(base, spec)
        loaded = load_definition(str(path) if path.is_file() else spec)
        name = loaded.definition.name
        if name in listed.values():
            raise DefinitionError(
                f"two cohorts of the study are named {name!r}",
                where=f"cohorts: {spec}",
                hint="each definition's `name:` is its output folder; make them differ",
            )
        listed[spec] = name
        planned.append(Planned(name, MAIN, loaded))
        variants = study.variants.get(spec) or study.variants.get(name) or {}
        for variant, overrides in variants.items():
            planned.append(
                Planned(
                    name, variant, load_definition(str(path) if path.is_file() else spec, overrides)
                )
            )
    unknown = set(study.variants) - set(listed) - set(listed.values())
    if unknown:
        raise DefinitionError(
            f"variants of cohorts the study does not list: {', '.join(sorted(unknown))}",
            hint=f"variants are keyed by a cohort of `cohorts:` ({', '.join(listed.values())})",
        )
    return planned


def why_rebuild(
    last: dict | None,
    item: Planned,
    data_fingerprint: str,
    folder: Path,
    force: bool,
    layout: tuple[str, str] = ("claims", "duckdb"),
) -> str | None:
    """The reason to build, or None when the outputs are up to date."""
    if force:
        return "--force"
    if last is None:
        return "never built"
    if not (folder / "manifest.json").is_file():
        return "its output folder is missing"
    if last["pharmacoepi_version"] != __version__:
        return f"pharmacoepi {last['pharmacoepi_version']} -> {__version__}"
    if (last.get("source"), last.get("engine")) != layout:
        return f"the data layout or engine changed (now {layout[0]} on {layout[1]})"
    if last["data_fingerprint"] != data_fingerprint:
        return "the data changed (a file added, removed, replaced or touched)"
    before = json.loads(last["codelists_sha256"] or "{}")
    changed = sorted(n for n, sha in item.codelists.items() if before.get(n) != sha)
    if changed:
        return f"codelist(s) changed: {', '.join(changed)}"
    if last["definition_sha256"] != item.loaded.resolved_sha256():
        return "the definition changed"
    return None


class _StageLog(Reporter):
    """Build progress as study log lines (JSON or text), with the cohort and variant (none
    for a scan's screening, which serves several)."""

    def __init__(self, log: StudyLog):
        super().__init__(Reporter.for_stderr(quiet=True).console, quiet=True)
        self._log = log
        self.where: dict[str, str | None] = {"cohort": None, "variant": None}
        self._began: dict[str, float] = {}

    def aside(self) -> _StageLog:
        """Logs with this cohort/variant whichever is built next (Reporter.aside)."""
        other = copy.copy(self)
        other.where, other._began = dict(self.where), {}
        return other

    def stage(self, event: str, name: str, rows: int | None = None) -> None:
        if event == "start":
            self._began[name] = time.perf_counter()
            return
        seconds = round(time.perf_counter() - self._began.pop(name, time.perf_counter()), 3)
        if event == "end":
            self._log.emit("debug", "stage done", stage=name, seconds=seconds, **self.where)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def run_study(
    path: str | Path,
    *,
    force: bool = False,
    log_format: str = "text",
    stages: bool = False,
    log: StudyLog | None = None,
) -> StudyResult:
    """Build every cohort and variant of the study that is not up to date; returns what
    happened to each (StudyResult.exit_code: 0 or 3). Raises UserError (exit 2) for a bad
    study file or data, Locked (75) when another run holds OUT."""
    study, base = load_study(Path(path))
    log = log or StudyLog(log_format)
    planned = plan_study(study, base)
    out = resolve(base, study.out)
    data_dir = _check_data(study, base, out)
    started = time.perf_counter()
    run_id = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{os.getpid()}"
    result = StudyResult(study.name, out, run_id)
    with study_lock(out, log.warning):
        if data_dir is None:  # generated on first use: under the lock, by one run only
            data_dir = default_dataset(Reporter.for_stderr(quiet=log.format == "json"))
        fingerprint = folder_fingerprint(data_dir)
        past = history.read_history(out)
        log.info(f"study {study.name}: {len(planned)} cohort/variant(s), run {run_id}")
        result.outcomes = _builds(study, planned, data_dir, out, fingerprint, past, force,
                                  log, run_id, stages)  # fmt: skip
        result.index = _study_outputs(study, out, result, log)
    built = sum(o.status == "built" for o in result.outcomes)
    log.info(
        f"study {study.name}: {built} built, "
        f"{sum(o.status == 'up to date' for o in result.outcomes)} up to date, "
        f"{len(result.failed)} failed in {time.perf_counter() - started:.1f}s",
        index=str(result.index) if result.index else None,
    )
    return result


def _check_data(study: Study, base: Path, out: Path) -> Path | None:
    """The data folder (None: the default synthetic dataset), refused before anything
    runs when every cohort would fail on it (exit 2, not 3)."""
    if study.data.path is None:
        if study.data.source != "claims":
            raise UserError(f"data.source {study.data.source} needs data.path",
                            hint="the folder holding its tables")  # fmt: skip
        return None
    data_dir = resolve(base, study.data.path).resolve()
    if not data_dir.is_dir():
        raise UserError("the study's data folder does not exist", where=str(data_dir),
                        hint="data.path is read from the study file's folder")  # fmt: skip
    target = out.resolve()
    if target == data_dir or data_dir in target.parents or target in data_dir.parents:
        raise UserError(f"out {target} overlaps the data folder {data_dir}",
                        hint="write the study's outputs outside the data")  # fmt: skip
    return data_dir


def _builds(study, planned, data_dir, out, fingerprint, past, force, log, run_id, stages):
    """Each cohort/variant's outcome, in the study's order: those up to date recorded at
    once, the others built by one scan per group of definitions that screen the data
    alike (pipeline/scan.py)."""
    outcomes: dict[int, Outcome] = {}
    todo: list[tuple[int, Planned, str, dict]] = []
    for i, item in enumerate(planned):
        folder = Path(item.cohort) / item.variant
        row = {
            "run_id": run_id, "study": study.name, "cohort": item.cohort,
            "variant": item.variant, "started_at": _now(),
            "definition_sha256": item.loaded.resolved_sha256(),
            "codelists_sha256": json.dumps(item.codelists, sort_keys=True),
            "data_fingerprint": fingerprint, "pharmacoepi_version": __version__,
            "source": study.data.source, "engine": study.engine.name,
        }  # fmt: skip
        began = time.perf_counter()
        reason = why_rebuild(
            history.last_built(past, item.cohort, item.variant), item, fingerprint,
            out / folder, force, (study.data.source, study.engine.name),
        )  # fmt: skip
        where = {"cohort": item.cohort, "variant": item.variant}
        if reason is None:
            outcomes[i] = Outcome(item.cohort, item.variant, folder, "up to date",
                                  "nothing changed")  # fmt: skip
            log.info("up to date: nothing changed", **where)
            _record(out, row, outcomes[i], began)
        else:
            log.info(f"building: {reason}", **where)
            todo.append((i, item, reason, row))
    groups: dict[tuple, list] = {}
    for job in todo:
        key = scan_key(job[1].loaded, study.data.source, DEFAULT_DATE_RANGE)
        groups.setdefault(key, []).append(job)
    for jobs in groups.values():
        interrupts.check()
        outcomes.update(_scan(study, jobs, data_dir, out, log, stages))
    return [outcomes[i] for i in sorted(outcomes)]


def _scan(study, jobs, data_dir, out, log, stages) -> dict[int, Outcome]:
    """One scan's builds (pipeline/build.py build_scan), each recorded as it ends."""
    members = [
        Member(item.loaded, out / item.cohort / item.variant,
               ["pharmacoepi", "run", study.name, item.cohort, item.variant])
        for _, item, _, _ in jobs
    ]  # fmt: skip
    by_member = {id(member): job for member, job in zip(members, jobs, strict=True)}
    if len(jobs) > 1:
        names = ", ".join(f"{item.cohort}/{item.variant}" for _, item, _, _ in jobs)
        log.info(f"one scan of the data for {len(jobs)} cohort/variant(s): {names}")
    reporter = _StageLog(log) if stages else Reporter.for_stderr(quiet=True)
    # id(member) -> since when it is built: two may be under way at once, one's last
    # steps beside the next one's engine work (pipeline/build.py)
    started: dict[int, float] = {}

    def starting(member: Member) -> None:
        started[id(member)] = time.perf_counter()
        if isinstance(reporter, _StageLog):
            _, item, _, _ = by_member[id(member)]
            reporter.where = {"cohort": item.cohort, "variant": item.variant}

    outcomes: dict[int, Outcome] = {}
    said: dict[tuple[str, str], str] = {}  # (cohort, warning) -> the variant it was logged for
    scanned = build_scan(
        members, data_dir, threads=study.engine.threads,
        memory_limit=study.engine.memory_limit, reporter=reporter, source=study.data.source,
        engine_name=study.engine.name, spark_master=study.engine.spark_master,
        on_member=starting,
    )  # fmt: skip
    try:
        with contextlib.closing(scanned):
            for member, result in scanned:
                i, item, reason, row = by_member[id(member)]
                began = started[id(member)]
                outcomes[i] = _ended(item, reason, row, result, out, log, began, said)
    except Interrupted:
        _stopped(outcomes, started, by_member, out)
        raise
    return outcomes


def _ended(item, reason, row, result, out, log, began, said) -> Outcome:
    folder = Path(item.cohort) / item.variant
    where = {"cohort": item.cohort, "variant": item.variant}
    if isinstance(result, Exception):
        if interrupts.requested() is not None:
            # a stop, however the engine surfaced it (a query cut short can come back as
            # the database's own error): the study ends here, its finished cohorts kept
            raise Interrupted(interrupts.requested()) from None
        outcome = _failed(item, folder, result, time.perf_counter() - began)
        text = result.render() if isinstance(result, UserError) else repr(result)
        log.error(f"failed: {text}", **where)
        _record(out, row, outcome, began)
        return outcome
    interrupts.reopen()  # the build committed its folder: the next one is stoppable again
    for warning in result.warnings:
        first = said.setdefault((item.cohort, warning), item.variant)
        if first == item.variant:
            log.warning(warning, **where)
        else:  # variants share their cohort's codelists: said once, in full, per cohort
            log.warning(f"the same warning as {item.cohort}/{first} (manifest.json)", **where)
    seconds = result.seconds
    outcome = Outcome(item.cohort, item.variant, folder, "built", reason, seconds)
    cohort_size = result.attrition_suppressed["persons"][-1]  # masked, as written
    log.info(f"built in {seconds:.1f}s", persons=cohort_size, seconds=round(seconds, 3), **where)
    _record(out, row, outcome, time.perf_counter() - seconds)  # the scan's share included
    return outcome


def _stopped(outcomes, started, by_member, out) -> None:
    """A stop: the cohort/variants started and not ended are recorded as interrupted
    (their previous outputs intact); those not started yet are not recorded (a rerun
    builds them)."""
    for key, began in started.items():
        i, item, _, row = by_member[key]
        if i in outcomes:
            continue
        folder = Path(item.cohort) / item.variant
        stopped = Outcome(item.cohort, item.variant, folder, "interrupted", "stopped")
        _record(out, row, stopped, began)


def _failed(item: Planned, folder: Path, exc: Exception, seconds: float) -> Outcome:
    """A failed build as the study's files record it: a user error's message with small
    numbers masked; a bug by its kind only (its text may quote data; the log has it)."""
    if isinstance(exc, UserError):
        reason = _masked_text(exc.message, item.loaded.definition.privacy.min_cell_count)
    else:
        reason = f"{type(exc).__name__} (a bug: the run's log has its message)"
    return Outcome(item.cohort, item.variant, folder, "failed", reason, seconds)


def _masked_text(text: str, min_cell: int) -> str:
    """A message bound for the study's files (runs.parquet, index.html) with its small
    numbers masked: "3 incident case(s) fall in strata ..." gives no count away."""
    return re.sub(r"(?<![\w.-])\d+(?![\w.-])",
                  lambda m: m.group() if not 0 < int(m.group()) < min_cell else f"< {min_cell}",
                  text)  # fmt: skip


def _record(out: Path, row: dict, outcome: Outcome, began: float) -> None:
    manifest = out / outcome.folder / "manifest.json"
    rows = {}
    if outcome.status in ("built", "up to date") and manifest.is_file():
        # the aggregate files only: a person-level file's rows are a count (cohort.parquet
        # is the cohort size, which the attrition may mask)
        outputs = json.loads(manifest.read_text())["outputs"]
        rows = {f: e.get("rows") for f, e in outputs.items() if e.get("level") == "aggregate"}
    history.append(out, {
        **row, "status": outcome.status, "reason": outcome.reason, "ended_at": _now(),
        "seconds": round(time.perf_counter() - began, 3), "output_rows": json.dumps(rows),
    })  # fmt: skip


def _study_outputs(study: Study, out: Path, result: StudyResult, log: StudyLog) -> Path | None:
    """cohort_overlap.parquet and index.html (pharmacoepi.study.index, .overlap)."""
    # the strictest threshold of the study's cohorts masks what they share
    min_cell = max(
        (m for o in result.outcomes for m in [_min_cell(out / o.folder)] if m), default=11
    )
    mains = [(o.cohort, out / o.folder) for o in result.outcomes
             if o.variant == MAIN and o.status != "failed"]  # fmt: skip
    overlap = cohort_overlap(mains, min_cell) if len(mains) > 1 else None
    if overlap is None:  # an earlier run's file would describe other cohorts' outputs
        (out / "cohort_overlap.parquet").unlink(missing_ok=True)
    else:
        replace_file(out / "cohort_overlap.parquet", overlap.write_parquet)
    rows = [
        {"cohort": o.cohort, "variant": o.variant, "folder": o.folder, "status": o.status,
         "reason": o.reason, "seconds": o.seconds}
        for o in result.outcomes
    ]  # fmt: skip
    return write_index(out, study.name, rows, overlap, min_cell)


def _min_cell(folder: Path) -> int | None:
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        return None
    privacy = json.loads(manifest.read_text())["definition"]["resolved"].get("privacy") or {}
    return privacy.get("min_cell_count")
