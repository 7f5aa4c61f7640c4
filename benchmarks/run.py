"""`make bench`: build-cohort against its scan floor, Spark and the OHDSI era peer, at
100,000, 1,000,000 and 4,000,000 persons over 10 years.

For each size (BENCH_SIZES), the `national_1m` preset with that many persons is generated
into .bench/p<N>/ once (again when the generator version changes; `synth` is timed when
it runs and its timing kept), then, each command in its own process (peak RSS: the
larger of wait4's and the process tree's, sampled every 0.1 s, so Spark's JVM counts),
with the median reported:

- `build-cohort itp_faith` end to end (cohort, exposures, lines, estimators, outputs);
  at sizes in BENCH_LIMITED_SIZES with `--memory-limit` BENCH_MEMORY_LIMIT (spilling);
- the same build without its Table 1 (`--set characteristics=null`): what the
  `characteristics:` block costs, as the median of the paired ratios (with / without);
- the scan floor (benchmarks/scan_floor.py): the needed columns of each table read once
  with the same code filters, nothing else; the two builds and the floor run
  BENCH_REPEATS (5) times, interleaved, so a change in the machine's load falls on all;
- `build-cohort --engine spark` (local mode) at sizes in BENCH_SPARK_SIZES (once: minutes);
- the era builder and the OHDSI drug_era algorithm over the same dispensings
  (benchmarks/era_peers.py), BENCH_ERA_REPEATS (3) times, interleaved;
- the disclosure audit (benchmarks/audit_cost.py): masking and auditing the run's raw
  aggregates, BENCH_AUDIT_REPEATS (5) times in one process, against the build's time.

It prints and writes benchmarks/results.md (and .bench/results.json). The machine is
shared: read medians and the ratios of one run. A benchmark reports; it fails nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / ".bench"
REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
ERA_REPEATS = int(os.environ.get("BENCH_ERA_REPEATS", "3"))
# a study of itp_faith with 3 variants plus ms_dmt (docs/batch.md), against one build
STUDY_REPEATS = int(os.environ.get("BENCH_STUDY_REPEATS", "3"))
STUDY_VARIANTS = {
    "washout_365": {"incident.washout_days": 365},
    "washout_1095": {"incident.washout_days": 1095},
    "no_backdating": {"diagnosis_date": None},
}


def _sizes(name: str, default: str) -> list[int]:
    return [int(s) for s in os.environ.get(name, default).split(",") if s.strip()]


SIZES = _sizes("BENCH_SIZES", "100000,1000000,4000000")
SPARK_SIZES = _sizes("BENCH_SPARK_SIZES", "100000,1000000,4000000")
LIMITED_SIZES = _sizes("BENCH_LIMITED_SIZES", "4000000")
MEMORY_LIMIT = os.environ.get("BENCH_MEMORY_LIMIT", "4GB")


def _tree_rss_bytes(root: int) -> int:
    """Resident memory of a process and all its descendants now (Linux /proc)."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            total += int(status.split("VmRSS:")[1].split()[0]) * 1024 if "VmRSS:" in status else 0
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError, IndexError):
            continue  # the process ended meanwhile
    return total


def _sample_peak(root: int, done: threading.Event, peak: list[int]) -> None:
    while not done.wait(0.1):
        peak[0] = max(peak[0], _tree_rss_bytes(root))


