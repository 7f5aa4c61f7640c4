"""The study's front page, OUT/index.html: every cohort/variant with its status and a link
to its report, each cohort's variants side by side (sensitivity), and the cohorts' overlap
with a Venn diagram per pair.

Built from the same files as a report (the aggregates and manifest of each folder, through
report.inputs) and the masked overlap frame: never a person-level file. One page, the
report's stylesheet inline, no external resource.
"""

from __future__ import annotations

import math
from pathlib import Path
from urllib.parse import quote

import polars as pl
from matplotlib.colors import to_rgba
from matplotlib.patches import Circle

from pharmacoepi import __version__
from pharmacoepi.errors import UserError
from pharmacoepi.outputs.write import replace_file
from pharmacoepi.report import REPORT
from pharmacoepi.report.html import Cells, esc, figure, section, table
from pharmacoepi.report.inputs import read_outputs
from pharmacoepi.report.page import page
from pharmacoepi.report.sections.rates import rate_cell
from pharmacoepi.report.svg import PALETTE, Svg, new_figure, render, styled
from pharmacoepi.study.overlap import COUNTS

INDEX = "index.html"
MAIN = "main"


def write_index(
    out: Path, study_name: str, rows: list[dict], overlap: pl.DataFrame | None, min_cell: int
) -> Path:
    """Write OUT/index.html (beside, then renamed: never half a page). `rows`: one per
    cohort/variant with cohort, variant, folder (relative to out), status ("built", "up to
    date", "failed"), reason and seconds (None: not timed)."""
    cells = Cells(min_cell)
    parts = [_runs(out, rows), _sensitivity(out, rows)]
    if overlap is not None:
        parts.append(_overlap(overlap, cells))
    failed = sum(r["status"] == "failed" for r in rows)
    subtitle = (
        f"{len({r['cohort'] for r in rows})} cohort(s), {len(rows)} cohort/variant run(s), "
        f"{failed} failed · pharmacoepi {__version__}"
    )
    footer = (
        f"Built by pharmacoepi {esc(__version__)} from the aggregate files and manifests of "
        f"the cohort folders and the masked overlap (small cells masked below {min_cell}); "
        "no person-level file was read."
    )
    text = page(f"Study {study_name}", subtitle, parts, footer)
    return replace_file(out / INDEX, lambda partial: partial.write_text(text, encoding="utf-8"))


def _runs(out: Path, rows: list[dict]) -> str:
    def link(r: dict) -> str:
        if not (out / r["folder"] / REPORT).is_file():
            return ""  # no report (yet): no dead link
        href = quote(f"{Path(r['folder']).as_posix()}/{REPORT}")
        return f'<a href="{esc(href)}">report</a>'

    body = table(
        ("cohort", "variant", "status", "reason", "seconds", "report"),
        (
            (
                esc(r["cohort"]),
                esc(r["variant"]),
                esc(r["status"]),
                esc(r["reason"]),
                "" if r["seconds"] is None else f"{r['seconds']:,.1f}",
                link(r),
            )
            for r in rows
        ),
    )
    return section("runs", "1. Cohorts and variants", body)


def _sensitivity(out: Path, rows: list[dict]) -> str:
    parts = []
    for cohort in dict.fromkeys(r["cohort"] for r in rows):
        variants = sorted(
            (r for r in rows if r["cohort"] == cohort), key=lambda r: r["variant"] != MAIN
        )
        columns = [_measures(out, r) for r in variants]
        # every variant failed or wrote nothing: still one row, to say so in each column
        labels = list(dict.fromkeys(k for c in columns if isinstance(c, dict) for k in c))
        labels = labels or ["cohort size (persons)"]
        body = [[esc(label), *(_cell(c, label) for c in columns)] for label in labels]
        heads = ["", *(r["variant"] for r in variants)]
        parts.append(f"<h3>{esc(cohort)}</h3>" + table(heads, body, cls="numbers"))
    intro = (
        "<p>Each cohort's variants side by side (main: the definition as written). Rates "
        "with exact Poisson 95% CIs; an empty cell: not computed by that variant.</p>"
    )
    legend = (
        '<p class="legend">&lt; n: a count masked below that variant\'s threshold, or hidden '
        "so that such a count cannot be recomputed; <em>masked</em>: a rate computed from a "
        "masked count; <em>failed</em>: the variant did not build.</p>"
    )
    return section("sensitivity", "2. Sensitivity analyses", intro + "".join(parts) + legend)


def _cell(column: dict[str, str] | str, label: str) -> str:
    if isinstance(column, str):  # the variant has no outputs: why, in every row
        return column
    return column.get(label, "")


def _measures(out: Path, row: dict) -> dict[str, str] | str:
    """A variant's column: row label -> cell (HTML); a string when it has no outputs."""
    if row["status"] == "failed":
        return "failed"
    try:
        run = read_outputs(out / row["folder"])
    except UserError:
        return "no output"
    cells = Cells(run.min_cell)
    column = {}
    attrition = run.table("attrition.parquet")
    if attrition is not None:
        column["cohort size (persons)"] = cells.count(attrition.sort("step")["persons"][-1])
    incidence = run.table("incidence.parquet")
    if incidence is not None:
        per = int((run.definition.get("analyses", {}).get("incidence") or {}).get("per", 100000))
        for r in incidence.filter(pl.col("measure") == "crude").iter_rows(named=True):
            column[f"crude incidence per {per:,} person-years (95% CI)"] = _rate(r, cells)
    outcomes = run.table("outcome_incidence.parquet")
    if outcomes is not None:
        for r in outcomes.filter(pl.col("stratum") == "crude").iter_rows(named=True):
            label = f"{r['analysis']}: crude rate per {r['per']:,} person-years (95% CI)"
            column[label] = _rate(r, cells)
    return column


