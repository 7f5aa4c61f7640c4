"""`make bench`: wall time and peak memory of synth and build-cohort at national size.

Generates the `national_1m` preset (1,000,000 persons, 2005-2014) into .bench/ once
(again when the generator version changed), then times build-cohort of each shipped
definition (itp_faith with its treatments, ms_dmt) REPEATS times and reports medians.
Each command runs in its own process; its peak RSS comes from wait4(). The machine is
shared: read medians and ratios from one run, not single timings.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / ".bench"
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
PRESET = os.environ.get("BENCH_PRESET", "national_1m")


def measure(args: list[str]) -> tuple[float, float]:
    """Run `pharmacoepi ARGS`; return (seconds, peak RSS in MiB)."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "pharmacoepi", *args], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark command failed: pharmacoepi {' '.join(args)}")
    return seconds, usage.ru_maxrss / 1024


def recovery(data: Path, out: Path) -> dict[str, object]:
    """Sensitivity and PPV of the cohort against the generator's ground truth."""
    import polars as pl

    sys.path.insert(0, str(ROOT))
    from tests.ground_truth import expected_cohort

    found = set(pl.read_parquet(out / "cohort.parquet")["person_id"])
    true = set(expected_cohort(data)["person_id"])
    hits = len(found & true)
    return {
        "cohort": len(found),
        "expected": len(true),
        "sensitivity": hits / len(true) if true else None,
        "ppv": hits / len(found) if found else None,
    }


def _outdated(data: Path) -> bool:
    from pharmacoepi.synth import GENERATOR_VERSION

    try:
        summary = json.loads((data / "ground_truth" / "summary.json").read_text())
    except (OSError, ValueError):
        return True
    return summary.get("generator_version") != GENERATOR_VERSION


def time_builds(definition: str, data: Path) -> dict[str, object]:
    runs = []
    for i in range(REPEATS):
        out = BENCH / "out" / definition
        seconds, rss = measure(
            ["build-cohort", definition, "--data", str(data), "--out", str(out), "--quiet"]
        )
        runs.append((seconds, rss))
        print(f"build-cohort {definition} run {i + 1}: {seconds:.1f}s, peak RSS {rss:.0f} MiB",
              flush=True)  # fmt: skip
    manifest = json.loads((BENCH / "out" / definition / "manifest.json").read_text())
    return {
        "median_seconds": round(statistics.median(s for s, _ in runs), 1),
        "median_peak_rss_mib": round(statistics.median(r for _, r in runs)),
        "runs": [{"seconds": round(s, 1), "peak_rss_mib": round(r)} for s, r in runs],
        "stages": {s["stage"]: s["seconds"] for s in manifest["stages"]},
    }


def main() -> None:
    BENCH.mkdir(exist_ok=True)
    data = BENCH / PRESET
    results: dict[str, object] = {"preset": PRESET, "cpu_count": os.cpu_count()}
    if data.exists() and (os.environ.get("BENCH_REGENERATE") or _outdated(data)):
        shutil.rmtree(data)
    if not (data / "ground_truth" / "summary.json").is_file():
        seconds, rss = measure(["synth", "--preset", PRESET, "--out", str(data)])
        results["synth"] = {"seconds": round(seconds, 1), "peak_rss_mib": round(rss)}
        print(f"synth {PRESET}: {seconds:.1f}s, peak RSS {rss:.0f} MiB", flush=True)
    summary = json.loads((data / "ground_truth" / "summary.json").read_text())
    results["rows"] = summary.get("row_counts")
    if (BENCH / "out").exists() and not (BENCH / "out" / "itp_faith").exists():
        shutil.rmtree(BENCH / "out")  # the single-definition layout of earlier versions
    results["build_cohort"] = time_builds("itp_faith", data)
    results["ground_truth"] = recovery(data, BENCH / "out" / "itp_faith")
    results["build_cohort_ms"] = time_builds("ms_dmt", data)
    (BENCH / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