def measure(command: list[str]) -> tuple[float, float, str]:
    """Run a command; return (seconds, peak RSS in GiB, its last stdout line). Peak RSS is
    the larger of wait4's (the process itself) and the process tree's sampled every 0.1 s:
    the Spark engine's JVM is a child process, and its memory counts."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    done, peak = threading.Event(), [0]
    sampler = threading.Thread(target=_sample_peak, args=(proc.pid, done, peak), daemon=True)
    sampler.start()
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(command)}")
    lines = output.strip().splitlines()
    rss_gib = max(usage.ru_maxrss * 1024, peak[0]) / 1024**3
    return seconds, rss_gib, lines[-1] if lines else ""


def pharmacoepi(*args: str) -> list[str]:
    return [sys.executable, "-m", "pharmacoepi", *args]


def script(name: str, *args: str) -> list[str]:
    return [sys.executable, str(ROOT / "benchmarks" / name), *args]


def repeat(commands: dict[str, list[str]], times: int = REPEATS) -> dict[str, dict[str, object]]:
    """Run each command `times` times, interleaved (a, b, a, b ...), so that a change in
    the shared machine's load falls on every command alike and their ratio holds."""
    runs: dict[str, list[tuple[float, float, str]]] = {label: [] for label in commands}
    for i in range(times):
        for label, command in commands.items():
            seconds, rss, last = measure(command)
            runs[label].append((seconds, rss, last))
            print(f"  {label} run {i + 1}: {seconds:.1f}s, peak RSS {rss:.2f} GiB", flush=True)
    return {
        label: {
            "seconds": round(statistics.median(s for s, _, _ in done), 2),
            "peak_rss_gib": round(statistics.median(r for _, r, _ in done), 2),
            "runs": [round(s, 2) for s, _, _ in done],
            "output": done[-1][2],
        }
        for label, done in runs.items()
    }


def _outdated(data: Path) -> bool:
    from pharmacoepi.synth import GENERATOR_VERSION

    try:
        summary = json.loads((data / "ground_truth" / "summary.json").read_text())
    except (OSError, ValueError):
        return True
    return summary.get("generator_version") != GENERATOR_VERSION


def dataset(persons: int) -> tuple[Path, dict[str, object] | None]:
    """The cached dataset of this size, generated (and timed) when missing or outdated."""
    data = BENCH / f"p{persons}"
    timing = BENCH / f"synth_p{persons}.json"
    if data.exists() and (os.environ.get("BENCH_REGENERATE") or _outdated(data)):
        shutil.rmtree(data)
    if not (data / "ground_truth" / "summary.json").is_file():
        seconds, rss, _ = measure(
            pharmacoepi("synth", "--preset", "national_1m", "--persons", str(persons),
                        "--out", str(data))
        )  # fmt: skip
        timing.write_text(json.dumps({"seconds": round(seconds, 1), "peak_rss_gib": rss}))
        print(f"  synth {persons:,}: {seconds:.1f}s, peak RSS {rss:.2f} GiB", flush=True)
    synth = json.loads(timing.read_text()) if timing.is_file() else None
    return data, synth


def recovery(data: Path, out: Path) -> dict[str, object]:
    """Sensitivity and PPV of the cohort against the generator's ground truth."""
    import polars as pl

    sys.path.insert(0, str(ROOT))
    from tests.ground_truth import expected_cohort

    found = set(pl.read_parquet(out / "cohort.parquet")["person_id"])
    true = set(expected_cohort(data)["person_id"])
    hits = len(found & true)
    return {"cohort": len(found), "expected": len(true), "found": hits}


def stage_seconds(out: Path, prefix: str) -> dict[str, object]:
    """The SQL stages under `prefix` (outcomes/, characteristics/) in the last build (its
    manifest): their seconds and rows, and the build's seconds: what they cost inside
    build-cohort."""
    manifest = json.loads((out / "manifest.json").read_text())
    mine = {s["stage"]: s for s in manifest["stages"] if s["stage"].startswith(prefix)}
    return {
        "stages": {k: s["seconds"] for k, s in mine.items()},
        "rows": {k: s["rows"] for k, s in mine.items()},
        "seconds": sum(s["seconds"] for s in mine.values()),
        "build_seconds": manifest["seconds"],
    }


