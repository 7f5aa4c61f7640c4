"""Section 1: what ran, on what, with which rules and versions."""

from __future__ import annotations

from pharmacoepi.report.html import Cells, esc, section, table
from pharmacoepi.report.inputs import RunOutputs


def _short(sha: str | None) -> str:
    return f'<code title="{esc(sha)}">{esc(sha[:12])}</code>' if sha else "not recorded"


def render(run: RunOutputs, cells: Cells) -> str:
    m = run.manifest
    d = m["definition"]
    engine = m.get("engine", {})
    engine_text = engine.get("name", "duckdb")
    if engine.get("version"):
        engine_text += f" {engine['version']}"
    settings = [f"{k} {engine[k]}" for k in ("threads", "memory_limit", "master") if engine.get(k)]
    if settings:
        engine_text += f" ({', '.join(settings)})"
    overrides = d.get("overrides") or {}
    rows = [
        ("Definition", f"{esc(d['name'])}: {esc(run.definition.get('title', ''))}"),
        ("Definition file", f"<code>{esc(d.get('path', ''))}</code>"),
        ("Overrides (--set)", esc(", ".join(f"{k}={v}" for k, v in overrides.items()) or "none")),
        ("Definition hash (resolved)", _short(d.get("resolved_sha256"))),
        ("Codelists", f"{len(m.get('codelists', {}))} (hashes in section 9)"),
        ("Data source and layout", esc(m.get("source", "claims"))),
        ("Data fingerprint", _short(m.get("data_fingerprint"))),
        ("Valid dates", esc(" to ".join(m.get("date_range", [])) or "not recorded")),
        ("Engine", esc(engine_text)),
        ("pharmacoepi version", esc(m.get("pharmacoepi_version", ""))),
        ("Started (UTC)", esc(m.get("started_at", ""))),
        ("Duration", f"{float(m.get('seconds', 0)):,.1f} s"),
        ("Small-cell threshold", f"counts below {cells.min_cell} are masked"),
    ]
    description = run.definition.get("description")
    intro = f"<p>{esc(description)}</p>" if description else ""
    body = table(("", ""), ((f"<th>{esc(k)}</th>", v) for k, v in rows), cls="facts")
    return section("run", "1. Run", intro + body)
