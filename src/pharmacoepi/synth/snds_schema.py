"""The physical type of every column the synthetic SNDS writer writes, transcribed from
the Health Data Hub schema (schema-snds, schemas/**/<TABLE>.json and nomenclatures/DREES/
IR_PHA_R.json), so the files look like a real extract: integer -> BIGINT, number ->
DOUBLE, string -> VARCHAR, boolean -> BOOLEAN, date -> DATE, datetime -> TIMESTAMP,
year -> its 4-digit text, date with format %m -> the 2-character month ('03').

The writer casts each query's columns to these types and refuses a column not listed here,
so no column reaches a file with whatever type DuckDB inferred."""

from __future__ import annotations

import duckdb

_YEAR = "VARCHAR"  # type year: '2010'
_MONTH = "VARCHAR"  # type date, format %m: '03'
_DCIR_KEYS = {
    "FLX_DIS_DTD": "DATE",
    "FLX_TRT_DTD": "DATE",
    "FLX_EMT_TYP": "BIGINT",
    "FLX_EMT_NUM": "BIGINT",
    "FLX_EMT_ORD": "BIGINT",
    "ORG_CLE_NUM": "VARCHAR",
    "DCT_ORD_NUM": "BIGINT",
    "PRS_ORD_NUM": "BIGINT",
    "REM_TYP_AFF": "BIGINT",
}
_BENEFICIARY = {
    "BEN_NIR_PSA": "VARCHAR",
    "BEN_RNG_GEM": "BIGINT",
    "BEN_IDT_ANO": "VARCHAR",
    "BEN_CDI_NIR": "VARCHAR",
    "BEN_SEX_COD": "BIGINT",
    "BEN_NAI_ANN": _YEAR,
    "BEN_NAI_MOI": _MONTH,
    "BEN_DCD_DTE": "DATE",
    "BEN_DTE_INS": "DATE",
    "MAX_TRT_DTD": "DATE",
    "BEN_DTE_MAJ": "DATE",
}
# ETA_NUM / RSA_NUM are integer in T_MCOaaB and T_MCOaaC, string in the other PMSI tables
_STAY_INT = {"ETA_NUM": "BIGINT", "RSA_NUM": "BIGINT"}
_STAY_TEXT = {"ETA_NUM": "VARCHAR", "RSA_NUM": "VARCHAR"}

