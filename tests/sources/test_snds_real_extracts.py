"""Spec tests of the SNDS adapter on what real extracts do (docs/sources.md, "SNDS
conventions"): tiny extracts typed from the official schema's field types
(tests/sources/snds_extract.py), one test per convention, expected canonical rows and
counts written here."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest

from pharmacoepi.engines.duckdb import DuckDBEngine as Engine
from pharmacoepi.errors import DataError
from pharmacoepi.sources import register_source, source_problems
from tests.sources import snds_extract

D = dt.date
ALIVE = D(1600, 1, 1)  # SNDS's missing date
KEYS = {
    "FLX_DIS_DTD": D(2010, 4, 1),
    "FLX_TRT_DTD": D(2010, 3, 20),
    "FLX_EMT_TYP": 1,
    "FLX_EMT_NUM": 1,
    "FLX_EMT_ORD": 0,
    "ORG_CLE_NUM": "011751000",
    "PRS_ORD_NUM": 1,
    "REM_TYP_AFF": 1,
}
OK_RETURNS = {
    "NIR_RET": False,
    "NAI_RET": "0",
    "SEX_RET": False,
    "SEJ_RET": False,
    "FHO_RET": False,
    "PMS_RET": False,
    "DAT_RET": "0",
}
FINESS = 10780054  # 010780054: a FINESS that begins with 0 (Ain)


def beneficiary(psa: str, person: str, **changes) -> dict:
    row = {
        "BEN_NIR_PSA": psa,
        "BEN_RNG_GEM": 1,
        "BEN_IDT_ANO": person,
        "BEN_CDI_NIR": "00",
        "BEN_SEX_COD": 2,
        "BEN_NAI_ANN": 1960,
        "BEN_NAI_MOI": "03",
        "BEN_DCD_DTE": ALIVE,
        "BEN_DTE_INS": D(2010, 1, 1),
        "MAX_TRT_DTD": D(2014, 12, 31),
        "BEN_DTE_MAJ": D(2010, 1, 1),
    }
    return {**row, **changes}


def claim(n: int, psa: str, day: dt.date, **changes) -> dict:
    row = {
        **KEYS,
        "DCT_ORD_NUM": n,
        "BEN_NIR_PSA": psa,
        "BEN_RNG_GEM": 1,
        "BEN_CDI_NIR": "00",
        "EXE_SOI_DTD": day,
        "DPN_QLF": 0,
        "PRS_DPN_QLP": 0,
    }
    return {**row, **changes}


def pharmacy(n: int, cip13: int | None, boxes: int, cip7: int | None = None) -> dict:
    return {**KEYS, "DCT_ORD_NUM": n, "PHA_PRS_C13": cip13, "PHA_PRS_IDE": cip7,
            "PHA_ACT_QSN": boxes}  # fmt: skip


def stay_b(rsa: int, **changes) -> dict:
    row = {
        "ETA_NUM": FINESS,
        "RSA_NUM": rsa,
        "DGN_PAL": "D693",
        "DGN_REL": None,
        "GRG_GHM": "16M111",
        "GHS_NUM": 1234,
        "SEJ_TYP": None,
        "SEJ_NBJ": 4,
        "SOR_ANN": 2010,
        "SOR_MOI": "06",
    }
    return {**row, **changes}


def stay_c(rsa: int, nir: str, admission: dt.date, discharge: dt.date, **changes) -> dict:
    row = {
        "ETA_NUM": FINESS,
        "RSA_NUM": rsa,
        "NIR_ANO_17": nir,
        "EXE_SOI_DTD": admission,
        "EXE_SOI_DTF": discharge,
        **OK_RETURNS,
    }
    return {**row, **changes}


# One person (P) registered in 2010: a prednisone dispensing and one stay (D69.3) with an
# associated diagnosis, an act and an in-stay drug, the PMSI tables keyed as the schema
# types them (integers in B and C, zero-padded text elsewhere).
BASE = {
    "IR_BEN_R": [beneficiary("PSA_P", "P")],
    "ER_PRS_F": [claim(1, "PSA_P", D(2010, 3, 10))],
    "ER_PHA_F": [pharmacy(1, 3400930000011, 1, 3000011)],
    "IR_PHA_R": [
        {
            "PHA_CIP_C13": 3400930000011,
            "PHA_PRS_IDE": 3000011,
            "PHA_CIP_UCD": None,
            "PHA_ATC_C07": "H02AB07",
        },
        {
            "PHA_CIP_C13": 3400930000035,
            "PHA_PRS_IDE": 3000035,
            "PHA_CIP_UCD": 3400890000017,
            "PHA_ATC_C07": "J06BA02",
        },
    ],  # fmt: skip
    "T_MCO10B": [stay_b(7)],
    "T_MCO10C": [stay_c(7, "PSA_P", D(2010, 6, 1), D(2010, 6, 5))],
    "T_MCO10D": [{"ETA_NUM": "010780054", "RSA_NUM": "0000000007", "ASS_DGN": "R58"}],
    "T_MCO10A": [
        {"ETA_NUM": "010780054", "RSA_NUM": "0000000007", "CDC_ACT": "FFFC001", "ENT_DAT_DEL": 1}
    ],
    "T_MCO10MED": [
        {
            "ETA_NUM": "010780054",
            "RSA_NUM": "0000000007",
            "UCD_UCD_COD": "3400890000017",
            "ADM_NBR": 2.0,
            "DELAI": 1,
        }
    ],  # fmt: skip
}
STAY = f"{FINESS}:10/7"


def extract(folder: Path, changes: dict | None = None, fmt: str = "parquet") -> Path:
    tables = copy.deepcopy(BASE)
    tables.update(changes or {})
    for name, rows in tables.items():
        if rows:
            snds_extract.write(folder, name, rows, fmt)
    return folder


def read(folder: Path, sql: str, **options) -> list[tuple]:
    with Engine() as e:
        register_source(e, "snds", folder, **options)
        return sorted(e.con.sql(sql).fetchall(), key=repr)


def counted(folder: Path, **options) -> dict[tuple[str, str], int]:
    with Engine() as e:
        register_source(e, "snds", folder, **options)
        return {(p["source_table"], p["problem"]): p["rows"] for p in source_problems(e)}


SPANS = (
    "SELECT person_id, CAST(start_date AS DATE), CAST(end_date AS DATE) "
    "FROM raw_observation_periods"
)
DISPENSINGS = (
    "SELECT person_id, date, atc, product_code, setting, CAST(quantity AS DOUBLE) "
    "FROM raw_dispensings"
)
DIAGNOSES = "SELECT person_id, date, code, setting, stay_id FROM raw_diagnoses"
STAYS = (
    "SELECT stay_id, person_id, CAST(admission_date AS DATE), CAST(discharge_date AS DATE) "
    "FROM raw_hospital_stays"
)


def test_the_base_extract_reads_whole(tmp_path):
    folder = extract(tmp_path)
    assert read(folder, STAYS) == [(STAY, "P", D(2010, 6, 1), D(2010, 6, 5))]
    assert read(folder, DIAGNOSES) == [
        ("P", D(2010, 6, 1), "D693", "hospital_primary", STAY),
        ("P", D(2010, 6, 1), "R58", "hospital_associated", STAY),
    ]
    assert read(folder, DISPENSINGS) == [
        ("P", D(2010, 3, 10), "H02AB07", "3400930000011", "community", 1.0),
        ("P", D(2010, 6, 2), "J06BA02", "3400890000017", "hospital", 2.0),
    ]
    assert read(folder, "SELECT person_id, date, code FROM raw_procedures") == [
        ("P", D(2010, 6, 2), "FFFC001")
    ]
    assert counted(folder) == {}


def test_registered_before_2012_is_covered_from_the_start_of_the_history(tmp_path):
    """BEN_DTE_INS 1600-01-01 = inserted before 2012 (CNAM, essentiel_snds.md)."""
    born_2008 = {"BEN_NAI_ANN": 2008, "BEN_NAI_MOI": "05"}
    folder = extract(
        tmp_path,
        {
            "IR_BEN_R": [
                beneficiary("PSA_P", "P", BEN_DTE_INS=ALIVE),
                beneficiary("PSA_K", "K", BEN_DTE_INS=ALIVE, **born_2008),  # not before birth
            ]
        },
    )
    assert read(folder, SPANS) == [
        ("K", D(2008, 5, 15), D(2014, 12, 31)),
        ("P", D(2006, 1, 1), D(2014, 12, 31)),
    ]
    assert read(folder, SPANS, snds_history_start="2005-01-01")[1] == (
        "P",
        D(2005, 1, 1),
        D(2014, 12, 31),
    )
    assert counted(folder) == {("IR_BEN_R", "registered before 2012"): 2}


def test_a_stay_before_2009_is_dated_by_its_discharge_month(tmp_path):
    """T_MCOaaC has no EXE_SOI_DTD/DTF before 2009 (schema-snds dateCreated): discharged
    on the 15th of SOR_MOI/SOR_ANN, admitted SEJ_NBJ days before."""
    folder = extract(
        tmp_path,
        {
            "T_MCO08B": [stay_b(3, SOR_ANN=2008, SOR_MOI="06", SEJ_NBJ=4),
                         stay_b(4, SOR_ANN=2008, SOR_MOI="11", SEJ_NBJ=None)],
            "T_MCO08C": [{k: v for k, v in stay_c(r, "PSA_P", None, None).items()
                          if not k.startswith("EXE_SOI")} for r in (3, 4)],
            "T_MCO08A": [{"ETA_NUM": "010780054", "RSA_NUM": "3", "CDC_ACT": "FFFC001",
                          "ENT_DAT_DEL": 1}],
        },
    )  # fmt: skip
    stays = read(folder, STAYS + " WHERE stay_id LIKE '%:08/%'")
    assert stays == [
        (f"{FINESS}:08/3", "P", D(2008, 6, 11), D(2008, 6, 15)),
        (f"{FINESS}:08/4", "P", D(2008, 11, 15), D(2008, 11, 15)),  # no length: one day
    ]
    assert ("P", D(2008, 6, 12), "FFFC001") in read(
        folder, "SELECT person_id, date, code FROM raw_procedures"
    )
    assert counted(folder) == {("T_MCOaaB", "stay dated by month"): 2}


def test_a_file_from_2009_on_must_hold_the_stay_dates(tmp_path):
    no_dates = [{k: v for k, v in stay_c(7, "PSA_P", None, None).items() if "EXE" not in k}]
    folder = extract(tmp_path, {"T_MCO10C": no_dates})
    with pytest.raises(DataError, match="exe_soi_dtd") as error:
        read(folder, STAYS)
    assert "from 2009" in error.value.hint


def test_sas_text_dates_read_as_the_typed_extract(tmp_path):
    """A CSV export from SAS: DATE9 dates ('10MAR2010'), SAS datetimes
    ('01JUN2010:00:00:00' for EXE_SOI_DTD) and booleans as 0/1: every canonical row
    equal to the typed extract's."""
    typed = extract(tmp_path / "parquet")
    text = extract(tmp_path / "csv", fmt="csv")
    line = (text / "T_MCO10C.csv").read_text().splitlines()[1]
    assert "01JUN2010:00:00:00" in line
    for sql in (STAYS, DIAGNOSES, DISPENSINGS, SPANS):
        assert read(text, sql) == read(typed, sql), sql
    # %d%m%Y, as the schema writes ENT_DAT and SOR_DAT
    prs = text / "ER_PRS_F.csv"
    prs.write_text(prs.read_text().replace("10MAR2010", "10032010"))
    assert read(text, DISPENSINGS) == read(typed, DISPENSINGS)