def _rate(row: dict, cells: Cells) -> str:
    """The report's rate and CI cells in one: "60.2 (52.1 to 69.2)"."""
    if row["rate"] is None:
        return rate_cell(row, cells)  # masked, or not estimable
    return f"{rate_cell(row, cells)} ({cells.interval(row['ci_lower'], row['ci_upper'])})"


def _overlap(overlap: pl.DataFrame, cells: Cells) -> str:
    heads = ("cohort a", "cohort b", "in a", "in b", "in both", "in a only", "in b only")
    rows = list(overlap.iter_rows(named=True))
    if not rows:
        return section(
            "overlap",
            "3. Overlap of the cohorts",
            "<p>Fewer than two cohorts with a cohort file: no overlap to show.</p>",
        )

    def line(r: dict) -> list[str]:
        return [esc(r["cohort_a"]), esc(r["cohort_b"]), *(cells.count(r[c]) for c in COUNTS)]

    parts = [
        "<p>Persons in each pair of cohorts (their main variants), in both and in one only.</p>",
        table(heads, (line(r) for r in rows), cls="numbers"),
    ]
    for index, r in enumerate(rows):
        n = {c: r[c] for c in COUNTS}
        svg = venn(r["cohort_a"], r["cohort_b"], n, cells.min_cell, prefix=f"venn-{index}")
        if n["persons_a"] is None or n["persons_b"] is None:
            scale = (
                "Not to scale: a cohort size is masked, so both circles are drawn the same "
                "size and dashed."
            )
        elif n["persons_both"] is None:
            scale = (
                "Areas proportional to persons; the overlap is not to scale (its count is masked)."
            )
        else:
            scale = "Areas proportional to persons."
        caption = f"{esc(r['cohort_a'])} and {esc(r['cohort_b'])}. {scale}"
        alt = f"Venn diagram of the persons of {r['cohort_a']} and {r['cohort_b']}"
        numbers = table(heads, [line(r)], cls="numbers")
        parts.append(figure(f"venn_{index}", svg, caption, alt, numbers))
    return section("overlap", "3. Overlap of the cohorts", "".join(parts) + cells.legend())


@styled
def venn(a: str, b: str, n: dict[str, int | None], min_cell: int, *, prefix: str) -> Svg:
    """Two circles, areas proportional to persons_a and persons_b, overlapping by
    persons_both; region labels are the counts ("< 11" when masked). A masked size: equal
    dashed circles; a masked overlap: a fixed overlap. Neither geometry depends on a
    masked count, so the drawing gives none away."""
    to_scale = n["persons_a"] is not None and n["persons_b"] is not None
    ra, rb = (math.sqrt(n["persons_a"]), math.sqrt(n["persons_b"])) if to_scale else (1.0, 1.0)
    largest = max(ra, rb) or 1.0
    ra, rb = ra / largest, rb / largest
    if to_scale and n["persons_both"] is not None:
        share = n["persons_both"] / max(n["persons_a"], n["persons_b"], 1)
        d = _distance(ra, rb, math.pi * share)
    else:
        d = max(ra, rb, 0.65 * (ra + rb))
    fig = new_figure(4.4, 2.8)
    ax = fig.add_subplot()
    for mark, (x, r, colour) in enumerate(((0.0, ra, PALETTE[0]), (d, rb, PALETTE[1])), 1):
        circle = Circle((x, 0), r, facecolor=to_rgba(colour, 0.3), edgecolor=colour, lw=1.4)
        circle.set_linestyle("-" if to_scale else "--")
        circle.set_gid(f"mark-{mark}")
        ax.add_patch(circle)

    def label(count: int | None) -> str:
        return f"< {min_cell}" if count is None else f"{count:,}"

    left, right = -ra, d + rb
    lens = (max(d - rb, left), min(ra, right))
    spots = {
        "persons_a_only": (left + max(left, min(d - rb, ra))) / 2,
        "persons_both": sum(lens) / 2,
        "persons_b_only": (min(max(ra, d - rb), right) + right) / 2,
    }
    for count, x in spots.items():
        ax.text(x, 0, label(n[count]), ha="center", va="center", fontsize=9)
    top = max(ra, rb)
    for row, (name, count, colour) in enumerate(
        ((a, n["persons_a"], PALETTE[0]), (b, n["persons_b"], PALETTE[1]))
    ):
        ax.text(left, top + 0.42 - 0.22 * row, f"{name}: {label(count)}", color=colour, fontsize=9)
    ax.set_xlim(left - 0.1, right + 0.1)
    ax.set_ylim(-top - 0.05, top + 0.6)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return render(fig, 2, prefix)


def _distance(ra: float, rb: float, area: float) -> float:
    """The distance between the centres at which two circles overlap by `area`
    (bisection: the lens shrinks as the circles move apart); apart when area is 0."""
    if area <= 0:
        return ra + rb + 0.15
    low, high = abs(ra - rb), ra + rb
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if _lens(ra, rb, mid) > area else (low, mid)
    return (low + high) / 2


def _lens(ra: float, rb: float, d: float) -> float:
    """The area two circles of radii ra and rb share, their centres d apart."""
    if d >= ra + rb:
        return 0.0
    if d <= abs(ra - rb):
        return math.pi * min(ra, rb) ** 2
    a = ra**2 * math.acos((d**2 + ra**2 - rb**2) / (2 * d * ra))
    b = rb**2 * math.acos((d**2 + rb**2 - ra**2) / (2 * d * rb))
    return a + b - 0.5 * math.sqrt((-d + ra + rb) * (d + ra - rb) * (d - ra + rb) * (d + ra + rb))
