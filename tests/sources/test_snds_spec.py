"""Spec tests of the SNDS adapter: tiny SNDS tables drawn here (CSV, every value text), the
canonical views it builds, person by person, and the problems it counts
(docs/sources.md, SNDS)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from pharmacoepi.engines.duckdb import DuckDBEngine as Engine
from pharmacoepi.sources import register_source, source_problems

D = dt.date


def _write(folder: Path, name: str, header: str, rows: list[tuple]) -> None:
    with (folder / f"{name}.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header.split())
        writer.writerows(["" if v is None else v for v in row] for row in rows)


BEN = "BEN_NIR_PSA BEN_RNG_GEM BEN_IDT_ANO BEN_SEX_COD BEN_NAI_ANN BEN_NAI_MOI BEN_DCD_DTE BEN_DTE_INS MAX_TRT_DTD BEN_DTE_MAJ"  # noqa: E501
BENEFICIARIES = [
    # A: two pseudonyms (a gap between them), alive on the first, dead on the second
    ("PSA_A1", 1, "A", 1, "1960", "03", "1600-01-01", "2008-01-01", "2009-12-31", "2008-01-01"),
    ("PSA_A2", 1, "A", 1, "1960", "03", "2012-05-01", "2010-03-01", "2012-05-01", "2010-03-01"),
    # B: month of birth missing; no claim ever processed (no observation span)
    ("PSA_B", 1, "B", 2, "1980", None, None, "2008-01-01", None, "2008-01-01"),
    # C: pseudonyms disagree; the one updated last (2011) wins
    ("PSA_C", 1, "C", 2, "1990", "11", None, "2008-01-01", "2010-12-31", "2008-01-01"),
    ("PSA_C2", 1, "C", 1, "1991", "01", None, "2011-01-01", "2014-12-31", "2011-01-01"),
    # twins: one BEN_NIR_PSA, two ranks (PMSI cannot tell them apart)
    ("PSA_T", 1, "T1", 1, "2000", "06", None, "2008-01-01", "2014-12-31", "2008-01-01"),
    ("PSA_T", 2, "T2", 2, "2000", "06", None, "2008-01-01", "2014-12-31", "2008-01-01"),
    # one pseudonym listed under two persons: linked to neither
    ("PSA_X", 1, "X1", 1, "1970", "01", None, "2008-01-01", "2014-12-31", "2008-01-01"),
    ("PSA_X", 1, "X2", 2, "1970", "01", None, "2008-01-01", "2014-12-31", "2008-01-01"),
    # sex code 9: passed on, the screening sets the person aside
    ("PSA_S", 1, "S", 9, "1975", "05", None, "2008-01-01", "2014-12-31", "2008-01-01"),
]

KEYS = "FLX_DIS_DTD FLX_TRT_DTD FLX_EMT_TYP FLX_EMT_NUM FLX_EMT_ORD ORG_CLE_NUM DCT_ORD_NUM PRS_ORD_NUM REM_TYP_AFF"  # noqa: E501


def _keys(n: int) -> tuple:
    return ("2011-02-01", "2011-01-20", 1, 1, 0, "011751000", n, 1, 1)


# claim lines: (line number, pseudonym, care date, DPN_QLF)
CLAIMS = [
    (1, "PSA_A1", "2009-01-10", 0),
    (2, "PSA_A1", "2009-01-10", 0),
    (3, "PSA_A1", "2009-01-10", 0),
    (4, "PSA_A1", "2009-02-01", 0),
    (5, "PSA_A1", "2009-03-01", 71),
    (6, "PSA_A1", "2009-04-01", 0),
    (7, "PSA_A1", "2009-04-02", 0),  # a consultation: no pharmacy detail
    (8, "PSA_A2", "2011-01-05", 0),
    (9, "PSA_X", "2011-01-06", 0),
]
# pharmacy details: (line number, CIP13, boxes)
PHARMACY = [
    (1, "3400930000011", 2),
    (2, "3400930000011", 2),
    (3, "3400930000011", -2),  # reverses one of lines 1 and 2
    (4, "3400930000028", -1),  # reverses nothing
    (5, "3400930000011", 1),  # an information copy (DPN_QLF 71)
    (6, "3400939999999", 1),  # a CIP13 missing from IR_PHA_R
    (9, "3400930000011", 1),
]
RETROCEDED = [(8, "3400890000017", 1)]
REFERENTIAL = [
    ("3400930000011", "H02AB07", None),
    ("3400930000028", "B02BX05", None),
    ("3400930000035", "J06BA02", "3400890000017"),
    # one UCD under two ATC codes (rituximab's old and new): the smallest is used
    ("3400930000042", "L01XC02", "3400890000024"),
    ("3400930000059", "L01FA01", "3400890000024"),
]

RET = "NIR_RET NAI_RET SEX_RET SEJ_RET FHO_RET PMS_RET DAT_RET COH_NAI_RET COH_SEX_RET"
OK = ("0",) * 7 + (None, None)
# stays: (RSA_NUM, NIR_ANO_17, return codes, GHM, year of the files)
STAYS = [
    ("R1", "PSA_A2", OK, "09M021", "10"),
    ("R2", "PSA_A2", ("0", "0", "1", "0", "0", "0", "0", None, None), "09M021", "10"),
    ("R3", "XXXXXXXXXXXXXXXXD", OK, "09M021", "10"),
    ("R4", "PSA_A2", OK, "90Z00Z", "10"),
    ("R5", "PSA_T", OK, "09M021", "10"),
    ("R6", "PSA_UNKNOWN", OK, "09M021", "10"),
    # the same RSA_NUM as R1, in the next year's files: another stay (numbers restart)
    ("R1", "PSA_C", ("0",) * 7 + ("0", "1"), "09M021", "11"),
]


@pytest.fixture(scope="module")
def snds(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("snds_spec")
    _write(folder, "IR_BEN_R", BEN, BENEFICIARIES)
    by_line = {c[0]: c for c in CLAIMS}
    _write(
        folder,
        "ER_PRS_F",
        f"{KEYS} BEN_NIR_PSA BEN_RNG_GEM EXE_SOI_DTD DPN_QLF",
        [(*_keys(n), psa, 1, day, qlf) for n, psa, day, qlf in CLAIMS],
    )
    _write(
        folder,
        "ER_PHA_F",
        f"{KEYS} PHA_PRS_C13 PHA_ACT_QSN",
        [(*_keys(n), c, q) for n, c, q in PHARMACY],
    )
    _write(
        folder,
        "ER_UCD_F",
        f"{KEYS} UCD_UCD_COD UCD_DLV_NBR",
        [(*_keys(n), u, q) for n, u, q in RETROCEDED],
    )
    assert all(n in by_line for n, _, _ in PHARMACY + RETROCEDED)
    _write(folder, "IR_PHA_R", "PHA_CIP_C13 PHA_ATC_C07 PHA_CIP_UCD", REFERENTIAL)
    for year in ("10", "11"):
        stays = [s for s in STAYS if s[4] == year]
        c_rows = [
            ("E1", rsa, nir, "2010-06-01", "2010-06-05", *ret) for rsa, nir, ret, _, _ in stays
        ]
        b_rows = [("E1", rsa, "D693", "K922", ghm) for rsa, _, _, ghm, _ in stays]
        if year == "10":
            c_rows.append(("E1", "R7", "PSA_A2", "2010-06-01", "2010-06-05", *OK))  # no B row
            b_rows.append(("E1", "R8", "D693", None, "09M021"))  # no C row
        _write(
            folder,
            f"T_MCO{year}C",
            f"ETA_NUM RSA_NUM NIR_ANO_17 EXE_SOI_DTD EXE_SOI_DTF {RET}",
            c_rows,
        )
        _write(folder, f"T_MCO{year}B", "ETA_NUM RSA_NUM DGN_PAL DGN_REL GRG_GHM", b_rows)
        rsas = [s[0] for s in stays]
        _write(folder, f"T_MCO{year}D", "ETA_NUM RSA_NUM ASS_DGN", [("E1", r, "R58") for r in rsas])
        _write(
            folder,
            f"T_MCO{year}A",
            "ETA_NUM RSA_NUM CDC_ACT ENT_DAT_DEL",
            [("E1", r, "FFFC001", 2) for r in rsas],
        )
        _write(
            folder,
            f"T_MCO{year}MED",
            "ETA_NUM RSA_NUM UCD_UCD_COD ADM_NBR DELAI",
            [("E1", r, "3400890000024", 2, 1) for r in rsas],
        )
    _write(
        folder,
        "IR_IMB_R",
        "BEN_NIR_PSA BEN_RNG_GEM MED_MTF_COD IMB_ALD_DTD IMB_ALD_DTF IMB_ETM_NAT",
        [
            ("PSA_A1", 1, "D693", "2009-05-01", None, 41),  # open
            ("PSA_A1", 1, "C50", "2009-06-01", "2014-06-01", 12),  # not an ALD exoneration
            ("PSA_B", 1, "E11", "2009-07-01", "2012-06-30", None),  # ends 2012-06-30
            ("PSA_C", 1, "G35", "2001-03-01", "1600-01-01", 41),  # no end date: open
        ],
    )
    return folder


@pytest.fixture(scope="module")
def engine(snds):
    with Engine() as e:
        register_source(e, "snds", snds)
        yield e


def _rows(engine: Engine, sql: str) -> list[tuple]:
    return sorted(engine.con.sql(sql).fetchall(), key=repr)


def test_persons_unified_by_ben_idt_ano_with_imputed_birth_day(engine):
    got = _rows(engine, "SELECT person_id, sex, birth_date, death_date FROM raw_persons")
    assert got == sorted(
        [
            ("A", "M", "1960-03-15", D(2012, 5, 1)),  # 1600-01-01 means alive
            ("B", "F", "1980-07-15", None),  # month missing: July
            ("C", "M", "1991-01-15", None),  # the pseudonym updated last
            ("S", "9", "1975-05-15", None),
            ("T1", "M", "2000-06-15", None),
            ("T2", "F", "2000-06-15", None),
            ("X1", "M", "1970-01-15", None),
            ("X2", "F", "1970-01-15", None),
        ],
        key=repr,
    )


SPANS = (
    "SELECT person_id, CAST(start_date AS DATE), CAST(end_date AS DATE) "
    "FROM raw_observation_periods WHERE person_id IN ('A', 'B', 'C')"
)


def test_coverage_runs_to_the_end_of_the_data_by_default(engine):
    """Review 1.10: insurance is near universal; a beneficiary who stops using care is
    still covered. Each pseudonym's span runs from BEN_DTE_INS to the extract's latest
    processed claim (2014-12-31 here); follow-up then ends at death or the administrative
    end, not at the person's last claim."""
    assert _rows(engine, SPANS) == [
        ("A", D(2008, 1, 1), D(2014, 12, 31)),
        ("A", D(2010, 3, 1), D(2014, 12, 31)),
        ("C", D(2008, 1, 1), D(2014, 12, 31)),
        ("C", D(2011, 1, 1), D(2014, 12, 31)),
    ]  # B: no processed claim, no span