def test_stay_keys_join_on_their_numeric_value(tmp_path):
    """ETA_NUM/RSA_NUM are integers in T_MCOaaB/C and text in D/A/MED (schema-snds): a
    FINESS beginning with 0 must still find its diagnoses, acts and drugs."""
    folder = extract(tmp_path)
    assert read(folder, "SELECT code FROM raw_diagnoses WHERE setting = 'hospital_associated'") == [
        ("R58",)
    ]
    assert len(read(folder, "SELECT * FROM raw_procedures")) == 1
    assert read(folder, "SELECT stay_id FROM raw_hospital_stays") == [(STAY,)]


def test_a_cip7_line_is_read_through_the_referential(tmp_path):
    """Older ER_PHA_F lines carry the 7-digit CIP (PHA_PRS_IDE), PHA_PRS_C13 empty or 0."""
    folder = extract(
        tmp_path,
        {
            "ER_PRS_F": [claim(n, "PSA_P", D(2007, 1, n)) for n in (1, 2, 3)],
            "ER_PHA_F": [
                pharmacy(1, None, 1, 3000011),
                pharmacy(2, 0, 2, 3000035),
                pharmacy(3, None, 1, 9999999),  # in no IR_PHA_R row
            ],
        },
    )
    assert [r for r in read(folder, DISPENSINGS) if r[4] == "community"] == [
        ("P", D(2007, 1, 1), "H02AB07", "3400930000011", "community", 1.0),
        ("P", D(2007, 1, 2), "J06BA02", "3400930000035", "community", 2.0),
        ("P", D(2007, 1, 3), None, "9999999", "community", 1.0),
    ]
    assert counted(folder) == {
        ("ER_PHA_F", "CIP7 line"): 3,
        ("ER_PHA_F", "CIP7 not in IR_PHA_R"): 1,
    }