def bench_size(persons: int) -> dict[str, object]:
    print(f"{persons:,} persons", flush=True)
    data, synth = dataset(persons)
    summary = json.loads((data / "ground_truth" / "summary.json").read_text())
    rows = summary.get("row_counts", {})
    out = BENCH / "out" / f"p{persons}"
    build_args = ["build-cohort", "itp_faith", "--data", str(data), "--quiet"]
    limited = persons in LIMITED_SIZES
    if limited:
        build_args += ["--memory-limit", MEMORY_LIMIT]
    result: dict[str, object] = {
        "persons": persons,
        "input_rows": sum(rows.values()),
        "rows": rows,
        "synth": synth,
        "memory_limit": MEMORY_LIMIT if limited else None,
    }
    no_table1 = [*build_args, "--set", "characteristics=null", "--out", str(out / "no_table1")]
    timed = repeat(
        {
            "build-cohort": pharmacoepi(*build_args, "--out", str(out / "duckdb")),
            "build-cohort without Table 1": pharmacoepi(*no_table1),
            "scan floor": script("scan_floor.py", "itp_faith", str(data)),
        }
    )
    result["build"], result["scan_floor"] = timed["build-cohort"], timed["scan floor"]
    result["build_no_table1"] = timed["build-cohort without Table 1"]
    runs = zip(result["build"]["runs"], result["build_no_table1"]["runs"], strict=True)
    result["table1_ratios"] = [round(a / b, 3) for a, b in runs]
    result["ground_truth"] = recovery(data, out / "duckdb")
    result["outcome_stages"] = stage_seconds(out / "duckdb", "outcomes/")
    result["characteristics_stages"] = stage_seconds(out / "duckdb", "characteristics/")
    # Table 1's codelists (Charlson's among them) join the one screening pass: its cost there
    result["screen_seconds"] = {
        "with": stage_seconds(out / "duckdb", "screen/")["seconds"],
        "without": stage_seconds(out / "no_table1", "screen/")["seconds"],
    }
    if persons in SPARK_SIZES:
        # Spark local mode gets the memory DuckDB would take by itself (80% of RAM)
        spark_args = [a for a in build_args if a not in ("--memory-limit", MEMORY_LIMIT)]
        spark_args += ["--out", str(out / "spark"), "--engine", "spark"]
        spark_args += ["--memory-limit", os.environ.get("BENCH_SPARK_MEMORY", "16g")]
        spark = repeat({"build-cohort --engine spark": pharmacoepi(*spark_args)}, times=1)
        result["spark"] = spark["build-cohort --engine spark"]
    eras = repeat(
        {
            f"eras ({mode})": script("era_peers.py", mode, "itp_faith", str(data))
            for mode in ("builder", "ohdsi")
        },
        times=ERA_REPEATS,
    )
    result["eras_builder"], result["eras_ohdsi"] = eras["eras (builder)"], eras["eras (ohdsi)"]
    result["study"] = study_bench(data, out)
    _, _, page = measure(script("report_render.py", str(out / "duckdb")))
    result["report"] = json.loads(page)
    print(f"  report: {result['report']}", flush=True)
    _, _, audit = measure(script("audit_cost.py", "itp_faith", str(data)))
    result["audit"] = json.loads(audit)
    print(f"  disclosure audit: {result['audit']}", flush=True)
    return result


def study_bench(data: Path, out: Path) -> dict[str, object]:
    """`pharmacoepi run` of itp_faith + 3 variants + ms_dmt (--force: every cohort built),
    interleaved with one itp_faith build; then reruns with nothing changed."""
    spec = {
        "name": "bench", "data": {"path": str(data)}, "out": str(out / "study"),
        "cohorts": ["itp_faith", "ms_dmt"], "variants": {"itp_faith": STUDY_VARIANTS},
    }  # fmt: skip
    path = out / "study.yaml"
    path.write_text(json.dumps(spec))  # JSON is YAML
    one = ["build-cohort", "itp_faith", "--data", str(data), "--quiet", "--out"]
    timed = repeat(
        {
            "study (5 builds, --force)": pharmacoepi("run", str(path), "--force"),
            "one itp_faith build": pharmacoepi(*one, str(out / "study_peer")),
        },
        times=STUDY_REPEATS,
    )
    rerun = repeat({"study rerun, nothing changed": pharmacoepi("run", str(path))})
    study, build = timed["study (5 builds, --force)"], timed["one itp_faith build"]
    pairs = zip(study["runs"], build["runs"], strict=True)
    return {
        "study": study, "build": build, "rerun": rerun["study rerun, nothing changed"],
        "ratios": [round(a / b, 2) for a, b in pairs],
    }  # fmt: skip


