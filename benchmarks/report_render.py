"""The study report of a build's output folder, measured: its size, the time to render it
(`pharmacoepi report`, in process) and to open it in Debian's chromium (headless, network
blocked; the navigation's loadEventEnd), each the median of several runs.

    python benchmarks/report_render.py OUT [RUNS]   ->  one JSON object on stdout
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pharmacoepi.report import render_folder  # noqa: E402
from tests.browser import chromium  # noqa: E402


def main() -> None:
    out, runs = Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 5
    render = []
    for _ in range(runs):
        started = time.perf_counter()
        render_folder(out)
        render.append(time.perf_counter() - started)
    page = out / "report.html"
    result = {
        "bytes": page.stat().st_size,
        "render_seconds": round(statistics.median(render), 3),
        "render_runs": [round(s, 3) for s in render],
    }
    if chromium.missing() is None:
        driver = chromium.start()
        loads = []
        try:
            for _ in range(runs):
                driver.get("about:blank")
                driver.get(page.as_uri())
                loads.append(driver.execute_script(
                    "return performance.getEntriesByType('navigation')[0].loadEventEnd;"
                ))  # fmt: skip
        finally:
            driver.quit()
        result["browser_load_ms"] = round(statistics.median(loads), 1)
        result["browser_load_runs"] = [round(x, 1) for x in loads]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