def test_information_lines_are_left_out_whichever_qualifier_flags_them(tmp_path):
    folder = extract(
        tmp_path,
        {
            "ER_PRS_F": [
                claim(1, "PSA_P", D(2010, 3, 10)),
                claim(2, "PSA_P", D(2010, 3, 11), DPN_QLF=71),
                claim(3, "PSA_P", D(2010, 3, 12), PRS_DPN_QLP=71),
            ],
            "ER_PHA_F": [pharmacy(n, 3400930000011, 1) for n in (1, 2, 3)],
        },
    )
    assert [r[1] for r in read(folder, DISPENSINGS) if r[4] == "community"] == [D(2010, 3, 10)]
    assert counted(folder) == {("ER_PRS_F", "information line"): 2}


def test_fictitious_identifiers_are_no_person_and_their_claims_are_left_out(tmp_path):
    """BEN_CDI_NIR other than '00' is a fictitious or provisional identifier."""
    folder = extract(
        tmp_path,
        {
            "IR_BEN_R": [beneficiary("PSA_P", "P"), beneficiary("PSA_F", "F", BEN_CDI_NIR="03")],
            "ER_PRS_F": [
                claim(1, "PSA_P", D(2010, 3, 10)),
                claim(2, "PSA_F", D(2010, 3, 10), BEN_CDI_NIR="03"),
                claim(3, "PSA_F", D(2010, 3, 11)),  # the fictitious pseudonym, code 00
            ],
            "ER_PHA_F": [pharmacy(n, 3400930000011, 1) for n in (1, 2, 3)],
            "T_MCO10C": [stay_c(7, "PSA_F", D(2010, 6, 1), D(2010, 6, 5))],
        },
    )
    assert read(folder, "SELECT person_id FROM raw_persons") == [("P",)]
    assert read(folder, "SELECT DISTINCT person_id FROM raw_observation_periods") == [("P",)]
    assert [(r[0], r[1]) for r in read(folder, DISPENSINGS) if r[4] == "community"] == [
        ("P", D(2010, 3, 10)),
        (None, D(2010, 3, 11)),  # no person: the screening sets it aside
    ]
    assert read(folder, STAYS) == []
    assert counted(folder) == {
        ("IR_BEN_R", "fictitious identifier"): 1,
        ("ER_PRS_F", "fictitious identifier line"): 1,
        ("T_MCOaaC", "unknown pseudonym"): 1,
    }


