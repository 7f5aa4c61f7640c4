"""The disclosure audit's cost: build a definition once (keeping its raw aggregates), then
mask and audit them BENCH_AUDIT_REPEATS (5) times in this process; prints one JSON line:
the audit's median seconds and range, what it checked, and the build's seconds.

Usage: python benchmarks/audit_cost.py DEFINITION DATA_DIR
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pharmacoepi.definition import load_definition
from pharmacoepi.disclosure import disclose
from pharmacoepi.disclosure.audit import audit
from pharmacoepi.outputs.catalogue import aggregates
from pharmacoepi.pipeline.build import build_cohort
from pharmacoepi.pipeline.outputs import audit_facts
from pharmacoepi.progress import Reporter

REPEATS = int(os.environ.get("BENCH_AUDIT_REPEATS", "5"))


def main(definition: str, data: str) -> None:
    loaded = load_definition(definition)
    d = loaded.definition
    produced = [s.file for s in aggregates() if s.when(d)]
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        result = build_cohort(
            loaded, Path(data), Path(out) / "out", reporter=Reporter.for_stderr(quiet=True),
            keep=("attrition_steps", *produced),
        )  # fmt: skip
        build = time.perf_counter() - started
    raw = {f: result.kept[f] for f in produced}
    steps = result.kept["attrition_steps"]
    seconds, record = [], {}
    for _ in range(REPEATS):
        started = time.perf_counter()
        masked = disclose(raw, steps, d.privacy.min_cell_count)
        record = audit(raw, masked, steps, audit_facts(d)).record
        seconds.append(time.perf_counter() - started)
    print(
        json.dumps(
            {
                "audit_seconds": round(statistics.median(seconds), 3),
                "audit_runs": [round(s, 3) for s in seconds],
                "build_seconds": round(build, 2),
                "counts": record["counts"],
                "sensitive_counts_checked": record["sensitive_counts_checked"],
                "relations": record["relations"],
                "extra_suppressed": len(record["extra_suppressed"]),
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:3])
