"""The synthetic population written as native SNDS tables (`pharmacoepi synth --layout snds`).

The claims layout is generated as usual, then converted with DuckDB; ground_truth/ is kept
as is, so both layouts describe the same persons, events and truth. What SNDS cannot
hold is left out (outpatient diagnoses: SNDS records none), and what the SNDS adapter must
discard is added on top, never in place of a real record (docs/sources.md, SNDS):

- every coverage segment of a person is one pseudonym (BEN_NIR_PSA) under one BEN_IDT_ANO
  (the claims person_id as text), inserted at the segment's start (BEN_DTE_INS) with its
  last processed claim at the segment's end (MAX_TRT_DTD); each claim uses the pseudonym
  of the segment holding its date;
- ~1% of community lines get a copy and its reversal (negative PHA_ACT_QSN), ~0.5% an
  information copy (DPN_QLF 71);
- for ~0.5% of persons ("junk persons"), three extra PMSI stays coded D69.3 with a
  splenectomy act and IVIg: one with a return code other than 0, one with a placeholder
  NIR_ANO_17, one in error GHM 90; an unmatched reversal; an ALD row of a non-ALD
  exoneration.

Hospital drugs dated within one of the person's stays go to that stay's T_MCOaaMED
(DELAI = days from admission); the others are retroceded drugs (ER_UCD_F).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa

from pharmacoepi.synth.snds_conventions import PLACEHOLDER_IDS, RETURN_CODES

from . import snds_sql as q
from .writer import table_files

CLAIMS = ("persons", "observation_periods", "diagnoses", "dispensings", "procedures")


def _ean13(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _pharmacy_referential(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """IR_PHA_R: each community CIP13 with its ATC; each hospital UCD13 as the UCD of a
    hospital presentation (a CIP13 built from the UCD's digits, PHA_CIP_UCD = the UCD)."""
    community = con.sql(q.PRODUCTS, params={"setting": "community"}).fetchall()
    hospital = con.sql(q.PRODUCTS, params={"setting": "hospital"}).fetchall()
    cip = [int(code) for code, _ in community]
    atc = [a for _, a in community]
    ucd: list[str | None] = [None] * len(cip)
    for code, a in hospital:
        presentation = int(_ean13("340096" + code[6:12]))
        if presentation in cip:
            raise ValueError(f"hospital presentation CIP13 {presentation} collides")
        cip.append(presentation)
        atc.append(a)
        ucd.append(code)
    return pa.table(
        {
            "PHA_CIP_C13": pa.array(cip, pa.int64()),
            "PHA_ATC_C07": pa.array(atc, pa.string()),
            "PHA_CIP_UCD": pa.array(ucd, pa.string()),
        }
    )


def write_snds_tables(claims_dir: Path, out_dir: Path) -> dict[str, int]:
    """Convert the claims tables of `claims_dir` into SNDS tables in `out_dir`; returns the
    row count of each file and of each injected problem."""
    con = duckdb.connect()
    try:
        for name in (*CLAIMS, "hospital_stays"):
            # paths reach DuckDB as arguments, never as SQL text
            files = [str(f) for f in table_files(claims_dir, name)]
            con.read_parquet(files).create_view(f"claims_{name}")
        params = {
            "placeholders": list(PLACEHOLDER_IDS),
            "return_codes": len(RETURN_CODES),
        }
        for statement in q.PREPARE:
            con.execute(statement, {k: v for k, v in params.items() if f"${k}" in statement})
        counts: dict[str, int] = {}
        referential = _pharmacy_referential(con)
        con.register("ir_pha_r", referential)
        tables = {
            "IR_BEN_R": q.IR_BEN_R,
            "ER_PRS_F": q.ER_PRS_F,
            "ER_PHA_F": q.ER_PHA_F,
            "ER_UCD_F": q.ER_UCD_F,
            "IR_PHA_R": "SELECT * FROM ir_pha_r ORDER BY PHA_CIP_C13",
            "IR_IMB_R": q.IR_IMB_R,
        }
        for name, sql in tables.items():
            counts[name] = _copy(con, sql, out_dir / f"{name}.parquet", {})
        years = [r[0] for r in con.sql("SELECT DISTINCT yy FROM pmsi_stays ORDER BY 1").fetchall()]
        for yy in years:
            for suffix, sql in q.PMSI.items():
                name = f"T_MCO{yy:02d}{suffix}"
                counts[name] = _copy(con, sql, out_dir / f"{name}.parquet", {"yy": yy})
        for problem, sql in q.INJECTED.items():
            counts[f"injected:{problem}"] = con.sql(sql).fetchall()[0][0]
        return counts
    finally:
        con.close()


def _copy(con: duckdb.DuckDBPyConnection, sql: str, path: Path, params: dict) -> int:
    con.sql(sql, params=params or None).write_parquet(str(path), compression="zstd")
    return con.read_parquet(str(path)).aggregate("count(*)").fetchall()[0][0]


def generate_snds_dataset(
    config, out: Path, progress: Callable[[int, int], None] | None = None
) -> tuple[dict, dict[str, int]]:
    """Generate the synthetic population in the claims layout inside the staging folder,
    convert it, keep ground_truth/ (with the census), and drop the claims tables."""
    from pharmacoepi.outputs.write import atomic_output_dir, write_json

    from .census import write_census
    from .generate import generate

    with atomic_output_dir(out, "synth") as staging:
        claims = staging / "claims-layout"
        summary = generate(config, claims, progress=progress)
        truth = claims / "ground_truth"
        write_census(claims, config.start, config.end, truth / "population.csv")
        counts = write_snds_tables(claims, staging)
        truth.rename(staging / "ground_truth")
        shutil.rmtree(claims)
        write_json(staging / "ground_truth" / "snds_layout.json", {"row_counts": counts})
    return summary, counts


def read_layout_counts(data_dir: Path) -> dict[str, int]:
    """The row counts a `--layout snds` dataset recorded (files and injected problems)."""
    path = data_dir / "ground_truth" / "snds_layout.json"
    return json.loads(path.read_text())["row_counts"]


def summarise_counts(counts: dict[str, int]) -> dict[str, int]:
    """Rows per table, the yearly PMSI files summed (T_MCOaaB ...), problems left out."""
    out: dict[str, int] = {}
    for name, rows in counts.items():
        if name.startswith("injected:"):
            continue
        key = f"T_MCOaa{name[7:]}" if name.startswith("T_MCO") else name
        out[key] = out.get(key, 0) + rows
    return out
