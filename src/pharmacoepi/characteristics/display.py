"""Table 1 on a terminal: the masked characteristics.parquet as build-cohort wrote it, the
overall column and the first stratum's levels, with its SMD when it has two levels.
Masked cells read "masked", as in the attrition."""

from __future__ import annotations

import polars as pl
from rich.table import Table
from rich.text import Text

MASKED = "masked"


def _cell(r: dict) -> str:
    if r["kind"] == "continuous":
        if r["mean"] is None:
            return MASKED
        sd = "" if r["sd"] is None else f" ({r['sd']:.1f})"
        return f"{r['mean']:.1f}{sd}"
    if r["n"] is None:
        return MASKED
    # a level whose persons are masked shows no percent (n / percent would give them)
    share = "" if r["percent"] is None else f" ({r['percent']:.1f}%)"
    return f"{r['n']:,}{share}"


def table1(frame: pl.DataFrame, title: str) -> Table:
    strata = [s for s in frame["stratum"].unique(maintain_order=True) if s != "overall"]
    first = strata[0] if strata else None
    columns = [("overall", "all")]
    if first:
        levels = frame.filter(pl.col("stratum") == first)["level"].unique(maintain_order=True)
        columns += [(first, lv) for lv in levels]
    with_smd = first is not None and len(columns) == 3
    table = Table(title=title, title_justify="left")
    table.add_column("characteristic")
    for stratum, level in columns:
        persons = frame.filter((pl.col("stratum") == stratum) & (pl.col("level") == level))
        n = persons["persons"][0] if persons.height else None
        head = "overall" if stratum == "overall" else f"{stratum}={level}"
        table.add_column(f"{head}\nN={MASKED if n is None else f'{n:,}'}", justify="right")
    if with_smd:
        table.add_column("SMD", justify="right")
    cells = {(r["stratum"], r["level"], r["feature"], r["window"], r["category"]): r
             for r in frame.iter_rows(named=True)}  # fmt: skip
    overall = frame.filter(pl.col("stratum") == "overall")
    shown_heads = set()
    for r in overall.iter_rows(named=True):
        label = r["feature"] + (f" ({r['window']})" if r["window"] else "")
        if r["kind"] == "categorical":
            if label not in shown_heads:
                shown_heads.add(label)
                smd = cells.get((first, columns[1][1], r["feature"], r["window"], r["category"]))
                table.add_row(Text(label), *[""] * len(columns), *_smd(with_smd, smd))
            label = f"  {r['category']}"
            smd_row = None
        else:
            smd_row = cells.get((first, columns[1][1], r["feature"], r["window"], None))
        key = (r["feature"], r["window"], r["category"])
        values = [_cell(cells[(s, lv, *key)]) if (s, lv, *key) in cells else ""
                  for s, lv in columns]  # fmt: skip
        table.add_row(Text(label), *values, *_smd(with_smd, smd_row))
    return table


def _smd(with_smd: bool, r: dict | None) -> list[str]:
    if not with_smd:
        return []
    if r is None or r["smd"] is None:
        return ["" if r is None else "-"]
    return [f"{r['smd']:.2f}"]
