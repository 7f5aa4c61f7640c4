"""`pharmacoepi validate`: check a data directory against the contract.

Structural problems raise DataError (exit 2). Row-level problems are counted per table,
problem and column with one example value; with --out, the rows themselves are written
to rejected_rows.parquet.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pharmacoepi import plan as plans
from pharmacoepi import sources
from pharmacoepi.engines import make_engine
from pharmacoepi.outputs.write import atomic_output_dir, check_output_target, write_json
from pharmacoepi.progress import Reporter
from pharmacoepi.screening import steps as screening
from pharmacoepi.screening.steps import DEFAULT_DATE_RANGE
from pharmacoepi.sources import SourceRead, source_problems


@dataclass
class ValidationReport:
    sources: SourceRead
    problems: list[dict] = field(default_factory=list)
    # the source adapter's documented data problems (docs/sources.md), as counted
    source_problems: list[dict] = field(default_factory=list)

    def rejected_by_table(self, table: str) -> int:
        return sum(p["rows"] for p in self.problems if p["table"] == table)


def validate_plan(
    source: str, date_range: tuple[dt.date, dt.date] = DEFAULT_DATE_RANGE
) -> list[plans.Step]:
    """Every row checked; no codelists, so only the rows with a problem are kept."""
    return [
        *sources.steps(source),
        *screening.steps(
            [],
            rows="all",
            concept_steps=sources.concept_steps(source),
            after=sources.post_screen_steps(source),
            date_range=date_range,
        ),
        *screening.checks(date_range),
        plans.sql("screen/problem_summary"),
    ]


def validate_data(
    data_dir: Path,
    out: Path | None = None,
    *,
    threads: int | None = None,
    memory_limit: str | None = None,
    reporter: Reporter | None = None,
    source: str = "claims",
    date_range: tuple[dt.date, dt.date] = DEFAULT_DATE_RANGE,
) -> ValidationReport:
    reporter = reporter or Reporter.for_stderr()
    plan = plans.checked(validate_plan(source, date_range))
    if out is not None:
        check_output_target(out, "validate", data_dir)  # before the scan, not after it
    with (
        tempfile.TemporaryDirectory(prefix="pharmacoepi-spill-") as spill,
        make_engine("duckdb", threads, memory_limit, Path(spill), reporter.stage) as engine,
    ):
        state = plans.RunState(engine, data_dir)
        plans.execute(plan, state)
        read: SourceRead = state.results["source"]
        problems = [
            {"table": t, "reason": r, "column": c, "rows": n, "example": e}
            for t, r, c, n, e in engine.rows("problem_summary")
        ]
        report = ValidationReport(read, problems, source_problems(engine))
        if out is not None:
            with atomic_output_dir(out, "validate", data_dir, reporter.info) as staging:
                engine.write_parquet("problem_summary", staging / "problems.parquet")
                engine.write_parquet("rejected_rows", staging / "rejected_rows.parquet")
                write_json(
                    staging / "manifest.json",
                    {
                        "command": "validate",
                        "data": str(data_dir),
                        "source": source,
                        "date_range": [str(d) for d in date_range],
                        "inputs": {
                            n: {
                                "format": s.format,
                                "rows": s.rows,
                                **({"columns_read_as": s.renamed} if s.renamed else {}),
                            }
                            for n, s in read.inputs.items()
                        },
                        "source_problems": report.source_problems,
                        "problems": [
                            {k: v for k, v in p.items() if k != "example"} for p in problems
                        ],
                    },
                )
    return report
