"""Section 6: treatments: pathways of lines as a sankey, the share exposed on given days,
retreatment after courses, disease phases, switch types by year (MS)."""

from __future__ import annotations

import polars as pl

from pharmacoepi.report import charts
from pharmacoepi.report.html import Cells, esc, figure, not_drawn, section, table
from pharmacoepi.report.inputs import RunOutputs


def _pathways(frame: pl.DataFrame, cells: Cells) -> str:
    rows = list(frame.sort("from_line", "from_regimen", "to_regimen").iter_rows(named=True))
    numbers = table(
        ("from line", "from regimen", "to regimen", "persons"),
        (
            [
                str(r["from_line"]),
                esc(r["from_regimen"]),
                esc(r["to_regimen"]),
                cells.count(r["persons"]),
            ]
            for r in rows
        ),
        cls="numbers",
    )
    links = [
        charts.Link(r["from_line"], r["from_regimen"], r["to_regimen"], r["persons"]) for r in rows
    ]
    svg = charts.sankey(links, prefix="sankey")
    masked = sum(r["persons"] is None for r in rows)
    caption = (
        "Treatment pathways: persons moving from the regimen of line k to that of line k + 1, "
        "ribbons as wide as their persons."
        + (
            f" {masked} transition(s) with masked counts are dotted lines of no width: "
            "the path exists, its size is not shown."
            if masked
            else ""
        )
    )
    return figure("pathways", svg, caption, "Sankey diagram of treatment lines", numbers)


def _exposed(frame: pl.DataFrame, cells: Cells) -> str:
    rows = list(frame.iter_rows(named=True))
    classes = list(dict.fromkeys(r["class"] for r in rows))
    days = list(dict.fromkeys(r["days_after_index"] for r in rows))
    share = {(r["class"], r["days_after_index"]): r["share_exposed"] for r in rows}
    series = {f"day {d}": [share.get((c, d)) for c in classes] for d in days}
    svg = charts.bars(
        classes,
        series,
        prefix="exposed",
        value_label="share of persons in follow-up exposed",
        horizontal=True,
        percent=True,
    )
    numbers = table(
        ("class", "day after index", "in follow-up", "exposed", "not exposed", "share exposed"),
        (
            [
                esc(r["class"]),
                str(r["days_after_index"]),
                cells.count(r["persons_in_follow_up"]),
                cells.count(r["persons_exposed"]),
                cells.count(r["persons_not_exposed"]),
                cells.percent(r["share_exposed"]),
            ]
            for r in rows
        ),
        cls="numbers",
    )
    caption = "Share of the persons still in follow-up exposed to each class on given days."
    caption += not_drawn(share.values(), "share")
    return figure("exposed_at", svg, caption, "Share exposed per class and day", numbers)


def _phases(frame: pl.DataFrame, cells: Cells) -> str:
    rows = list(frame.iter_rows(named=True))
    shown = [r for r in rows if r["phase"] != "persistent_or_chronic"]
    svg = charts.bars(
        [r["phase"].replace("_", " ") for r in shown],
        {"persons": [r["persons"] for r in shown]},
        prefix="phases",
        value_label="persons",
        horizontal=True,
    )
    numbers = table(
        ("phase", "persons", "share of decided"),
        (
            [esc(r["phase"]), cells.count(r["persons"]), cells.percent(r["share_of_decided"])]
            for r in rows
        ),
        cls="numbers",
    )
    caption = "Cohort members by disease phase." + not_drawn((r["persons"] for r in shown), "count")
    return figure("phases", svg, caption, "Persons per disease phase", numbers)


def _switches(frame: pl.DataFrame, cells: Cells) -> str:
    rows = list(frame.sort("year", "transition").iter_rows(named=True))
    years = [str(y) for y in dict.fromkeys(r["year"] for r in rows)]
    kinds = list(dict.fromkeys(r["transition"] for r in rows))
    episodes = {(str(r["year"]), r["transition"]): r["episodes"] for r in rows}
    svg = charts.bars(
        years,
        {k: [episodes.get((y, k)) for y in years] for k in kinds},
        prefix="switch",
        value_label="switch episodes",
    )
    numbers = table(
        ("year", "transition", "episodes", "persons"),
        (
            [
                str(r["year"]),
                esc(r["transition"]),
                cells.count(r["episodes"]),
                cells.count(r["persons"]),
            ]
            for r in rows
        ),
        cls="numbers",
    )
    caption = "Switch episodes per year and type." + not_drawn(episodes.values(), "count")
    return figure("switch_types", svg, caption, "Switch episodes per year and type", numbers)


def _retreatment(frame: pl.DataFrame, cells: Cells) -> str:
    return "<h3>Retreatment after courses</h3>" + table(
        (
            "class",
            "course",
            "persons",
            "next course",
            "next line",
            "no next treatment",
            "share retreated",
        ),
        (
            [
                esc(r["class"]),
                str(r["course_number"]),
                cells.count(r["persons"]),
                cells.count(r["next_course"]),
                cells.count(r["next_line"]),
                cells.count(r["no_next_treatment"]),
                cells.percent(r["share_retreated"]),
            ]
            for r in frame.iter_rows(named=True)
        ),
        cls="numbers",
    )


def render(run: RunOutputs, cells: Cells) -> str | None:
    makers = (
        ("pathways.parquet", "Treatment pathways", _pathways),
        ("exposed_at.parquet", "Exposure on given days", _exposed),
        ("retreatment.parquet", None, _retreatment),
        ("phases.parquet", "Disease phases", _phases),
        ("switch_types_by_year.parquet", "Switch types by year", _switches),
    )
    parts = []
    for file, title, make in makers:
        frame = run.table(file)
        if frame is not None:
            parts.append((f"<h3>{esc(title)}</h3>" if title else "") + make(frame, cells))
    if not parts:
        return None
    return section("treatments", "6. Treatments", "".join(parts) + cells.legend())