def test_project_extracts_name_the_identifiers_num_enq(tmp_path):
    """DEMEX extracts: NUM_ENQ for BEN_NIR_PSA (NIR_ANO_17 in the PMSI) and NUM_ENQ_IDT
    for BEN_IDT_ANO (essentiel_snds.md): the same canonical rows."""
    plain = extract(tmp_path / "plain")
    renamed = extract(tmp_path / "renamed")
    for name, columns in {
        "IR_BEN_R": {"BEN_NIR_PSA": "NUM_ENQ", "BEN_IDT_ANO": "NUM_ENQ_IDT"},
        "ER_PRS_F": {"BEN_NIR_PSA": "NUM_ENQ"},
        "T_MCO10C": {"NIR_ANO_17": "NUM_ENQ"},
    }.items():
        snds_extract.rename(renamed / f"{name}.parquet", columns)
    for sql in (SPANS, STAYS, DIAGNOSES, DISPENSINGS, "SELECT * FROM raw_persons"):
        assert read(renamed, sql) == read(plain, sql), sql
    with Engine() as e:
        read_as = register_source(e, "snds", renamed).inputs["IR_BEN_R"].renamed
    assert read_as == {"ben_nir_psa": "NUM_ENQ", "ben_idt_ano": "NUM_ENQ_IDT"}


