"""Figures as inline SVG, drawn at build time by matplotlib (docs/report.md says why).

Each figure is rendered on its own `Figure` (no pyplot: no global state, no display), with
text kept as text (`svg.fonttype: none`, so it is selectable and small) and no metadata
date (the same outputs give the same page). Marks (a point, a bar, a link) carry a gid
`mark-N`; `inline` turns them into `class="mark"` so the browser test can count them, and
prefixes every other id so that several SVGs inline in one page never share an id.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "pharmacoepi",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,  # grid lines under the bars, not across them
    "grid.color": "#e6e6e6",
    "grid.linewidth": 0.6,
    "axes.edgecolor": "#888888",
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "legend.frameon": False,
}

# Colour-blind safe (Okabe-Ito), in the order series are drawn.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
MASKED = "#9a9a9a"


@dataclass(frozen=True)
class Svg:
    text: str
    marks: int  # how many data marks the figure draws (points, bars, links)


def styled(draw: Callable[..., Svg]) -> Callable[..., Svg]:
    """Draw inside the report's style (axes take rcParams when they are created)."""

    @functools.wraps(draw)
    def wrapper(*args, **kwargs) -> Svg:
        with matplotlib.rc_context(STYLE):
            return draw(*args, **kwargs)

    return wrapper


def new_figure(
    width: float = 6.4, height: float = 3.2, layout: str | None = "constrained"
) -> Figure:
    with matplotlib.rc_context(STYLE):
        return Figure(figsize=(width, height), layout=layout)


def render(fig: Figure, marks: int, prefix: str) -> Svg:
    buffer = io.StringIO()
    with matplotlib.rc_context(STYLE):
        FigureCanvasSVG(fig).print_svg(buffer, metadata={"Date": None, "Creator": None})
    return Svg(inline(buffer.getvalue(), prefix), marks)


_ID = re.compile(r'id="([^"]+)"')
_REF = re.compile(r'(url\(#|href="#)([^")]+)')


def inline(svg: str, prefix: str) -> str:
    """The SVG document made fit to paste in HTML: no XML prolog or doctype, marks as a
    class, ids unique to this figure."""
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)  # RDF: not needed
    svg = re.sub(r'<g id="mark-\d+">', '<g class="mark">', svg)
    svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = _REF.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)
    # width and height stay (the figure's size in pt): the page's CSS only shrinks it
    return svg
