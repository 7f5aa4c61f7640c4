"""Native SNDS layout: beneficiaries (IR_BEN_R), community and retroceded dispensings (DCIR
ER_PRS_F joined to ER_PHA_F / ER_UCD_F on the nine DCIR keys, ATC from IR_PHA_R), hospital
stays (PMSI MCO T_MCOaaB/C/D/A/MED, yearly files stacked) and long-term diseases (IR_IMB_R).

The SQL stages under sql/sources/snds/ map them onto the canonical `raw_*` views and count
the layout's documented data problems in `source_problems` (docs/sources.md, SNDS).
Column names and types follow the public SNDS schema (indsante/schema-snds).
"""

from __future__ import annotations

import datetime as dt

from pharmacoepi.sources.layout import LayoutTable

LABEL = "SNDS"
# The engines that read this layout (see omop.ENGINES).
CONCEPT_IDS = False  # no OMOP concept ids: concept codelists cannot run on it
CONCEPT_STAGES: tuple[str, ...] = ()
POST_SCREEN_STAGES: tuple[str, ...] = ()
ID_TYPE = None  # id types as the files store them
ENGINES = ("duckdb",)

# The nine keys that join a DCIR claim line (ER_PRS_F) to its detail tables.
DCIR_KEYS = (
    "flx_dis_dtd",
    "flx_trt_dtd",
    "flx_emt_typ",
    "flx_emt_num",
    "flx_emt_ord",
    "org_cle_num",
    "dct_ord_num",
    "prs_ord_num",
    "rem_typ_aff",
)
RETURN_CODES = ("nir_ret", "nai_ret", "sex_ret", "sej_ret", "fho_ret", "pms_ret", "dat_ret")

# A DCIR table may come whole (ER_PRS_F) or split by year (ER_PRS_F_2010 ...); a PMSI
# table comes by year (T_MCO09B, T_MCO10B ...). Every matching file is stacked.
_DCIR = r"{}(_\d{{4}})?"
_PMSI = r"T_MCO(\d{{2}}){}"  # the group is the file's year: stay numbers restart yearly

TABLES: tuple[LayoutTable, ...] = (
    LayoutTable(
        "IR_BEN_R",
        (
            "ben_nir_psa",
            "ben_rng_gem",
            "ben_idt_ano",
            "ben_sex_cod",
            "ben_nai_ann",
            "ben_nai_moi",
            "ben_dte_ins",
            "max_trt_dtd",
        ),
        optional=("ben_dcd_dte", "ben_dte_maj"),
    ),
    LayoutTable(
        "ER_PRS_F",
        (*DCIR_KEYS, "ben_nir_psa", "ben_rng_gem", "exe_soi_dtd"),
        optional=("dpn_qlf",),
        pattern=_DCIR.format("ER_PRS_F"),
    ),
    LayoutTable(
        "ER_PHA_F",
        (*DCIR_KEYS, "pha_prs_c13", "pha_act_qsn"),
        pattern=_DCIR.format("ER_PHA_F"),
    ),
    LayoutTable(
        "ER_UCD_F",
        (*DCIR_KEYS, "ucd_ucd_cod", "ucd_dlv_nbr"),
        required=False,
        pattern=_DCIR.format("ER_UCD_F"),
    ),
    LayoutTable("IR_PHA_R", ("pha_cip_c13", "pha_atc_c07"), optional=("pha_cip_ucd",)),
    LayoutTable(
        "T_MCOaaB",
        ("eta_num", "rsa_num", "dgn_pal", "grg_ghm"),
        optional=("dgn_rel",),
        pattern=_PMSI.format("B"),
        file_year=True,
    ),
    LayoutTable(
        "T_MCOaaC",
        ("eta_num", "rsa_num", "nir_ano_17", "exe_soi_dtd", "exe_soi_dtf", *RETURN_CODES),
        # cohesion checks of birth date and sex, filled from 2013 on
        optional=("coh_nai_ret", "coh_sex_ret"),
        pattern=_PMSI.format("C"),
        file_year=True,
    ),
    LayoutTable(
        "T_MCOaaD",
        ("eta_num", "rsa_num", "ass_dgn"),
        required=False,
        pattern=_PMSI.format("D"),
        file_year=True,
    ),
    LayoutTable(
        "T_MCOaaA",
        ("eta_num", "rsa_num", "cdc_act"),
        optional=("ent_dat_del",),
        required=False,
        pattern=_PMSI.format("A"),
        file_year=True,
    ),
    LayoutTable(
        "T_MCOaaMED",
        ("eta_num", "rsa_num", "ucd_ucd_cod", "adm_nbr"),
        optional=("delai",),
        required=False,
        pattern=_PMSI.format("MED"),
        file_year=True,
    ),
    LayoutTable(
        "IR_IMB_R",
        ("ben_nir_psa", "ben_rng_gem", "med_mtf_cod", "imb_ald_dtd"),
        optional=("imb_etm_nat", "imb_ald_dtf"),
        required=False,
    ),
)

STAGES: tuple[str, ...] = (
    "sources/snds/settings",
    "sources/snds/pseudonyms",
    "sources/snds/persons",
    "sources/snds/observation_periods",
    "sources/snds/stays",
    "sources/snds/hospital_stays",
    "sources/snds/diagnoses",
    "sources/snds/procedures",
    "sources/snds/dispensings",
    "sources/snds/source_problems",
)

# Documented conventions of the layout (docs/sources.md, SNDS), bound as parameters.
MISSING_DATE = dt.date(1600, 1, 1)  # SNDS's "no date" value (e.g. BEN_DCD_DTE of the living)
BIRTH_DAY = 15  # SNDS gives the year and month of birth only: the day is imputed
UNKNOWN_BIRTH_MONTH = 7  # month missing or invalid: mid-year
# NIR_ANO_17 values standing for "no usable patient id" (HDH documentation, fiche
# beneficiaire): stays carrying them cannot be linked to a person
PLACEHOLDER_IDS = ("xxxxxxxxxxxxxxxxx", "XXXXXXXXXXXXXXXXD", "BXXXXXXXXXXXXXXXX")
ERROR_GHM_PREFIX = "90"  # CMD 90: stays the grouper put in error
INFO_ONLY_QUALIFIER = 71  # DPN_QLF 71: a line sent "for information", not a claim
ALD_EXONERATIONS = (41, 43, 45)  # IMB_ETM_NAT of a long-term disease (ALD) registration
UCD_DIGITS = 13  # UCD codes compared zero-padded on the left ("0 a gauche" in the PMSI)

_SETTINGS: dict[str, object] = {
    "missing_date": MISSING_DATE,
    "birth_day": BIRTH_DAY,
    "unknown_birth_month": UNKNOWN_BIRTH_MONTH,
    "placeholder_ids": list(PLACEHOLDER_IDS),
    "error_ghm_prefix": ERROR_GHM_PREFIX,
    "info_only_qualifier": INFO_ONLY_QUALIFIER,
    "ald_exonerations": list(ALD_EXONERATIONS),
    "ucd_digits": UCD_DIGITS,
}


def lookup_tables() -> dict[str, object]:
    """None: the views read their settings from the settings stage's table."""
    return {}


def stage_params(stage: str, coverage_end: str = "end_of_data") -> dict[str, object]:
    """Only the settings stage takes parameters: the views read them from its table.
    coverage_end: 'end_of_data' or 'last_claim' (docs/sources.md, observation)."""
    if stage != "sources/snds/settings":
        return {}
    return {**_SETTINGS, "coverage_end": coverage_end}