def test_archived_beneficiaries_are_read_with_the_referential(tmp_path):
    """IR_BEN_R_ARC holds beneficiaries archived since 2013, early deaths among them."""
    folder = extract(
        tmp_path,
        {
            "IR_BEN_R_ARC": [
                beneficiary("PSA_Q", "Q", BEN_DCD_DTE=D(2011, 2, 1), MAX_TRT_DTD=D(2011, 1, 20))
            ],
            "ER_PRS_F": [claim(1, "PSA_P", D(2010, 3, 10)), claim(2, "PSA_Q", D(2010, 5, 1))],
            "ER_PHA_F": [pharmacy(n, 3400930000011, 1) for n in (1, 2)],
        },
    )
    assert read(folder, "SELECT person_id, death_date FROM raw_persons") == [
        ("P", None),
        ("Q", D(2011, 2, 1)),
    ]
    assert ("Q", D(2010, 5, 1)) in [(r[0], r[1]) for r in read(folder, DISPENSINGS)]
    assert counted(folder) == {("IR_BEN_R_ARC", "archived beneficiary"): 1}


def test_unit_diagnoses_add_what_the_stay_does_not_hold(tmp_path):
    """T_MCOaaUM: the main and related diagnoses of each medical unit."""
    folder = extract(
        tmp_path,
        {
            "T_MCO10UM": [
                {"ETA_NUM": "010780054", "RSA_NUM": "7", "UM_ORD_NUM": 1, "DGN_PAL": "D693",
                 "DGN_REL": None},
                {"ETA_NUM": "010780054", "RSA_NUM": "7", "UM_ORD_NUM": 2, "DGN_PAL": "I269",
                 "DGN_REL": "D693"},
            ]
        },
    )  # fmt: skip
    assert read(folder, DIAGNOSES) == [
        ("P", D(2010, 6, 1), "D693", "hospital_primary", STAY),  # once, not twice
        ("P", D(2010, 6, 1), "D693", "hospital_related", STAY),
        ("P", D(2010, 6, 1), "I269", "hospital_primary", STAY),
        ("P", D(2010, 6, 1), "R58", "hospital_associated", STAY),
    ]


def test_private_hospital_and_early_access_drugs_are_in_stay_dispensings(tmp_path):
    key = {"ETA_NUM": "010780054", "RSA_NUM": "7", "UCD_UCD_COD": "3400890000017"}
    folder = extract(
        tmp_path,
        {
            "T_MCO10MED": [],
            "T_MCO10FH": [{**key, "QUA_COD": 3, "DEL_DAT_ENT": 2}],
            "T_MCO10MEDATU": [{**key, "ADM_NBR": 1.5, "DAT_DELAI": 1}],
        },
    )
    assert [r for r in read(folder, DISPENSINGS) if r[4] == "hospital"] == [
        ("P", D(2010, 6, 2), "J06BA02", "3400890000017", "hospital", 1.5),
        ("P", D(2010, 6, 3), "J06BA02", "3400890000017", "hospital", 3.0),
    ]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"NIR_ANO_17": "XXXXXXXXXXXXXXXXS"}, ("T_MCOaaC", "placeholder id")),
        ({"SEJ_TYP": "B"}, ("T_MCOaaB", "inter-establishment stay")),
        ({"GHS_NUM": 9999}, ("T_MCOaaB", "unvalued GHS")),
    ],
)
def test_stays_the_pmsi_guidance_filters_are_left_out(tmp_path, changes, problem):
    c_changes = {k: v for k, v in changes.items() if k == "NIR_ANO_17"}
    b_changes = {k: v for k, v in changes.items() if k != "NIR_ANO_17"}
    folder = extract(
        tmp_path,
        {
            "T_MCO10B": [stay_b(7, **b_changes)],
            "T_MCO10C": [stay_c(7, "PSA_P", D(2010, 6, 1), D(2010, 6, 5), **c_changes)],
        },
    )
    assert read(folder, STAYS) == []
    assert read(folder, DIAGNOSES) == []
    assert counted(folder) == {problem: 1}


