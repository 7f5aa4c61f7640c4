"""The FAITH cohort built from a tiny SNDS extract typed as the official schema types it,
whose persons each meet one convention of real extracts (docs/sources.md, "SNDS
conventions"): the expected cohort members and index dates are written here, and the
same extract exported as SAS CSV text gives the same cohort. Before these conventions
were read, 6 of these persons came out wrong (cases lost, a fictitious identifier kept,
index dates moved) and the CSV export gave an empty cohort."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from tests.cli import run_cli
from tests.sources import snds_extract
from tests.sources.test_snds_real_extracts import (
    ALIVE,
    beneficiary,
    claim,
    pharmacy,
    stay_b,
    stay_c,
)

D = dt.date
PREDNISONE = (3400930000011, 3000011)  # CIP13, CIP7 (IR_PHA_R: H02AB07)
LEGAL_APHP, GEOGRAPHIC_APHP = 750712184, 750100018


def _stay(rsa: int, psa: str, day: dt.date, **b_changes) -> tuple[dict, dict]:
    eta = b_changes.pop("ETA_NUM", 10780054)
    return (
        stay_b(rsa, ETA_NUM=eta, SOR_ANN=day.year, SOR_MOI=f"{day.month:02d}", **b_changes),
        stay_c(rsa, psa, day, day + dt.timedelta(days=4), ETA_NUM=eta),
    )


def extract(folder: Path, fmt: str) -> Path:
    persons = {
        # A: inserted before 2012 (BEN_DTE_INS 1600-01-01): covered since the history start
        "A": {"BEN_DTE_INS": ALIVE},
        # B: prednisone on a CIP7-only line, 10 days before the stay: the diagnosis date
        "B": {"BEN_DTE_INS": ALIVE},
        # C: D69.3 as an associated diagnosis of a stay whose FINESS begins with 0
        "C": {"BEN_DTE_INS": D(2007, 1, 1)},
        # E: a stay of November 2008 (no EXE_SOI_DTD then: 2008-11-13 to 15) in the washout
        # of the 2010 one: prevalent
        "E": {"BEN_DTE_INS": ALIVE},
        # G: prednisone sent for information only (PRS_DPN_QLP 71): no back-dating
        "G": {"BEN_DTE_INS": ALIVE},
        # H: archived (IR_BEN_R_ARC), died in 2012
        "H": {"BEN_DTE_INS": ALIVE, "BEN_DCD_DTE": D(2012, 3, 1), "MAX_TRT_DTD": D(2012, 2, 1)},
        # I: its stay sent twice by AP-HP (geographic and legal FINESS): one stay
        "I": {"BEN_DTE_INS": ALIVE},
        # K: a child (born 2000): not an adult
        "K": {"BEN_DTE_INS": ALIVE, "BEN_NAI_ANN": 2000},
    }
    rows = {n: beneficiary(f"PSA_{n}", n, **c) for n, c in persons.items()}
    # F: a fictitious identifier (BEN_CDI_NIR 03) with an ALD for ITP: not a person
    fictitious = beneficiary("PSA_F", "F", BEN_CDI_NIR="03", BEN_DTE_INS=ALIVE)
    b_rows, c_rows = zip(
        _stay(1, "PSA_A", D(2010, 6, 1)),
        _stay(2, "PSA_B", D(2010, 6, 1)),
        _stay(3, "PSA_C", D(2010, 3, 1), DGN_PAL="K922"),
        _stay(5, "PSA_E", D(2010, 9, 1)),
        _stay(6, "PSA_G", D(2010, 6, 1)),
        _stay(7, "PSA_H", D(2010, 2, 1)),
        _stay(8, "PSA_I", D(2010, 10, 1), ETA_NUM=GEOGRAPHIC_APHP),
        _stay(8, "PSA_I", D(2010, 10, 1), ETA_NUM=LEGAL_APHP),
        _stay(9, "PSA_K", D(2010, 6, 1)),
        strict=True,
    )
    cip13, cip7 = PREDNISONE
    tables = {
        "IR_BEN_R": [r for n, r in rows.items() if n != "H"] + [fictitious],
        "IR_BEN_R_ARC": [rows["H"]],
        "ER_PRS_F": [
            claim(1, "PSA_A", D(2010, 5, 20)),
            claim(2, "PSA_B", D(2010, 5, 22)),
            claim(3, "PSA_G", D(2010, 4, 1), PRS_DPN_QLP=71),
        ],
        "ER_PHA_F": [
            pharmacy(1, cip13, 1, cip7),
            pharmacy(2, None, 1, cip7),
            pharmacy(3, cip13, 1, cip7),
        ],
        "IR_PHA_R": [
            {
                "PHA_CIP_C13": cip13,
                "PHA_PRS_IDE": cip7,
                "PHA_CIP_UCD": None,
                "PHA_ATC_C07": "H02AB07",
            },
        ],  # fmt: skip
        "T_MCO10B": list(b_rows),
        "T_MCO10C": list(c_rows),
        "T_MCO10D": [{"ETA_NUM": "010780054", "RSA_NUM": "0000000003", "ASS_DGN": "D693"}],
        "T_MCO08B": [stay_b(4, SOR_ANN=2008, SOR_MOI="11", SEJ_NBJ=2)],
        "T_MCO08C": [
            {k: v for k, v in stay_c(4, "PSA_E", None, None).items() if "EXE_SOI" not in k}
        ],
        "IR_IMB_R": [
            {
                "BEN_NIR_PSA": "PSA_F",
                "BEN_RNG_GEM": 1,
                "MED_MTF_COD": "D693",
                "IMB_ALD_DTD": D(2010, 1, 5),
                "IMB_ALD_DTF": ALIVE,
                "IMB_ETM_NAT": 41,
            },
        ],  # fmt: skip
    }
    for name, table in tables.items():
        snds_extract.write(folder, name, table, fmt)
    return folder


EXPECTED = [
    ("A", D(2010, 5, 20)),  # back-dated to the prednisone
    ("B", D(2010, 5, 22)),  # the CIP7 line is prednisone
    ("C", D(2010, 3, 1)),
    ("G", D(2010, 6, 1)),  # the information copy does not back-date
    ("H", D(2010, 2, 1)),
    ("I", D(2010, 10, 1)),
]  # E prevalent, F not a person, K a child


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_faith_cohort_of_a_schema_typed_extract(tmp_path, fmt):
    data = extract(tmp_path / "data", fmt)
    out = tmp_path / "out"
    result = run_cli(
        "build-cohort", "itp_faith", "--data", data, "--out", out, "--source", "snds", "--quiet"
    )
    assert result.returncode == 0, result.stderr
    cohort = pl.read_parquet(out / "cohort.parquet").sort("person_id")
    got = list(zip(cohort["person_id"].cast(pl.Utf8), cohort["index_date"], strict=True))
    assert got == EXPECTED
    manifest = json.loads((out / "manifest.json").read_text())
    counted = {(p["source_table"], p["problem"]): p["rows"] for p in manifest["source_problems"]}
    assert counted == {
        ("IR_BEN_R", "registered before 2012"): 8,  # A B E G I K, F, H (archived)
        ("IR_BEN_R", "fictitious identifier"): 1,
        ("IR_BEN_R_ARC", "archived beneficiary"): 1,
        ("ER_PHA_F", "CIP7 line"): 1,
        ("ER_PRS_F", "information line"): 1,
        ("T_MCOaaB", "stay dated by month"): 1,
        ("T_MCOaaB", "duplicate FINESS"): 1,
    }
