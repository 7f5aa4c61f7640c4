"""The study report: one self-contained HTML page per run, built from the masked aggregate
outputs and the manifest only (never a person-level file), so it is as safe to release as
they are (docs/report.md)."""

from __future__ import annotations

from pathlib import Path

from pharmacoepi.outputs.write import replace_file
from pharmacoepi.report.html import Cells, esc
from pharmacoepi.report.inputs import RunOutputs, read_outputs
from pharmacoepi.report.page import page
from pharmacoepi.report.sections import (
    attrition,
    definition,
    incidence,
    outcomes,
    quality,
    run,
    survival,
    table1,
    treatments,
)

REPORT = "report.html"

# Page order; a section whose data the run did not write is left out.
SECTIONS = (run, attrition, table1, incidence, survival, treatments, outcomes, quality, definition)


def render(outputs: RunOutputs) -> str:
    cells = Cells(outputs.min_cell)
    parts = [s for s in (section.render(outputs, cells) for section in SECTIONS) if s]
    d = outputs.manifest["definition"]
    title = outputs.definition.get("title") or d["name"]
    subtitle = (
        f"{d['name']} · pharmacoepi {outputs.manifest.get('pharmacoepi_version', '')} · "
        f"run started {outputs.manifest.get('started_at', '')} UTC"
    )
    footer = (
        f"Built by pharmacoepi {esc(outputs.manifest.get('pharmacoepi_version', ''))} from the "
        "aggregate files of this run (small cells masked below "
        f"{outputs.min_cell}) and its manifest; no person-level file was read."
    )
    return page(title, subtitle, parts, footer)


def render_folder(folder: Path) -> str:
    return render(read_outputs(folder))


def write_report(folder: Path, out: Path) -> Path:
    """Render the report of `folder` into `out` (written beside and renamed: never half)."""
    text = render_folder(folder)
    return replace_file(out, lambda partial: partial.write_text(text, encoding="utf-8"))