def test_identical_lines_are_summed_and_kept_when_positive(tmp_path):
    """Reversals: identical lines (pseudonym, day, product) summed, kept if positive."""
    folder = extract(
        tmp_path,
        {
            "ER_PRS_F": [claim(n, "PSA_P", D(2010, 3, 10 + n // 3)) for n in range(1, 6)],
            "ER_PHA_F": [
                pharmacy(1, 3400930000011, 1),  # day 10
                pharmacy(2, 3400930000011, 1),  # day 10
                pharmacy(3, 3400930000011, 2),  # day 11: 2 boxes
                pharmacy(4, 3400930000011, -2),  # day 11: reversed whole
                pharmacy(5, 3400930000011, -1),  # day 11: a reversal beyond: total -1
            ],
        },
    )
    assert [r for r in read(folder, DISPENSINGS) if r[4] == "community"] == [
        ("P", D(2010, 3, 10), "H02AB07", "3400930000011", "community", 2.0)
    ]
    assert counted(folder) == {("ER_PHA_F", "reversal line"): 2}


def test_duplicate_geographic_finess_are_left_out_until_2017(tmp_path):
    """AP-HP, AP-HM and HCL stays came twice (geographic and legal FINESS) until 2017:
    the geographic one is left out (CNAM, essentiel_snds.md)."""
    aphp = 750100018
    folder = extract(
        tmp_path,
        {
            "T_MCO17B": [stay_b(1, ETA_NUM=aphp, SOR_ANN=2017)],
            "T_MCO17C": [stay_c(1, "PSA_P", D(2017, 6, 1), D(2017, 6, 5), ETA_NUM=aphp)],
            "T_MCO18B": [stay_b(1, ETA_NUM=aphp, SOR_ANN=2018)],
            "T_MCO18C": [stay_c(1, "PSA_P", D(2018, 6, 1), D(2018, 6, 5), ETA_NUM=aphp)],
        },
    )
    assert [r[0] for r in read(folder, STAYS)] == [STAY, f"{aphp}:18/1"]
    assert counted(folder) == {("T_MCOaaB", "duplicate FINESS"): 1}


def test_validate_reports_each_convention_it_met_with_counts(tmp_path):
    from tests.cli import run_cli

    folder = extract(
        tmp_path,
        {
            "IR_BEN_R": [
                beneficiary("PSA_P", "P", BEN_DTE_INS=ALIVE),
                beneficiary("PSA_F", "F", BEN_CDI_NIR="03"),
            ],
            "ER_PRS_F": [claim(1, "PSA_P", D(2007, 1, 1)), claim(2, "PSA_P", D(2007, 1, 2))],
            "ER_PHA_F": [pharmacy(1, None, 1, 3000011), pharmacy(2, 0, 1, 3000011)],
        },
    )
    snds_extract.rename(folder / "ER_PRS_F.parquet", {"BEN_NIR_PSA": "NUM_ENQ"})
    result = run_cli("validate", "--data", folder, "--source", "snds")
    assert result.returncode == 0, result.stderr
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    for expected in (
        "IR_BEN_R │ registered before 2012",
        "IR_BEN_R │ fictitious identifier",
        "ER_PHA_F │ CIP7 line",
        "NUM_ENQ as BEN_NIR_PSA",
    ):
        assert any(expected in line for line in lines), expected
    cip7 = next(line for line in lines if "CIP7 line" in line)
    assert cip7.rstrip(" │").endswith("│ 2"), cip7


def test_retroceded_and_liste_en_sus_ucd_lines_are_hospital_dispensings(tmp_path):
    """ER_UCD_F.UCD_TOP_UCD: 0 a retroceded drug, 1 a drug of the liste en sus."""
    ucd = {**KEYS, "UCD_UCD_COD": "0000009261104", "UCD_DLV_NBR": 1}
    folder = extract(
        tmp_path,
        {
            "ER_PRS_F": [claim(n, "PSA_P", D(2010, 3, 10 + n)) for n in (1, 2, 3)],
            "ER_PHA_F": [pharmacy(3, 3400930000011, 1)],
            "ER_UCD_F": [
                {**ucd, "DCT_ORD_NUM": 1, "UCD_TOP_UCD": 0},
                {**ucd, "DCT_ORD_NUM": 2, "UCD_TOP_UCD": 1},
            ],
        },
    )
    got = [(r[1], r[3], r[4]) for r in read(folder, DISPENSINGS) if r[1].month == 3]
    got = [g for g in got if g[2] == "hospital"]
    assert got == [
        (D(2010, 3, 11), "0000009261104", "hospital"),
        (D(2010, 3, 12), "0000009261104", "hospital"),
    ]
    assert counted(folder) == {("ER_UCD_F", "liste en sus line"): 1}
