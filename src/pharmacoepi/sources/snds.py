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

# T_MCOaaC holds EXE_SOI_DTD / EXE_SOI_DTF from 2009 (schema-snds, dateCreated)
FIRST_DATED_PMSI_YEAR = 2009

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

# Project extracts (DEMEX) name the beneficiary's pseudonym NUM_ENQ (NIR_ANO_17 in the
# PMSI) and BEN_IDT_ANO NUM_ENQ_IDT (CNAM, essentiel_snds.md): read under either name.
_PSEUDONYM = (("ben_nir_psa", ("num_enq",)), ("ben_idt_ano", ("num_enq_idt",)))
_BENEFICIARY = (
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
    ("ben_dcd_dte", "ben_dte_maj", "ben_cdi_nir"),
)
# The stay keys: integer in T_MCOaaB/C, text in the other PMSI tables (schema-snds)
_STAY_KEYS = ("eta_num", "rsa_num")

TABLES: tuple[LayoutTable, ...] = (
    LayoutTable("IR_BEN_R", _BENEFICIARY[0], optional=_BENEFICIARY[1], aliases=_PSEUDONYM),
    # beneficiaries archived since 2013 (persons without care for years, early deaths)
    LayoutTable(
        "IR_BEN_R_ARC",
        _BENEFICIARY[0],
        optional=_BENEFICIARY[1],
        aliases=_PSEUDONYM,
        required=False,
    ),
    LayoutTable(
        "ER_PRS_F",
        (*DCIR_KEYS, "ben_nir_psa", "ben_rng_gem", "exe_soi_dtd"),
        optional=("dpn_qlf", "prs_dpn_qlp", "ben_cdi_nir"),
        pattern=_DCIR.format("ER_PRS_F"),
        aliases=_PSEUDONYM,
    ),
    LayoutTable(
        "ER_PHA_F",
        (*DCIR_KEYS, "pha_prs_c13", "pha_act_qsn"),
        optional=("pha_prs_ide",),  # the 7-digit CIP of older lines
        pattern=_DCIR.format("ER_PHA_F"),
    ),
    LayoutTable(
        "ER_UCD_F",
        (*DCIR_KEYS, "ucd_ucd_cod", "ucd_dlv_nbr"),
        optional=("ucd_top_ucd",),
        required=False,
        pattern=_DCIR.format("ER_UCD_F"),
    ),
    LayoutTable(
        "IR_PHA_R", ("pha_cip_c13", "pha_atc_c07"), optional=("pha_cip_ucd", "pha_prs_ide")
    ),
    LayoutTable(
        "T_MCOaaB",
        (*_STAY_KEYS, "dgn_pal", "grg_ghm"),
        # SOR_ANN/SOR_MOI/SEJ_NBJ date a stay of a file without EXE_SOI_DTD (before 2009)
        optional=("dgn_rel", "sor_ann", "sor_moi", "sej_nbj", "sej_typ", "ghs_num"),
        pattern=_PMSI.format("B"),
        file_year=True,
    ),
    LayoutTable(
        "T_MCOaaC",
        (*_STAY_KEYS, "nir_ano_17", *RETURN_CODES),
        # the dates exist from 2009; the cohesion checks of birth date and sex from 2013
        optional=("exe_soi_dtd", "exe_soi_dtf", "coh_nai_ret", "coh_sex_ret"),
        pattern=_PMSI.format("C"),
        file_year=True,
        aliases=(("nir_ano_17", ("num_enq",)),),
        required_from=tuple((c, FIRST_DATED_PMSI_YEAR) for c in ("exe_soi_dtd", "exe_soi_dtf")),
    ),
    LayoutTable(
        "T_MCOaaD",
        (*_STAY_KEYS, "ass_dgn"),
        required=False,
        pattern=_PMSI.format("D"),
        file_year=True,
    ),
    # the diagnoses of each medical unit of a stay (RUM)
    LayoutTable(
        "T_MCOaaUM",
        _STAY_KEYS,
        optional=("dgn_pal", "dgn_rel"),
        required=False,
        pattern=_PMSI.format("UM"),
        file_year=True,
    ),
    LayoutTable(
        "T_MCOaaA",
        (*_STAY_KEYS, "cdc_act"),
        optional=("ent_dat_del",),
        required=False,
        pattern=_PMSI.format("A"),
        file_year=True,
    ),
    LayoutTable(
        "T_MCOaaMED",
        (*_STAY_KEYS, "ucd_ucd_cod", "adm_nbr"),
        optional=("delai",),
        required=False,
        pattern=_PMSI.format("MED"),
        file_year=True,
    ),
    # expensive drugs billed on top of the stay by private hospitals (FICHCOMP)
    LayoutTable(
        "T_MCOaaFH",
        (*_STAY_KEYS, "ucd_ucd_cod", "qua_cod"),
        optional=("del_dat_ent",),  # from 2013
        required=False,
        pattern=_PMSI.format("FH"),
        file_year=True,
    ),
    # drugs under early access (ATU) given during the stay
    LayoutTable(
        "T_MCOaaMEDATU",
        (*_STAY_KEYS, "ucd_ucd_cod", "adm_nbr"),
        optional=("dat_delai",),
        required=False,
        pattern=_PMSI.format("MEDATU"),
        file_year=True,
    ),
    LayoutTable(
        "IR_IMB_R",
        ("ben_nir_psa", "ben_rng_gem", "med_mtf_cod", "imb_ald_dtd"),
        optional=("imb_etm_nat", "imb_ald_dtf"),
        required=False,
        aliases=_PSEUDONYM,
    ),
)