def _memory_gib() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3


def report(results: list[dict[str, object]]) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Run {dt.date.today()} on {os.cpu_count()} cores, {_memory_gib():.0f} GiB "
        f"(a shared machine), generator {results[0].get('generator', '?')}; "
        f"medians of {REPEATS} runs, build and floor interleaved (the era peers: "
        f"{ERA_REPEATS}, interleaved; Spark: 1 run). "
        "`ratio to floor` = wall / the scan floor's wall at that size; `ratio to Spark` = "
        "Spark's wall / this wall.",
        "",
        "| persons | step | input rows | wall (s) | peak RSS (GiB) | ratio to floor "
        "| ratio to Spark |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        floor = r["scan_floor"]["seconds"]
        spark = r.get("spark", {}).get("seconds") if r.get("spark") else None
        build = r["build"]["seconds"]
        label = "build-cohort itp_faith" + (
            f" (--memory-limit {r['memory_limit']})" if r["memory_limit"] else ""
        )
        steps = [
            (label, r["build"], f"{spark / build:.1f}x" if spark else ""),
            ("build-cohort itp_faith, characteristics=null", r.get("build_no_table1"), ""),
            ("scan floor", r["scan_floor"], ""),
            ("build-cohort --engine spark", r.get("spark"), ""),
            ("era builder (all persons)", r["eras_builder"], ""),
            ("OHDSI drug_era peer (same dispensings)", r["eras_ohdsi"], ""),
            ("synth", r.get("synth"), ""),
        ]
        for name, m, vs_spark in steps:
            if not m:
                continue
            ratio = f"{m['seconds'] / floor:.1f}x" if name != "synth" else ""
            lines.append(
                f"| {r['persons']:,} | {name} | {r['input_rows']:,} | {m['seconds']:.1f} "
                f"| {m['peak_rss_gib']:.2f} | {ratio} | {vs_spark} |"
            )
    per_row = {
        r["persons"]: r["build"]["seconds"] / r["input_rows"] * 1e6 for r in results
    }  # fmt: skip
    lines += ["", "Build seconds per million input rows: " + ", ".join(
        f"{p:,} persons {v:.3f}" for p, v in per_row.items())]  # fmt: skip
    if 1_000_000 in per_row and 4_000_000 in per_row:
        lines.append(
            f"4,000,000 vs 1,000,000 persons, time per input row: "
            f"{per_row[4_000_000] / per_row[1_000_000]:.2f}x"
        )
    lines += ["", "Ground truth (itp_faith): " + ", ".join(
        f"{r['persons']:,}: {r['ground_truth']['found']} of {r['ground_truth']['expected']} "
        f"true cases found, cohort {r['ground_truth']['cohort']}" for r in results)]  # fmt: skip
    eras = ", ".join(
        f"{r['persons']:,}: builder {r['eras_builder']['output']}, "
        f"OHDSI {r['eras_ohdsi']['output']}" for r in results
    )  # fmt: skip
    lines += [f"Eras built (both algorithms must agree): {eras}", ""]
    audits = "; ".join(
        f"{r['persons']:,} persons: {a['audit_seconds']:.2f} s (median of "
        f"{len(a['audit_runs'])}, {min(a['audit_runs']):.2f} to {max(a['audit_runs']):.2f}), "
        f"{a['sensitive_counts_checked']} sensitive of {a['counts']} counts, "
        f"{a['relations']} relations, {a['extra_suppressed']} more hidden; "
        f"{a['audit_seconds'] / a['build_seconds']:.0%} of that build's {a['build_seconds']:.1f} s"
        for r in results for a in [r["audit"]]
    )  # fmt: skip
    lines += [f"Disclosure audit (masking + audit of itp_faith's aggregates, in process): "
              f"{audits}", ""]  # fmt: skip
    outcomes = "; ".join(
        f"{r['persons']:,} persons: {o['seconds']:.2f} s of the build's "
        f"{o['build_seconds']:.1f} s ({o['seconds'] / o['build_seconds']:.1%}; "
        + ", ".join(f"{k.split('/')[1]} {v:.2f}" for k, v in o["stages"].items()) + ")"
        for r in results for o in [r["outcome_stages"]]
    )  # fmt: skip
    lines += [f"Safety-outcome stages (sql/outcomes/, last build's manifest): {outcomes}", ""]
    pages = "; ".join(
        f"{r['persons']:,} persons: {p['bytes'] / 1e6:.2f} MB, rendered in "
        f"{p['render_seconds']:.2f} s (median of {len(p['render_runs'])})"
        + (f", opened in chromium in {p['browser_load_ms']:.0f} ms (loadEventEnd, median of "
           f"{len(p['browser_load_runs'])})" if "browser_load_ms" in p else ", chromium absent")
        for r in results for p in [r["report"]]
    )  # fmt: skip
    lines += [f"Study report (itp_faith report.html; benchmarks/report_render.py): {pages}", ""]
    studies = "; ".join(
        f"{r['persons']:,} persons: {s['study']['seconds']:.1f} s for 5 builds against "
        f"{s['build']['seconds']:.1f} s for one ({statistics.median(s['ratios']):.2f}x, paired "
        + ", ".join(f"{x:.2f}" for x in s["ratios"]) + "); rerun with nothing changed "
        f"{s['rerun']['seconds']:.1f} s (median of {len(s['rerun']['runs'])})"
        for r in results for s in [r["study"]]
    )  # fmt: skip
    lines += [
        "Study run (pharmacoepi run: itp_faith + 3 variants + ms_dmt, --force, interleaved "
        f"with one itp_faith build; each cohort scans the data itself): {studies}",
        "",
    ]
    table1 = "; ".join(
        f"{r['persons']:,} persons: {c['seconds']:.2f} s of the build's "
        f"{c['build_seconds']:.1f} s ({c['seconds'] / c['build_seconds']:.1%}; "
        + ", ".join(f"{k.split('/')[1]} {v:.2f}" for k, v in c["stages"].items()) + ")"
        for r in results for c in [r["characteristics_stages"]] if c["stages"]
    )  # fmt: skip
    lines += [f"Table 1 stages (sql/characteristics/, last build's manifest): {table1}", ""]
    paired = "; ".join(
        f"{r['persons']:,} persons: {r['build']['seconds']:.1f} s with, "
        f"{r['build_no_table1']['seconds']:.1f} s without, "
        f"{statistics.median(r['table1_ratios']):.2f}x (median of the paired ratios "
        + ", ".join(f"{x:.2f}" for x in r["table1_ratios"]) + "; screening stages "
        f"{r['screen_seconds']['with']:.2f} s with, {r['screen_seconds']['without']:.2f} s "
        "without, last builds)"
        for r in results
    )  # fmt: skip
    lines += [
        "Table 1 cost (build-cohort itp_faith with its `characteristics:` block against "
        f"`--set characteristics=null`, interleaved; wall, medians): {paired}",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    from pharmacoepi.synth import GENERATOR_VERSION

    BENCH.mkdir(exist_ok=True)
    results = []
    for persons in SIZES:
        result = bench_size(persons)
        result["generator"] = GENERATOR_VERSION
        results.append(result)
    (BENCH / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    text = report(results)
    (ROOT / "benchmarks" / "results.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
