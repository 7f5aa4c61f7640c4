"""`pharmacoepi check`: a definition against the data without building anything.

The screening of a build (the same plan: sources, the scan through the definition's
codelists, the rows set aside), then per codelist and setting the rows and persons it
matches. Nothing is written. Counts below the definition's min_cell_count are masked in
what is returned for printing, as every aggregate the tool shows.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pharmacoepi import plan as plans
from pharmacoepi.definition import LoadedDefinition
from pharmacoepi.engines import make_engine
from pharmacoepi.pipeline.build import screening_plan
from pharmacoepi.progress import Reporter
from pharmacoepi.screening import steps as screening
from pharmacoepi.screening.steps import DEFAULT_DATE_RANGE
from pharmacoepi.sources import check_codelists


@dataclass(frozen=True)
class CheckResult:
    counts: pl.DataFrame  # codelist, domain, setting, rows, persons (masked: null)
    unmatched: list[str]  # codelists matching no code of the data
    rejected: dict[str, int]  # rows set aside per table (masked: not listed below min_cell)
    min_cell: int


def check_definition(
    loaded: LoadedDefinition,
    data_dir: Path,
    *,
    source: str = "claims",
    threads: int | None = None,
    memory_limit: str | None = None,
    reporter: Reporter | None = None,
    date_range: tuple[dt.date, dt.date] = DEFAULT_DATE_RANGE,
) -> CheckResult:
    """Screen the data for the definition and count what each codelist matches."""
    reporter = reporter or Reporter.for_stderr()
    codelists = list(loaded.codelists.values())
    check_codelists(source, codelists)
    plan = plans.checked(
        [
            *screening_plan(codelists, source, loaded, date_range),
            *screening.checks(date_range, codelists),
            plans.sql("screen/codelist_counts"),
            plans.sql("screen/problem_summary"),
        ]
    )
    min_cell = loaded.definition.privacy.min_cell_count
    reporter.min_cell = min_cell
    with (
        tempfile.TemporaryDirectory(prefix="pharmacoepi-spill-") as spill,
        make_engine("duckdb", threads, memory_limit, Path(spill), reporter.stage) as engine,
        reporter.running(plans.stage_count(plan)),
    ):
        state = plans.RunState(engine, data_dir)
        plans.execute(plan, state, on_step=reporter.step)
        counts = engine.frame("codelist_counts")
        rejected: dict[str, int] = {}
        for table, _reason, _column, rows, _example in engine.rows("problem_summary"):
            rejected[table] = rejected.get(table, 0) + rows  # the example row is not kept
    masked = counts.with_columns(
        pl.when(pl.col(c) < min_cell).then(None).otherwise(pl.col(c)).alias(c)
        for c in ("rows", "persons")
    ).sort("codelist", "domain", "setting")
    return CheckResult(
        masked,
        state.results["unmatched_codelists"],
        {t: n for t, n in sorted(rejected.items()) if n >= min_cell},
        min_cell,
    )
