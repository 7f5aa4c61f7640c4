"""Section 3: Table 1 from characteristics.parquet: one table per stratum, the overall
column first, then each level, then the standardized mean differences (vs the other
level of a two-level stratum, or each level vs the rest)."""

from __future__ import annotations

import polars as pl

from pharmacoepi.report.html import Cells, esc, section, table
from pharmacoepi.report.inputs import RunOutputs

Key = tuple[str, str | None, str | None]  # feature, window, category


def _label(feature: str, window: str | None) -> str:
    name = feature.replace("_", " ")
    return esc(name + (f" ({window.replace('_', ' ')})" if window else ""))


def _value(r: dict | None, cells: Cells) -> list[str]:
    """The cell(s) of one characteristic in one column: n (%), or mean (SD) and
    median [Q1, Q3] for a continuous one."""
    if r is None:
        return [""]
    if r["kind"] == "continuous":
        if r["mean"] is None:
            return [cells.masked(), cells.masked()]
        sd = "" if r["sd"] is None else f" ({r['sd']:.1f})"
        quartiles = "" if r["q1"] is None else f" [{r['q1']:.1f}, {r['q3']:.1f}]"
        median = cells.masked() if r["median"] is None else f"{r['median']:.1f}{quartiles}"
        return [f"{r['mean']:.1f}{sd}", median]
    share = "" if r["percent"] is None or r["n"] is None else f" ({r['percent']:.1f}%)"
    return [cells.count(r["n"]) + share]


def _smd(r: dict | None) -> str:
    if r is None:
        return ""
    return "-" if r["smd"] is None else f"{r['smd']:.2f}"


def _stratum_table(frame: pl.DataFrame, stratum: str, cells: Cells) -> str:
    rows_by = {
        (r["stratum"], r["level"], r["feature"], r["window"], r["category"]): r
        for r in frame.iter_rows(named=True)
    }
    overall = frame.filter(pl.col("stratum") == "overall")
    levels = frame.filter(pl.col("stratum") == stratum)["level"].unique(maintain_order=True)
    if stratum == "overall":  # no strata: one column, no SMD
        levels = levels.clear()
    columns = [("overall", "all"), *((stratum, lv) for lv in levels)]
    smd_levels = list(levels[:1]) if len(levels) == 2 else list(levels)
    heads = ["characteristic"]
    for s, lv in columns:
        persons = frame.filter((pl.col("stratum") == s) & (pl.col("level") == lv))["persons"]
        name = "overall" if s == "overall" else f"{stratum.replace('_', ' ')} = {lv}"
        heads.append(f"{esc(name)} (N = {cells.count(persons[0]) if persons.len() else ''})")
    for lv in smd_levels:
        ref = frame.filter((pl.col("stratum") == stratum) & (pl.col("level") == lv))
        heads.append(esc(f"SMD {lv} vs {ref['smd_reference'][0] if ref.height else 'rest'}"))
    out, seen = [], set()
    for r in overall.iter_rows(named=True):
        key: Key = (r["feature"], r["window"], r["category"])
        head = (r["feature"], r["window"])
        smds = [_smd(rows_by.get((stratum, lv, *key))) for lv in smd_levels]
        if r["kind"] == "categorical":
            if head not in seen:
                seen.add(head)
                out.append([f"<strong>{_label(*head)}</strong>", *[""] * len(columns), *smds])
            smds = [""] * len(smd_levels)
            label = f'<span class="indent">{esc(r["category"])}</span>'
        else:
            label = _label(*head) + (", n (%)" if r["kind"] == "binary" else "")
        values = [_value(rows_by.get((s, lv, *key)), cells) for s, lv in columns]
        if r["kind"] == "continuous":
            out.append([label + ", mean (SD)", *[v[0] for v in values], *smds])
            out.append(
                [
                    '<span class="indent">median [Q1, Q3]</span>',
                    *[v[-1] for v in values],
                    *[""] * len(smd_levels),
                ]
            )
        else:
            out.append([label, *[v[0] for v in values], *smds])
    return table(heads, out, cls="table1", html_headers=True)


def render(run: RunOutputs, cells: Cells) -> str | None:
    frame = run.table("characteristics.parquet")
    if frame is None:
        return None
    strata = [s for s in frame["stratum"].unique(maintain_order=True) if s != "overall"]
    parts = []
    for stratum in strata or ["overall"]:
        title = "overall" if stratum == "overall" else f"by {stratum.replace('_', ' ')}"
        parts.append(f"<h3>Table 1 {esc(title)}</h3>{_stratum_table(frame, stratum, cells)}")
    windows = (run.definition.get("characteristics") or {}).get("windows") or {}
    said = "; ".join(
        f"{esc(n)}: days {('observation start' if a is None else a)} to {b} from index, inclusive"
        for n, (a, b) in windows.items()
    )
    note = (
        '<p class="legend">SMD: standardized mean difference (|SMD| above 0.1 is the usual '
        "mark of imbalance); a categorical characteristic has one SMD over its categories. "
        f"Windows: {said or 'none'}.</p>"
    )
    return section(
        "table1", "3. Baseline characteristics (Table 1)", "".join(parts) + note + cells.legend()
    )