STAGES: tuple[str, ...] = (
    "sources/snds/settings",
    "sources/snds/beneficiaries",
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
# A beneficiary inserted in the referential before 2012 has BEN_DTE_INS = MISSING_DATE
# (CNAM, essentiel_snds.md): covered since before the extract's history, which starts
# at HISTORY_START unless the definition says otherwise (follow_up.snds_history_start)
HISTORY_START = dt.date(2006, 1, 1)
BIRTH_DAY = 15  # SNDS gives the year and month of birth only: the day is imputed
UNKNOWN_BIRTH_MONTH = 7  # month missing or invalid: mid-year
UNKNOWN_BIRTH_YEAR = 1600  # BEN_NAI_ANN forced to 1600 when unknown (essentiel_snds.md)
# A stay of a PMSI file before 2009 has no dates, only its discharge month (SOR_ANN,
# SOR_MOI) and length (SEJ_NBJ): discharged on this day of the month, as births
STAY_DAY = 15
NORMAL_NIR = "00"  # BEN_CDI_NIR of a real NIR; any other code is a fictitious identifier
# NIR_ANO_17 values standing for "no usable patient id": stays carrying them cannot be
# linked to a person (CNAM, essentiel_snds.md: 'xxxxxxxxxxxxxxxxx', 'XXXXXXXXXXXXXXXXS';
# HDH fiche beneficiaire and EPI-PHARE: 'XXXXXXXXXXXXXXXXD')
PLACEHOLDER_IDS = ("xxxxxxxxxxxxxxxxx", "XXXXXXXXXXXXXXXXS", "XXXXXXXXXXXXXXXXD")
ERROR_GHM_PREFIX = "90"  # CMD 90: stays the grouper put in error
INFO_ONLY_QUALIFIER = 71  # DPN_QLF / PRS_DPN_QLP 71: a line sent "for information"
ALD_EXONERATIONS = (41, 43, 45)  # IMB_ETM_NAT of a long-term disease (ALD) registration
UCD_DIGITS = 13  # UCD codes compared zero-padded on the left ("0 a gauche" in the PMSI)
# SEJ_TYP B: a service given to another hospital's inpatient (prestation
# inter-etablissements), which that hospital's stay holds (CNAM, essentiel_snds.md)
INTER_ESTABLISHMENT_STAY = "B"
# GHS_NUM 9999: a stay not paid for (SCALPEL's PMSI MCO filter, HDH fiche
# scalpel_pipeline; not in the CNAM filters)
UNVALUED_GHS = 9999
# Geographic FINESS of AP-HP, AP-HM and HCL whose stays were sent twice, under the
# geographic and the legal entity's FINESS, until 2017 included: the geographic ones are
# left out (CNAM, essentiel_snds.md, "Filtre de nettoyage sur le PMSI": its 46 codes;
# the DREES fiche depenses_hopital_public lists 166 for cost studies)
DUPLICATE_FINESS = (
    "130780521", "130783236", "130783293", "130784234", "130804297", "600100101",
    "750041543", "750100018", "750100042", "750100075", "750100083", "750100091",
    "750100109", "750100125", "750100166", "750100208", "750100216", "750100232",
    "750100273", "750100299", "750801441", "750803447", "750803454", "910100015",
    "910100023", "920100013", "920100021", "920100039", "920100047", "920100054",
    "920100062", "930100011", "930100037", "930100045", "940100027", "940100035",
    "940100043", "940100050", "940100068", "950100016", "690783154", "690784137",
    "690784152", "690784178", "690787478", "830100558",
)  # fmt: skip
DUPLICATE_FINESS_UNTIL = 2017  # the last PMSI year with the duplicates

_SETTINGS: dict[str, object] = {
    "missing_date": MISSING_DATE,
    "birth_day": BIRTH_DAY,
    "unknown_birth_month": UNKNOWN_BIRTH_MONTH,
    "unknown_birth_year": UNKNOWN_BIRTH_YEAR,
    "stay_day": STAY_DAY,
    "first_dated_pmsi_year": FIRST_DATED_PMSI_YEAR,
    "normal_nir": NORMAL_NIR,
    "placeholder_ids": list(PLACEHOLDER_IDS),
    "error_ghm_prefix": ERROR_GHM_PREFIX,
    "info_only_qualifier": INFO_ONLY_QUALIFIER,
    "ald_exonerations": list(ALD_EXONERATIONS),
    "ucd_digits": UCD_DIGITS,
    "inter_establishment_stay": INTER_ESTABLISHMENT_STAY,
    "unvalued_ghs": UNVALUED_GHS,
    "duplicate_finess": list(DUPLICATE_FINESS),
    "duplicate_finess_until": DUPLICATE_FINESS_UNTIL,
}


def lookup_tables() -> dict[str, object]:
    """None: the views read their settings from the settings stage's table."""
    return {}


def stage_params(
    stage: str, coverage_end: str = "end_of_data", history_start: dt.date | None = None
) -> dict[str, object]:
    """Only the settings stage takes parameters: the views read them from its table.
    coverage_end: 'end_of_data' or 'last_claim'; history_start: the first day of the
    extract's history, where the coverage of a beneficiary inserted before 2012 starts
    (docs/sources.md, observation)."""
    if stage != "sources/snds/settings":
        return {}
    return {
        **_SETTINGS,
        "coverage_end": coverage_end,
        "history_start": history_start or HISTORY_START,
    }