def test_coverage_to_the_last_claim_is_an_option(snds):
    with Engine() as e:
        register_source(e, "snds", snds, snds_coverage="last_claim")
        got = _rows(e, SPANS)
    assert got == [
        ("A", D(2008, 1, 1), D(2009, 12, 31)),
        ("A", D(2010, 3, 1), D(2012, 5, 1)),
        ("C", D(2008, 1, 1), D(2010, 12, 31)),
        ("C", D(2011, 1, 1), D(2014, 12, 31)),
    ]  # B: no processed claim, no span


def test_dispensings(engine):
    got = _rows(
        engine,
        "SELECT person_id, date, atc, product_code, setting, CAST(quantity AS DOUBLE) "
        "FROM raw_dispensings",
    )
    assert got == sorted(
        [
            # lines 1-3: one of the two 2-box lines is reversed; line 4 reverses nothing
            # and line 5 is an information copy: both left out; line 7 has no detail
            ("A", D(2009, 1, 10), "H02AB07", "3400930000011", "community", 2.0),
            ("A", D(2009, 4, 1), None, "3400939999999", "community", 1.0),
            ("A", D(2011, 1, 5), "J06BA02", "3400890000017", "hospital", 1.0),
            # T_MCOaaMED of stay R1: admission 2010-06-01 + DELAI 1
            ("A", D(2010, 6, 2), "L01FA01", "3400890000024", "hospital", 2.0),
            # a pseudonym of two persons: no person (the screening sets it aside)
            (None, D(2011, 1, 6), "H02AB07", "3400930000011", "community", 1.0),
        ],
        key=repr,
    )


