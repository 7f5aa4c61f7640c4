"""DuckDB statements that write the synthetic PMSI MCO files (T_MCOyyB/C/D/A/UM/MED/FH/
MEDATU, one set per discharge year yy), after snds_sql.PREPARE. The tables and columns of a
year are those the schema gives that year (snds_schema: dateCreated), so older files are
as hard to read as real ones: no stay dates before 2009, no FH delay before 2013, no
MEDATU before 2012.

Stay keys: ETA_NUM is a 9-character FINESS, half of them beginning with 0 (departments
01-09), RSA_NUM the claims stay_id zero-padded to 10; both are integers in B and C and text
elsewhere (schema), so only a numeric join finds every stay. The FINESS are dd99xxxxx, none
of the AP-HP/AP-HM/HCL geographic FINESS that essentiel_snds.md ("Filtre de nettoyage sur
le PMSI") tells readers to drop as duplicates (920100039 ...): a reader following that
page would otherwise lose real synthetic stays."""

from __future__ import annotations

from .snds_conventions import RETURN_CODES
from .snds_schema import COHESION_CODES_FROM, DATED_STAYS_FROM, FH_DATED_FROM, MEDATU_FROM
from .snds_sql import pseudonym_join

# the department of a synthetic establishment (the FINESS's first two digits)
_DEPARTMENTS = "['01', '02', '06', '08', '09', '13', '33', '59', '67', '92']"
_RETURN_COLUMNS = ",\n    ".join(
    f"CASE WHEN junk_kind = 1 AND person_id % {len(RETURN_CODES)} = {i} THEN '1' ELSE '0' END"
    f" AS {name}"
    for i, name in enumerate(RETURN_CODES)
)

PREPARE = (
    # PMSI stays, real ones then the junk (kind 1 return code, 2 placeholder id, 3 GHM 90);
    # 89 synthetic establishments, one in four private (its drugs go to FH from 2013)
    f"""
CREATE TEMP TABLE pmsi_stays AS
WITH stays AS (
    SELECT st.stay_id, st.person_id, coalesce(ps.psa, p1.psa) AS psa, st.admission_date,
        st.discharge_date, 0 AS junk_kind, st.stay_id % 89 AS site
    FROM claims_hospital_stays AS st
    {pseudonym_join("st", "admission_date")}
    UNION ALL
    SELECT NULL, j.person_id, j.psa, j.day, j.day + 1, k.kind, NULL
    FROM junk AS j
    CROSS JOIN (VALUES (1), (2), (3)) AS k (kind)
)
SELECT
    stay_id, person_id, admission_date, discharge_date, junk_kind,
    CASE
        WHEN junk_kind > 0 THEN '99000000' || CAST(junk_kind AS VARCHAR)
        ELSE {_DEPARTMENTS}[1 + site % 10] || '99' || lpad(CAST(site AS VARCHAR), 5, '0')
    END AS eta_num,
    lpad(CAST(coalesce(stay_id, person_id) AS VARCHAR), 10, '0') AS rsa_num,
    coalesce(site % 4 = 0, FALSE) AS private,
    CASE
        WHEN junk_kind = 2
            THEN $placeholder_ids[1 + CAST(person_id % len($placeholder_ids) AS INTEGER)]
        ELSE psa
    END AS nir_ano_17,
    CASE
        WHEN junk_kind = 3 THEN '90Z00Z'
        ELSE lpad(CAST(1 + coalesce(stay_id, person_id) % 27 AS VARCHAR), 2, '0') || 'M'
            || lpad(CAST(coalesce(stay_id, person_id) % 997 AS VARCHAR), 3, '0')
    END AS grg_ghm,
    {_RETURN_COLUMNS},
    year(discharge_date) AS year
FROM stays
""",
    # the stays' codes, read once from the (large) claims tables
    """
CREATE TEMP TABLE stay_codes AS
SELECT stay_id, code, setting FROM claims_diagnoses
WHERE stay_id IS NOT NULL AND setting LIKE 'hospital%'
""",
    """
CREATE TEMP TABLE stay_acts AS
SELECT stay_id, code, date FROM claims_procedures WHERE stay_id IS NOT NULL
""",
    # in-stay drugs and the file each goes to: FH for private establishments' stays once
    # FH dates its drugs (whole quantities: QUA_COD is an integer), MEDATU for one line in
    # five once it exists, MED otherwise; the junk stays' IVIg goes to MED
    f"""
CREATE TEMP TABLE stay_drugs AS
SELECT s.year, s.eta_num, s.rsa_num, m.product_code, m.quantity,
    date_diff('day', s.admission_date, m.date) AS delay,
    CASE
        WHEN s.year >= {FH_DATED_FROM} AND s.private AND m.quantity = round(m.quantity)
            THEN 'FH'
        WHEN s.year >= {MEDATU_FROM}
            AND (s.stay_id + CAST(right(m.product_code, 4) AS BIGINT)) % 5 = 0 THEN 'MEDATU'
        ELSE 'MED'
    END AS route
FROM pmsi_stays AS s
JOIN hospital_drugs AS m ON m.stay_id = s.stay_id
UNION ALL
SELECT s.year, s.eta_num, s.rsa_num,
    (SELECT min(product_code) FROM hospital_drugs WHERE atc = 'J06BA02'), 1.0, 0, 'MED'
FROM pmsi_stays AS s
WHERE s.junk_kind > 0
""",
)

