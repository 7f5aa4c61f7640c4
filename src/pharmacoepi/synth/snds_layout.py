"""The synthetic population written as native SNDS tables (`pharmacoepi synth --layout snds`).

The claims layout is generated as usual, then converted with DuckDB; ground_truth/ is kept
as is, so both layouts describe the same persons, events and truth. What SNDS cannot
hold is left out (outpatient diagnoses: SNDS records none), what SNDS holds less precisely
is written as SNDS holds it, and what the SNDS adapter must discard is added on top, never
in place of a real record (docs/sources.md, SNDS). Types follow the schema (snds_schema).

- every coverage segment of a person is one pseudonym (BEN_NIR_PSA) under one BEN_IDT_ANO
  (the claims person_id as text, BEN_CDI_NIR '00'), inserted at the segment's start
  (BEN_DTE_INS; 1600-01-01 when before 2012, as the referential has it) with its last
  processed claim at the segment's end (MAX_TRT_DTD); each claim uses the pseudonym of the
  segment holding its date; the pseudonyms of persons dead before 2013 are in
  IR_BEN_R_ARC, not IR_BEN_R;
- community lines before 2008 carry the CIP7 (PHA_PRS_IDE) without the CIP13; IR_PHA_R
  maps each CIP7 to its CIP13;
- ~1% of community lines get a copy and its reversal (negative PHA_ACT_QSN), ~0.5% an
  information copy (DPN_QLF or PRS_DPN_QLP 71);
- PMSI files before 2009 have no stay dates (T_MCOaaB SOR_ANN, SOR_MOI, SEJ_NBJ only);
  in-stay drugs go to T_MCOaaMED, or T_MCOaaFH / T_MCOaaMEDATU in the years they exist
  (snds_pmsi.py); T_MCOaaUM repeats each stay's diagnoses;
- for ~0.5% of persons ("junk persons"), three extra PMSI stays coded D69.3 with a
  splenectomy act and IVIg: one with a return code other than 0, one with a placeholder
  NIR_ANO_17, one in error GHM 90; an unmatched reversal; an ALD row of a non-ALD
  exoneration; and a few fictitious beneficiaries (BEN_CDI_NIR other than '00') with
  prednisone and IVIg lines.

Hospital drugs dated within one of the person's stays go to that stay's PMSI drug file
(with the delay from admission); the others are retroceded drugs (ER_UCD_F).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa

from . import snds_conventions as conv
from . import snds_pmsi, snds_sql
from .snds_injected import INJECTED
from .snds_schema import typed
from .writer import table_files

CLAIMS = ("persons", "observation_periods", "diagnoses", "dispensings", "procedures")

# the documented conventions, bound as $parameters of the statements that use them
_PARAMS = {
    "placeholder_ids": list(conv.PLACEHOLDER_IDS),
    "missing_date": conv.MISSING_DATE,
    "insertion_known_from": conv.INSERTION_KNOWN_FROM,
    "normal_nir": conv.NORMAL_NIR,
    "fictitious_nirs": list(conv.FICTITIOUS_NIRS),
    "fictitious_birth_year": conv.FICTITIOUS_BIRTH_YEAR,
    "info_only_qualifier": conv.INFO_ONLY_QUALIFIER,
    "cip13_from": conv.CIP13_FROM,
    "cip7_start": conv.CIP7_DIGITS[0],
    "cip7_length": conv.CIP7_DIGITS[1],
    "archived_before": conv.ARCHIVED_BEFORE,
}


def _params(statement: str, **extra) -> dict | None:
    """The parameters a statement names (DuckDB refuses unused ones)."""
    given = {**_PARAMS, **extra}
    used = {k: v for k, v in given.items() if f"${k}" in statement}
    return used or None


def _ean13(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _cip7(cip13: int) -> int:
    start, length = conv.CIP7_DIGITS
    return int(str(cip13)[start - 1 : start - 1 + length])


def _pharmacy_referential(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """IR_PHA_R: each community CIP13 with its CIP7 and ATC; each hospital UCD13 as the UCD
    of a hospital presentation (a CIP13 built from the UCD's digits, PHA_CIP_UCD = the UCD).
    A CIP7 names one CIP13: a collision would make the CIP7 lines ambiguous."""
    community = con.sql(snds_sql.PRODUCTS, params={"setting": "community"}).fetchall()
    hospital = con.sql(snds_sql.PRODUCTS, params={"setting": "hospital"}).fetchall()
    cip = [int(code) for code, _ in community]
    atc = [a for _, a in community]
    ucd: list[int | None] = [None] * len(cip)
    for code, a in hospital:
        presentation = int(_ean13("340096" + code[6:12]))
        if presentation in cip:
            raise ValueError(f"hospital presentation CIP13 {presentation} collides")
        cip.append(presentation)
        atc.append(a)
        ucd.append(int(code))
    cip7 = [_cip7(c) for c in cip]
    if len(set(cip7)) != len(set(cip)):
        raise ValueError("two CIP13 codes share their CIP7")
    return pa.table(
        {
            "PHA_CIP_C13": pa.array(cip, pa.int64()),
            "PHA_PRS_IDE": pa.array(cip7, pa.int64()),
            "PHA_ATC_C07": pa.array(atc, pa.string()),
            "PHA_CIP_UCD": pa.array(ucd, pa.int64()),
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
        for statement in (*snds_sql.PREPARE, *snds_pmsi.PREPARE):
            con.execute(statement, _params(statement))
        counts: dict[str, int] = {}
        con.register("ir_pha_r", _pharmacy_referential(con))
        tables = {
            "IR_BEN_R": snds_sql.IR_BEN_R,
            "IR_BEN_R_ARC": snds_sql.IR_BEN_R_ARC,
            "ER_PRS_F": snds_sql.ER_PRS_F,
            "ER_PHA_F": snds_sql.ER_PHA_F,
            "ER_UCD_F": snds_sql.ER_UCD_F,
            "IR_PHA_R": "SELECT * FROM ir_pha_r ORDER BY PHA_CIP_C13",
            "IR_IMB_R": snds_sql.IR_IMB_R,
        }
        for name, sql in tables.items():
            counts[name] = _copy(con, sql, name, out_dir / f"{name}.parquet", {})
        years = con.sql("SELECT DISTINCT year FROM pmsi_stays ORDER BY 1").fetchall()
        for (year,) in years:
            for suffix, sql in snds_pmsi.statements(year).items():
                name = f"T_MCO{year % 100:02d}{suffix}"
                path = out_dir / f"{name}.parquet"
                counts[name] = _copy(con, sql, f"T_MCOaa{suffix}", path, {"year": year})
        for problem, sql in INJECTED.items():
            counts[f"injected:{problem}"] = con.sql(sql, params=_params(sql)).fetchall()[0][0]
        return counts
    finally:
        con.close()


def _copy(con: duckdb.DuckDBPyConnection, sql: str, table: str, path: Path, extra: dict) -> int:
    """Write the statement's rows, cast to `table`'s schema types, to `path`."""
    rel = con.sql(sql, params=_params(sql, **extra))
    typed(rel, table).write_parquet(str(path), compression="zstd")
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