def test_only_clean_stays_reach_the_canonical_tables(engine):
    assert _rows(engine, "SELECT * FROM raw_hospital_stays") == [
        ("E1:10/R1", "A", "2010-06-01", "2010-06-05")
    ]
    assert _rows(
        engine, "SELECT person_id, date, code, setting, stay_id, end_date FROM raw_diagnoses"
    ) == sorted(
        [
            ("A", D(2010, 6, 1), "D693", "hospital_primary", "E1:10/R1", None),
            ("A", D(2010, 6, 1), "K922", "hospital_related", "E1:10/R1", None),
            ("A", D(2010, 6, 1), "R58", "hospital_associated", "E1:10/R1", None),
            # an ALD is a status from IMB_ALD_DTD to IMB_ALD_DTF (review 1.4)
            ("A", D(2009, 5, 1), "D693", "long_term_disease", None, None),
            ("B", D(2009, 7, 1), "E11", "long_term_disease", None, D(2012, 6, 30)),
            ("C", D(2001, 3, 1), "G35", "long_term_disease", None, None),
        ],
        key=repr,
    )
    assert _rows(engine, "SELECT person_id, date, code, stay_id FROM raw_procedures") == [
        ("A", D(2010, 6, 3), "FFFC001", "E1:10/R1")  # admission + ENT_DAT_DEL 2
    ]