_YEAR = "s.year = $year"
_STAY_ORDER = "ORDER BY s.eta_num, s.rsa_num"
_STAY_KEYS = "s.eta_num AS ETA_NUM, s.rsa_num AS RSA_NUM"
# the stay's primary and related diagnoses (D69.3 for the junk stays)
_MAIN_CODES = f"""
SELECT {_STAY_KEYS},
    CASE WHEN s.junk_kind > 0 THEN 'D693' ELSE pal.code END AS DGN_PAL,
    rel.code AS DGN_REL,
    {{extra}}
FROM pmsi_stays AS s
LEFT JOIN stay_codes AS pal ON pal.stay_id = s.stay_id AND pal.setting = 'hospital_primary'
LEFT JOIN stay_codes AS rel ON rel.stay_id = s.stay_id AND rel.setting = 'hospital_related'
WHERE {_YEAR} {_STAY_ORDER}
"""
_B = _MAIN_CODES.format(
    extra="""s.grg_ghm AS GRG_GHM,
    strftime(s.discharge_date, '%Y') AS SOR_ANN,
    strftime(s.discharge_date, '%m') AS SOR_MOI,
    date_diff('day', s.admission_date, s.discharge_date) AS SEJ_NBJ"""
)
# one medical unit per stay, with the stay's diagnoses: nothing the stay does not hold
_UM = _MAIN_CODES.format(extra="1 AS UM_ORD_NUM")
_D = f"""
SELECT {_STAY_KEYS},
    CASE WHEN s.junk_kind > 0 THEN 'D693' ELSE d.code END AS ASS_DGN
FROM pmsi_stays AS s
LEFT JOIN stay_codes AS d ON d.stay_id = s.stay_id AND d.setting = 'hospital_associated'
WHERE {_YEAR} AND (s.junk_kind > 0 OR d.code IS NOT NULL) {_STAY_ORDER}, ASS_DGN
"""
_A = f"""
SELECT {_STAY_KEYS},
    CASE WHEN s.junk_kind > 0 THEN 'FFFC001' ELSE a.code END AS CDC_ACT,
    coalesce(date_diff('day', s.admission_date, a.date), 0) AS ENT_DAT_DEL
FROM pmsi_stays AS s
LEFT JOIN stay_acts AS a ON a.stay_id = s.stay_id
WHERE {_YEAR} AND (s.junk_kind > 0 OR a.code IS NOT NULL) {_STAY_ORDER}, CDC_ACT, ENT_DAT_DEL
"""
_DRUGS = """
SELECT s.eta_num AS ETA_NUM, s.rsa_num AS RSA_NUM, s.product_code AS UCD_UCD_COD,
    s.quantity AS {quantity}, s.delay AS {delay}
FROM stay_drugs AS s
WHERE s.year = $year AND s.route = '{route}' AND s.product_code IS NOT NULL
ORDER BY ETA_NUM, RSA_NUM, UCD_UCD_COD, {delay}, {quantity}
"""


def _c(year: int) -> str:
    dates = (
        "CAST(s.admission_date AS TIMESTAMP) AS EXE_SOI_DTD,\n"
        "    CAST(s.discharge_date AS TIMESTAMP) AS EXE_SOI_DTF,"
        if year >= DATED_STAYS_FROM
        else ""
    )
    cohesion = "FALSE AS COH_NAI_RET, FALSE AS COH_SEX_RET," if year >= COHESION_CODES_FROM else ""
    return f"""
SELECT {_STAY_KEYS}, s.nir_ano_17 AS NIR_ANO_17,
    {dates}
    {", ".join(f"s.{c} AS {c.upper()}" for c in RETURN_CODES)},
    {cohesion}
    strftime(s.discharge_date, '%Y') AS SOR_ANN,
    strftime(s.discharge_date, '%m') AS SOR_MOI
FROM pmsi_stays AS s WHERE {_YEAR} {_STAY_ORDER}
"""


def statements(year: int) -> dict[str, str]:
    """The PMSI files of stays discharged in `year`: suffix -> statement ($year)."""
    out = {"B": _B, "C": _c(year), "D": _D, "A": _A, "UM": _UM}
    out["MED"] = _DRUGS.format(quantity="ADM_NBR", delay="DELAI", route="MED")
    if year >= FH_DATED_FROM:
        out["FH"] = _DRUGS.format(quantity="QUA_COD", delay="DEL_DAT_ENT", route="FH")
    if year >= MEDATU_FROM:
        out["MEDATU"] = _DRUGS.format(quantity="ADM_NBR", delay="DAT_DELAI", route="MEDATU")
    return out
