"""The report's four kinds of figure: estimates with CIs, curves with CI bands, bars, and
the sankey of treatment lines. Each takes plain numbers (None: masked) and returns an
inline SVG; a masked value is never drawn as a number: it is left out, and the caption
(written by the section) says how many were.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path
from matplotlib.ticker import FuncFormatter

from pharmacoepi.report.svg import MASKED, PALETTE, Svg, new_figure, render, styled


@dataclass(frozen=True)
class Estimate:
    category: str  # where it sits on the categorical axis
    series: str
    value: float | None
    lower: float | None
    upper: float | None

    @property
    def shown(self) -> bool:
        return self.value is not None


def _percent(axis) -> None:
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))


@styled
def estimates(
    points: Sequence[Estimate],
    *,
    prefix: str,
    value_label: str,
    horizontal: bool = False,
    log: bool = False,
    reference: float | None = None,
    height: float | None = None,
) -> Svg:
    """Points with confidence intervals on a categorical axis, one colour per series
    (dodged side by side). horizontal: categories down the page (a forest plot)."""
    categories = list(dict.fromkeys(p.category for p in points))
    series = list(dict.fromkeys(p.series for p in points))
    rows = len(categories)
    wide = not horizontal and rows > 12  # 5-year age bands: room for every label
    fig = new_figure(
        8.0 if wide else 6.4, height or (max(2.0, 0.32 * rows + 1.0) if horizontal else 3.0)
    )
    ax = fig.add_subplot()
    dodge = 0.5 / max(len(series), 1)
    marks = 0
    for s_index, name in enumerate(series):
        colour = PALETTE[s_index % len(PALETTE)]
        offset = (s_index - (len(series) - 1) / 2) * dodge if len(series) > 1 else 0.0
        for p in (p for p in points if p.series == name and p.shown):
            at = categories.index(p.category) + offset
            low = p.value - p.lower if p.lower is not None else 0.0
            high = p.upper - p.value if p.upper is not None else 0.0
            args = {"fmt": "o", "color": colour, "markersize": 4, "capsize": 2, "lw": 1}
            if horizontal:
                drawn = ax.errorbar([p.value], [at], xerr=[[low], [high]], **args)
            else:
                drawn = ax.errorbar([at], [p.value], yerr=[[low], [high]], **args)
            marks += 1
            drawn.lines[0].set_gid(f"mark-{marks}")
        ax.plot([], [], "o", color=colour, label=name)
    ticks = range(rows)
    if horizontal:
        ax.set_yticks(ticks, categories)
        ax.invert_yaxis()
        ax.set_xlabel(value_label)
        ax.grid(axis="y", visible=False)
    else:
        ax.set_xticks(
            ticks, categories, rotation=45 if rows > 8 else 0, ha="right" if rows > 8 else "center"
        )
        ax.set_ylabel(value_label)
        ax.grid(axis="x", visible=False)
    if log:
        (ax.set_xscale if horizontal else ax.set_yscale)("log")
        # plain numbers (0.5, 1, 2), not powers of ten: a hazard ratio reads as a ratio
        plain = FuncFormatter(lambda v, _: f"{v:g}")
        axis = ax.xaxis if horizontal else ax.yaxis
        axis.set_major_formatter(plain)
        axis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    elif marks:
        # a band with little person-time has a CI many times its rate: the axis stops at
        # three times the largest estimate (the numbers beside give every limit)
        top = 3 * max(p.value for p in points if p.shown)
        if top > 0 and any((p.upper or 0) > top for p in points if p.shown):
            (ax.set_xlim if horizontal else ax.set_ylim)(0, top)
    if reference is not None:
        (ax.axvline if horizontal else ax.axhline)(reference, color="#555555", lw=0.8, ls="--")
    if len(series) > 1:
        ax.legend(loc="best", fontsize=8)
    return render(fig, marks, prefix)


@dataclass(frozen=True)
class CurvePoint:
    x: float
    y: float | None
    lower: float | None
    upper: float | None


@styled
def curves(
    lines: dict[str, Sequence[CurvePoint]],
    *,
    prefix: str,
    x_label: str,
    y_label: str,
    percent: bool = True,
    from_zero: bool = True,
) -> Svg:
    """One line per series through its shown points, with its CI band; a masked point
    breaks the line (no value is interpolated across it). from_zero: each line starts at
    0 on day 0 (a cumulative incidence), drawn but not a mark (it is no estimate)."""
    fig = new_figure(6.4, 3.0)
    ax = fig.add_subplot()
    marks = 0
    for index, (name, shown) in enumerate(lines.items()):
        colour = PALETTE[index % len(PALETTE)]
        points = [CurvePoint(0, 0.0, 0.0, 0.0), *shown] if from_zero else list(shown)
        xs = np.array([p.x for p in points], dtype=float)
        ys = np.array([np.nan if p.y is None else p.y for p in points], dtype=float)
        lo = np.array([np.nan if p.lower is None else p.lower for p in points], dtype=float)
        hi = np.array([np.nan if p.upper is None else p.upper for p in points], dtype=float)
        ax.fill_between(xs, lo, hi, color=colour, alpha=0.18, lw=0, where=~np.isnan(lo))
        ax.plot(xs, ys, color=colour, lw=1.4, label=name)
        for x, y in zip(xs[1:] if from_zero else xs, ys[1:] if from_zero else ys, strict=True):
            if not np.isnan(y):
                marks += 1
                (dot,) = ax.plot([x], [y], "o", color=colour, markersize=3.5)
                dot.set_gid(f"mark-{marks}")
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    if percent:
        _percent(ax.yaxis)
    if len(lines) > 1:
        ax.legend(loc="best", fontsize=8)
    return render(fig, marks, prefix)


@styled
def bars(
    categories: Sequence[str],
    series: dict[str, Sequence[float | None]],
    *,
    prefix: str,
    value_label: str,
    horizontal: bool = False,
    percent: bool = False,
) -> Svg:
    """Grouped bars (one colour per series); a masked bar is not drawn."""
    rows = len(categories)
    fig = new_figure(6.4, max(2.0, 0.3 * rows + 0.9) if horizontal else 3.0)
    ax = fig.add_subplot()
    width = 0.8 / max(len(series), 1)
    marks = 0
    legend: list[Patch] = []  # an empty bar has no colour to show in a legend
    for s_index, (name, values) in enumerate(series.items()):
        offset = (s_index - (len(series) - 1) / 2) * width
        for c_index, value in enumerate(values):
            if value is None:
                continue
            marks += 1
            draw = ax.barh if horizontal else ax.bar
            (bar,) = draw(c_index + offset, value, width * 0.92, color=PALETTE[s_index % 8])
            bar.set_gid(f"mark-{marks}")
        legend.append(Patch(color=PALETTE[s_index % 8], label=name))
    if horizontal:
        ax.set_yticks(range(rows), categories)
        ax.invert_yaxis()
        ax.set_xlabel(value_label)
        ax.grid(axis="y", visible=False)
        if percent:
            _percent(ax.xaxis)
    else:
        ax.set_xticks(range(rows), categories)
        ax.set_ylabel(value_label)
        ax.grid(axis="x", visible=False)
        if percent:
            _percent(ax.yaxis)
    if len(series) > 1:
        ax.legend(handles=legend, loc="best", fontsize=8)
    return render(fig, marks, prefix)


@dataclass(frozen=True)
class Link:
    from_line: int  # the line the transition leaves
    source: str
    target: str
    persons: int | None  # None: masked


@styled
def sankey(links: Sequence[Link], *, prefix: str) -> Svg:
    """Treatment lines as columns (line k, line k + 1, ...), regimens as boxes, a ribbon
    per transition as wide as its persons. A masked transition is a dotted hairline of
    fixed width: it says the path exists, not how many took it."""
    nodes: dict[tuple[int, str], dict[str, float]] = {}
    for link in links:
        for key in ((link.from_line, link.source), (link.from_line + 1, link.target)):
            nodes.setdefault(key, {"in": 0.0, "out": 0.0})
        nodes[(link.from_line, link.source)]["out"] += link.persons or 0
        nodes[(link.from_line + 1, link.target)]["in"] += link.persons or 0
    columns = sorted({line for line, _ in nodes})
    largest = (
        max(
            (
                sum(max(v["in"], v["out"]) for (c, _), v in nodes.items() if c == col)
                for col in columns
            ),
            default=1.0,
        )
        or 1.0
    )
    fig = new_figure(6.8, 3.6, layout=None)
    ax = fig.add_axes((0.02, 0.08, 0.96, 0.86))
    ax.set_axis_off()
    gap, floor, scale = 0.04, 0.012, 0.8 / largest  # floor: a box with only masked links
    placed: dict[tuple[int, str], list[float]] = {}  # [bottom, top, out cursor, in cursor]
    for col in columns:
        top = 1.0
        for (c, name), v in sorted(nodes.items(), key=lambda kv: -max(kv[1].values())):
            if c != col:
                continue
            size = max(max(v["in"], v["out"]) * scale, floor)
            placed[(c, name)] = [top - size, top, top, top]
            ax.add_patch(_box(col, top - size, size))
            ax.text(col + 0.04, top - size / 2, name, va="center", fontsize=7.5)
            top -= size + gap
    marks = 0
    for link in sorted(links, key=lambda k: -(k.persons or 0)):
        source, target = (
            placed[(link.from_line, link.source)],
            placed[(link.from_line + 1, link.target)],
        )
        width = (link.persons or 0) * scale
        y0, y1 = source[2], target[3]
        source[2] -= width
        target[3] -= width
        patch = _ribbon(link.from_line + 0.02, y0, link.from_line + 0.98, y1, width)
        if link.persons is None:
            patch.set(facecolor="none", edgecolor=MASKED, linestyle=":", lw=0.8)
        else:
            marks += 1
            patch.set(facecolor=PALETTE[columns.index(link.from_line) % 8], alpha=0.45, lw=0)
            patch.set_gid(f"mark-{marks}")
        ax.add_patch(patch)
    for col in columns:
        ax.text(col, 1.03, f"line {col}", ha="left", fontsize=8.5, weight="bold")
    ax.set_xlim(columns[0] - 0.05, columns[-1] + 0.6)
    ax.set_ylim(min((p[0] for p in placed.values()), default=0) - 0.02, 1.08)
    return render(fig, marks, prefix)


def _box(x: float, bottom: float, height: float) -> PathPatch:
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.02, bottom), 0.04, height, facecolor="#444444", lw=0)


def _ribbon(x0: float, y0: float, x1: float, y1: float, width: float) -> PathPatch:
    """A band from (x0, y0 - width..y0) to (x1, y1 - width..y1), curved as a sankey link."""
    mid = (x0 + x1) / 2
    codes = [
        Path.MOVETO,
        Path.CURVE4,
        Path.CURVE4,
        Path.CURVE4,
        Path.LINETO,
        Path.CURVE4,
        Path.CURVE4,
        Path.CURVE4,
        Path.CLOSEPOLY,
    ]
    vertices = [
        (x0, y0),
        (mid, y0),
        (mid, y1),
        (x1, y1),
        (x1, y1 - width),
        (mid, y1 - width),
        (mid, y0 - width),
        (x0, y0 - width),
        (x0, y0),
    ]
    return PathPatch(Path(vertices, codes))
