"""HTML building blocks of the report: escaped text, tables whose masked cells read
"< 11" (the run's threshold), figures with their numbers and a text alternative."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pharmacoepi.report.svg import Svg


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


@dataclass(frozen=True)
class Cells:
    """How the report writes numbers of one run (its small-cell threshold)."""

    min_cell: int

    def count(self, value: int | None) -> str:
        """A masked count reads "< 11": fewer than the threshold, or hidden so that a small
        one cannot be recomputed (the legend of each table says both)."""
        if value is None:
            return f'<span class="masked" title="masked: small cell">&lt; {self.min_cell}</span>'
        return f"{value:,}"

    def masked(self) -> str:
        return '<span class="masked" title="masked: derived from a masked count">masked</span>'

    def number(self, value: float | None, digits: int = 1) -> str:
        return self.masked() if value is None else f"{value:,.{digits}f}"

    def percent(self, share: float | None, digits: int = 1) -> str:
        return self.masked() if share is None else f"{100 * share:.{digits}f}%"

    def interval(self, lower: float | None, upper: float | None, digits: int = 1) -> str:
        if lower is None or upper is None:
            return self.masked()
        return f"{lower:,.{digits}f} to {upper:,.{digits}f}"

    def legend(self) -> str:
        return (
            f'<p class="legend">&lt; {self.min_cell}: a count masked because it is below '
            f"{self.min_cell}, or hidden so that such a count cannot be recomputed from the "
            "others; <em>masked</em>: a value computed from a masked count.</p>"
        )


def not_drawn(values, what: str = "value") -> str:
    """The caption's word on the masked values a figure leaves out (never drawn as a
    number), or nothing when none is."""
    hidden = sum(v is None for v in values)
    return f" {hidden} masked {what}(s) are not drawn (see the numbers)." if hidden else ""


def table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], *, cls: str = "", html_headers=False
) -> str:
    """Cells are HTML already (escape text with esc); headers are text, or HTML with
    html_headers (a masked N in a column head); numeric columns align right."""
    head = "".join(f"<th>{h if html_headers else esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def figure(name: str, svg: Svg, caption: str, alt: str, numbers: str) -> str:
    """A figure, its caption, its text alternative (the SVG's title and aria label) and the
    numbers it draws in a details block beside it. A figure with nothing to draw (every
    value masked) is its table."""
    if svg.marks == 0:
        return (
            f'<div class="chart empty" data-figure="{esc(name)}" data-marks="0">'
            f"<p>{caption}</p><p>Every value of this figure is masked: no figure is drawn."
            f"</p>{numbers}</div>"
        )
    labelled = svg.text.replace("<svg", f'<svg role="img" aria-label="{esc(alt)}"', 1).replace(
        ">", f"><title>{esc(alt)}</title>", 1
    )
    return (
        f'<figure class="chart" data-figure="{esc(name)}" data-marks="{svg.marks}">'
        f"{labelled}<figcaption>{caption}</figcaption>"
        f"<details><summary>Numbers of this figure</summary>{numbers}</details></figure>"
    )


def section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{esc(anchor)}"><h2>{esc(title)}</h2>{body}</section>'
