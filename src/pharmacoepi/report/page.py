"""The page: a header, a contents list, the sections present, one inline stylesheet and
one inline script (opening the number tables when printing). No external resource of any
kind: fonts are the reader's system sans-serif."""

from __future__ import annotations

import re

from pharmacoepi.report.html import esc

CSS = """
:root { --ink: #1d1d1f; --muted: #5f6368; --rule: #d9d9de; --accent: #0072B2; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
  color: var(--ink); margin: 0; background: #f6f6f8; }
main { max-width: 1060px; margin: 0 auto; padding: 24px 32px 64px; background: #fff; }
header h1 { font-size: 24px; margin: 0 0 4px; }
header p { color: var(--muted); margin: 0 0 12px; }
nav ol { columns: 3; margin: 8px 0 24px; padding-left: 20px; color: var(--muted); }
nav a { color: var(--accent); text-decoration: none; }
section { border-top: 2px solid var(--rule); padding-top: 8px; margin-top: 32px; }
h2 { font-size: 19px; margin: 8px 0 12px; }
h3 { font-size: 15px; margin: 20px 0 8px; }
table { border-collapse: collapse; margin: 8px 0 12px; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; border-bottom: 1px solid #ececf0; vertical-align: top; }
thead th { border-bottom: 1.5px solid var(--ink); text-align: left; font-weight: 600; }
table.numbers td + td, table.table1 td + td, table.at-risk td + td { text-align: right; }
table.facts th { text-align: left; font-weight: 600; color: var(--muted); padding-right: 24px; }
table.facts thead { display: none; }
table.table1 { width: 100%; }
.indent { padding-left: 18px; display: inline-block; }
.masked { color: #8a5a00; white-space: nowrap; }
.legend { color: var(--muted); font-size: 12.5px; }
figure.chart { margin: 12px 0 20px; break-inside: avoid; }
figure.chart svg { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; max-width: 760px; }
details { margin: 6px 0; }
summary { cursor: pointer; color: var(--accent); }
pre.yaml { background: #f6f6f8; padding: 12px; font-size: 12px; overflow-x: auto; }
.flow { display: flex; flex-direction: column; align-items: flex-start; margin: 8px 0; }
.flow .box { border: 1.5px solid var(--accent); border-radius: 4px; padding: 6px 12px;
  min-width: 360px; max-width: 620px; background: #f3f8fc; }
.flow .box .persons { display: block; font-weight: 700; font-size: 15px; }
.flow .box .what { display: block; color: var(--muted); font-size: 13px; }
.flow .arrow { position: relative; height: 34px; margin-left: 40px; border-left: 2px solid #888; }
.flow .arrow::after { content: ""; position: absolute; left: -7px; bottom: -1px;
  border: 6px solid transparent; border-top: 8px solid #888; border-bottom: 0; }
.flow .excluded { position: absolute; left: 16px; top: 8px; white-space: nowrap;
  color: #8a3b00; font-size: 13px; }
footer { color: var(--muted); font-size: 12px; margin-top: 40px; }
@media print {
  body { background: #fff; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  section { break-before: page; border-top: 0; margin-top: 0; }
  section#run { break-before: auto; }
  table, .flow .box { break-inside: avoid; }
  summary { color: var(--ink); }
}
"""

# Number tables sit in closed <details> on screen; printed, they are open.
SCRIPT = (
    "window.addEventListener('beforeprint',function(){"
    "document.querySelectorAll('details').forEach(function(d){d.open=true;});});"
)


def page(title: str, subtitle: str, sections: list[str], footer: str) -> str:
    toc = "".join(
        f'<li><a href="#{anchor}">{esc(re.sub(r"^[0-9]+[.] ", "", heading))}</a></li>'
        for anchor, heading in (_heading(s) for s in sections)
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>"
        f"<header><h1>{esc(title)}</h1><p>{esc(subtitle)}</p></header>"
        f'<nav aria-label="contents"><ol>{toc}</ol></nav>'
        + "".join(sections)
        + f"<footer>{footer}</footer></main><script>{SCRIPT}</script></body></html>\n"
    )


def _heading(section: str) -> tuple[str, str]:
    match = re.match(r'<section id="([^"]+)"><h2>([^<]+)</h2>', section)
    assert match, "every section starts with its anchor and title"
    return match.group(1), match.group(2)