COLUMNS: dict[str, dict[str, str]] = {
    "IR_BEN_R": _BENEFICIARY,
    "IR_BEN_R_ARC": _BENEFICIARY,
    "ER_PRS_F": {
        **_DCIR_KEYS,
        "BEN_NIR_PSA": "VARCHAR",
        "BEN_RNG_GEM": "BIGINT",
        "BEN_CDI_NIR": "VARCHAR",
        "EXE_SOI_DTD": "DATE",
        "DPN_QLF": "BIGINT",
        "PRS_DPN_QLP": "BIGINT",
    },
    "ER_PHA_F": {
        **_DCIR_KEYS,
        "PHA_PRS_C13": "BIGINT",
        "PHA_PRS_IDE": "BIGINT",
        "PHA_ACT_QSN": "BIGINT",
    },
    "ER_UCD_F": {
        **_DCIR_KEYS,
        "UCD_UCD_COD": "VARCHAR",
        "UCD_DLV_NBR": "BIGINT",
        "UCD_TOP_UCD": "BIGINT",
    },
    "IR_PHA_R": {
        "PHA_CIP_C13": "BIGINT",
        "PHA_PRS_IDE": "BIGINT",
        "PHA_ATC_C07": "VARCHAR",
        "PHA_CIP_UCD": "BIGINT",
    },
    "IR_IMB_R": {
        "BEN_NIR_PSA": "VARCHAR",
        "BEN_RNG_GEM": "BIGINT",
        "MED_MTF_COD": "VARCHAR",
        "IMB_ALD_DTD": "DATE",
        "IMB_ALD_DTF": "DATE",
        "IMB_ETM_NAT": "BIGINT",
    },
    "T_MCOaaB": {
        **_STAY_INT,
        "DGN_PAL": "VARCHAR",
        "DGN_REL": "VARCHAR",
        "GRG_GHM": "VARCHAR",
        "SOR_ANN": _YEAR,
        "SOR_MOI": _MONTH,
        "SEJ_NBJ": "BIGINT",
    },
    "T_MCOaaC": {
        **_STAY_INT,
        "NIR_ANO_17": "VARCHAR",
        "EXE_SOI_DTD": "TIMESTAMP",
        "EXE_SOI_DTF": "TIMESTAMP",
        "NIR_RET": "BOOLEAN",
        "NAI_RET": "VARCHAR",
        "SEX_RET": "BOOLEAN",
        "SEJ_RET": "BOOLEAN",
        "FHO_RET": "BOOLEAN",
        "PMS_RET": "BOOLEAN",
        "DAT_RET": "VARCHAR",
        "COH_NAI_RET": "BOOLEAN",
        "COH_SEX_RET": "BOOLEAN",
        "SOR_ANN": _YEAR,
        "SOR_MOI": _MONTH,
    },
    "T_MCOaaD": {**_STAY_TEXT, "ASS_DGN": "VARCHAR"},
    "T_MCOaaA": {**_STAY_TEXT, "CDC_ACT": "VARCHAR", "ENT_DAT_DEL": "BIGINT"},
    "T_MCOaaUM": {
        **_STAY_TEXT,
        "UM_ORD_NUM": "BIGINT",
        "DGN_PAL": "VARCHAR",
        "DGN_REL": "VARCHAR",
    },
    "T_MCOaaMED": {
        **_STAY_TEXT,
        "UCD_UCD_COD": "VARCHAR",
        "ADM_NBR": "DOUBLE",
        "DELAI": "BIGINT",
    },
    "T_MCOaaFH": {
        **_STAY_TEXT,
        "UCD_UCD_COD": "VARCHAR",
        "QUA_COD": "BIGINT",
        "DEL_DAT_ENT": "BIGINT",
    },
    "T_MCOaaMEDATU": {
        **_STAY_TEXT,
        "UCD_UCD_COD": "VARCHAR",
        "ADM_NBR": "DOUBLE",
        "DAT_DELAI": "BIGINT",
    },
}

# First year of a column or table (the schema's dateCreated) where the writer depends on it
DATED_STAYS_FROM = 2009  # T_MCOaaC EXE_SOI_DTD / EXE_SOI_DTF
COHESION_CODES_FROM = 2013  # T_MCOaaC COH_NAI_RET / COH_SEX_RET
FH_DATED_FROM = 2013  # T_MCOaaFH DEL_DAT_ENT: without it an FH drug has no date
MEDATU_FROM = 2012  # every T_MCOaaMEDATU column
# Known departures, kept because the adapter requires these columns or tables: DAT_RET
# exists from 2006 (written in T_MCO05C too), T_MCOaaMED from 2008 (written from 2005),
# T_MCOaaUM's DGN_PAL/DGN_REL from 2008 and UM_ORD_NUM from 2010 (written every year), and
# the DCIR tables from 2006 (ER_UCD_F 2007) while the synthetic data start in 2005.


def typed(rel: duckdb.DuckDBPyRelation, table: str) -> duckdb.DuckDBPyRelation:
    """`rel` with each column cast to its schema type; a column the schema list lacks is
    an error (a typo or an unreviewed column would otherwise pass untyped)."""
    types = COLUMNS[table]
    unknown = [c for c in rel.columns if c not in types]
    if unknown:
        raise ValueError(f"{table}: no schema type for {', '.join(unknown)}")
    return rel.project(", ".join(f'CAST("{c}" AS {types[c]}) AS "{c}"' for c in rel.columns))