def test_every_problem_counted(engine):
    counts = {(p["source_table"], p["problem"]): p["rows"] for p in source_problems(engine)}
    assert counts == {
        ("T_MCOaaC", "return code"): 2,  # R2 (SEX_RET), R1 of 2011 (COH_SEX_RET)
        ("T_MCOaaC", "placeholder id"): 1,
        ("T_MCOaaB", "error GHM"): 1,
        ("T_MCOaaB", "no T_MCOaaC row"): 1,
        ("T_MCOaaC", "no T_MCOaaB row"): 1,
        ("T_MCOaaC", "unknown pseudonym"): 1,
        ("T_MCOaaC", "ambiguous pseudonym"): 1,  # the twins' NIR_ANO_17
        ("IR_BEN_R", "several pseudonyms"): 2,  # A, C
        ("IR_BEN_R", "pseudonyms disagree"): 1,  # C
        ("IR_BEN_R", "pseudonym of several persons"): 1,  # PSA_X
        ("IR_BEN_R", "birth month unknown"): 1,  # B
        ("IR_BEN_R", "no processed claim"): 1,  # B
        ("ER_PHA_F", "reversal line"): 2,
        ("ER_PRS_F", "information line"): 1,
        ("IR_IMB_R", "not an ALD exoneration"): 1,
        ("IR_PHA_R", "several ATC codes"): 1,
    }  # zero counts are not listed by source_problems(); the table holds them
    assert engine.count("source_problems") == 29


def test_screening_sets_aside_what_the_adapter_passes_on(snds):
    from pharmacoepi.pipeline.validate import validate_plan
    from pharmacoepi.plan import RunState, execute

    with Engine() as e:
        execute(validate_plan("snds"), RunState(e, snds))
        rejected = e.con.sql(
            "SELECT table_name, reject_reason, reject_column, count(*) FROM rejected_rows "
            "GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    assert rejected == [
        ("dispensings", "null key", "person_id", 1),  # PSA_X's line
        ("dispensings", "null value", "atc", 1),  # CIP13 not in IR_PHA_R
        ("observation_periods", "unknown person", "person_id", 1),  # S's span
        ("persons", "invalid value", "sex", 1),  # S: BEN_SEX_COD 9
    ]
