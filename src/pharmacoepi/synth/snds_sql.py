"""DuckDB statements that turn the synthetic claims tables (views claims_<table>) into SNDS
tables (snds_layout.py runs them). Column names and types follow the public SNDS schema.
Selections are arithmetic on ids and dates (no random draws), so a dataset converts to
the same rows every time."""

from __future__ import annotations

from pharmacoepi.synth.snds_conventions import RETURN_CODES

# The pseudonym of a claim: the one of the coverage segment holding its date, else the
# person's first (a claim outside coverage would otherwise have none).
_PSEUDONYM_JOIN = """
LEFT JOIN pseudo AS ps ON ps.person_id = {t}.person_id
    AND {t}.{date} BETWEEN ps.start_date AND ps.end_date
LEFT JOIN pseudo AS p1 ON p1.person_id = {t}.person_id AND p1.k = 1
"""


def _pseudonym_join(table: str, date: str) -> str:
    return _PSEUDONYM_JOIN.format(t=table, date=date)


# 1 person in 211: the persons who get junk records the adapter must drop
_JUNK = "(p.person_id * 7919) % 211 = 0"
# ~1% of community lines get a copy and its reversal, ~0.5% an information copy
_LINE_DRAW = (
    "(person_id * 1000003 + date_diff('day', DATE '1970-01-01', date) * 7919"
    " + CAST(product_code AS BIGINT) % 1000003) % 1000"
)
_RETURN_COLUMNS = ",\n    ".join(
    f"CASE WHEN junk_kind = 1 AND person_id % {len(RETURN_CODES)} = {i} THEN '1' ELSE '0' END"
    f" AS {name}"
    for i, name in enumerate(RETURN_CODES)
)

PREPARE = (
    # one pseudonym per coverage segment (a person without coverage still gets one)
    """
CREATE TEMP TABLE pseudo AS
WITH seg AS (
    SELECT person_id, start_date, end_date,
        row_number() OVER (PARTITION BY person_id ORDER BY start_date, end_date) AS k
    FROM claims_observation_periods
)
SELECT p.person_id, coalesce(s.k, 1) AS k, s.start_date, s.end_date,
    upper(substr(md5('synthetic-psa:' || CAST(p.person_id AS VARCHAR) || ':'
        || CAST(coalesce(s.k, 1) AS VARCHAR)), 1, 17)) AS psa
FROM claims_persons AS p
LEFT JOIN seg AS s ON s.person_id = p.person_id
""",
    f"""
CREATE TEMP TABLE junk AS
SELECT p.person_id, ps.psa, ps.start_date + 30 AS day
FROM claims_persons AS p
JOIN pseudo AS ps ON ps.person_id = p.person_id AND ps.k = 1
WHERE {_JUNK} AND ps.start_date IS NOT NULL
""",
    # hospital drugs given on a day of one of the person's stays belong to that stay
    """
CREATE TEMP TABLE hospital_drugs AS
WITH hosp AS (
    SELECT person_id, date, product_code, quantity
    FROM claims_dispensings WHERE setting = 'hospital'
),
in_stay AS (
    SELECT h.person_id, h.date, min(st.stay_id) AS stay_id
    FROM (SELECT DISTINCT person_id, date FROM hosp) AS h
    JOIN claims_hospital_stays AS st ON st.person_id = h.person_id
        AND h.date BETWEEN st.admission_date AND st.discharge_date
    GROUP BY h.person_id, h.date
)
SELECT h.*, s.stay_id
FROM hosp AS h
LEFT JOIN in_stay AS s ON s.person_id = h.person_id AND s.date = h.date
""",
    # DCIR lines: kind 0 a claim, 1 its copy, 2 the copy's reversal, 3 an information
    # copy (DPN_QLF 71), 4 an unmatched reversal (junk persons)
    f"""
CREATE TEMP TABLE dcir_lines AS
WITH community AS (
    SELECT person_id, date, product_code, quantity, {_LINE_DRAW} AS draw
    FROM claims_dispensings WHERE setting = 'community'
),
lines AS (
    SELECT person_id, date, product_code, quantity, 'pha' AS detail, 0 AS kind FROM community
    UNION ALL
    SELECT person_id, date, product_code, quantity, 'pha', 1 FROM community WHERE draw < 10
    UNION ALL
    SELECT person_id, date, product_code, -quantity, 'pha', 2 FROM community WHERE draw < 10
    UNION ALL
    SELECT person_id, date, product_code, quantity, 'pha', 3 FROM community
    WHERE draw BETWEEN 10 AND 14
    UNION ALL
    SELECT j.person_id, j.day, (SELECT min(product_code) FROM community), -7.0, 'pha', 4
    FROM junk AS j
    UNION ALL
    SELECT person_id, date, product_code, quantity, 'ucd', 0
    FROM hospital_drugs WHERE stay_id IS NULL
)
SELECT
    l.*,
    row_number() OVER (
        ORDER BY l.person_id, l.date, l.detail, l.product_code, l.kind, l.quantity
    ) AS dct_ord_num,
    coalesce(ps.psa, p1.psa) AS psa
FROM lines AS l
{_pseudonym_join("l", "date")}
""",
    # PMSI stays, real ones then the junk (kind 1 return code, 2 placeholder id, 3 GHM 90)
    f"""
CREATE TEMP TABLE pmsi_stays AS
WITH stays AS (
    SELECT st.stay_id, st.person_id, coalesce(ps.psa, p1.psa) AS psa, st.admission_date,
        st.discharge_date, 0 AS junk_kind,
        lpad(CAST(750000001 + st.stay_id % 89 AS VARCHAR), 9, '0') AS eta_num,
        lpad(CAST(st.stay_id AS VARCHAR), 10, '0') AS rsa_num
    FROM claims_hospital_stays AS st
    {_pseudonym_join("st", "admission_date")}
    UNION ALL
    SELECT NULL, j.person_id, j.psa, j.day, j.day + 1, k.kind,
        '99000000' || CAST(k.kind AS VARCHAR), lpad(CAST(j.person_id AS VARCHAR), 10, '0')
    FROM junk AS j
    CROSS JOIN (VALUES (1), (2), (3)) AS k (kind)
)
SELECT
    stay_id, person_id, eta_num, rsa_num, admission_date, discharge_date, junk_kind,
    CASE
        WHEN junk_kind = 2 THEN $placeholders[1 + CAST(person_id % 3 AS INTEGER)]
        ELSE psa
    END AS nir_ano_17,
    CASE
        WHEN junk_kind = 3 THEN '90Z00Z'
        ELSE lpad(CAST(1 + coalesce(stay_id, person_id) % 27 AS VARCHAR), 2, '0') || 'M'
            || lpad(CAST(coalesce(stay_id, person_id) % 997 AS VARCHAR), 3, '0')
    END AS grg_ghm,
    {_RETURN_COLUMNS},
    year(discharge_date) % 100 AS yy
FROM stays
""",
)

PRODUCTS = """
SELECT DISTINCT product_code, atc FROM claims_dispensings
WHERE setting = $setting ORDER BY product_code
"""

IR_BEN_R = """
SELECT
    ps.psa AS BEN_NIR_PSA,
    1 AS BEN_RNG_GEM,
    CAST(p.person_id AS VARCHAR) AS BEN_IDT_ANO,
    CASE p.sex WHEN 'M' THEN 1 ELSE 2 END AS BEN_SEX_COD,
    strftime(p.birth_date, '%Y') AS BEN_NAI_ANN,
    strftime(p.birth_date, '%m') AS BEN_NAI_MOI,
    coalesce(p.death_date, DATE '1600-01-01') AS BEN_DCD_DTE,
    coalesce(ps.start_date, p.birth_date) AS BEN_DTE_INS,
    ps.end_date AS MAX_TRT_DTD,
    coalesce(ps.start_date, p.birth_date) AS BEN_DTE_MAJ
FROM claims_persons AS p
JOIN pseudo AS ps ON ps.person_id = p.person_id
ORDER BY p.person_id, ps.k
"""

# the nine DCIR keys of a line (dct_ord_num unique: one claim line, one detail line)
_KEYS = """
    CAST(date_trunc('month', date) + INTERVAL 1 MONTH AS DATE) AS FLX_DIS_DTD,
    date + CASE WHEN kind IN (2, 4) THEN 40 ELSE 5 END AS FLX_TRT_DTD,
    1 AS FLX_EMT_TYP,
    1 + person_id % 50 AS FLX_EMT_NUM,
    0 AS FLX_EMT_ORD,
    '01' || lpad(CAST(1 + person_id % 97 AS VARCHAR), 7, '0') AS ORG_CLE_NUM,
    dct_ord_num AS DCT_ORD_NUM,
    1 AS PRS_ORD_NUM,
    1 AS REM_TYP_AFF"""

ER_PRS_F = f"""
SELECT {_KEYS},
    psa AS BEN_NIR_PSA,
    1 AS BEN_RNG_GEM,
    date AS EXE_SOI_DTD,
    CASE WHEN kind = 3 THEN 71 ELSE 0 END AS DPN_QLF
FROM dcir_lines ORDER BY dct_ord_num
"""

ER_PHA_F = f"""
SELECT {_KEYS},
    CAST(product_code AS BIGINT) AS PHA_PRS_C13,
    CAST(quantity AS INTEGER) AS PHA_ACT_QSN
FROM dcir_lines WHERE detail = 'pha' ORDER BY dct_ord_num
"""

ER_UCD_F = f"""
SELECT {_KEYS},
    product_code AS UCD_UCD_COD,
    quantity AS UCD_DLV_NBR,
    0 AS UCD_TOP_UCD
FROM dcir_lines WHERE detail = 'ucd' ORDER BY dct_ord_num
"""

# an ALD is an interval: IMB_ALD_DTD its start, IMB_ALD_DTF its last day (null = open);
# a registration that began before the person's first coverage segment takes the
# pseudonym of that first segment
IR_IMB_R = f"""
SELECT psa AS BEN_NIR_PSA, 1 AS BEN_RNG_GEM, code AS MED_MTF_COD, date AS IMB_ALD_DTD,
    end_date AS IMB_ALD_DTF, nature AS IMB_ETM_NAT
FROM (
    SELECT coalesce(ps.psa, p1.psa) AS psa, d.code, d.date, d.end_date, 41 AS nature,
        d.person_id
    FROM claims_diagnoses AS d
    {_pseudonym_join("d", "date")}
    WHERE d.setting = 'long_term_disease'
    UNION ALL
    -- an exoneration that is not an ALD one, coded D69.3: the adapter must leave it out
    SELECT psa, 'D693', day, CAST(NULL AS DATE), 12, person_id FROM junk
)
ORDER BY person_id, date, code, nature, end_date
"""

_YEAR = "s.yy = $yy"
_STAY_ORDER = "ORDER BY s.eta_num, s.rsa_num"

PMSI = {
    "B": f"""
SELECT s.eta_num AS ETA_NUM, s.rsa_num AS RSA_NUM,
    CASE WHEN s.junk_kind > 0 THEN 'D693' ELSE pal.code END AS DGN_PAL,
    rel.code AS DGN_REL,
    s.grg_ghm AS GRG_GHM,
    strftime(s.discharge_date, '%Y') AS SOR_ANN,
    strftime(s.discharge_date, '%m') AS SOR_MOI
FROM pmsi_stays AS s
LEFT JOIN claims_diagnoses AS pal ON pal.stay_id = s.stay_id AND pal.setting = 'hospital_primary'
LEFT JOIN claims_diagnoses AS rel ON rel.stay_id = s.stay_id AND rel.setting = 'hospital_related'
WHERE {_YEAR} {_STAY_ORDER}
""",
    "C": f"""
SELECT s.eta_num AS ETA_NUM, s.rsa_num AS RSA_NUM, s.nir_ano_17 AS NIR_ANO_17,
    s.admission_date AS EXE_SOI_DTD, s.discharge_date AS EXE_SOI_DTF,
    {", ".join(f"s.{c} AS {c.upper()}" for c in RETURN_CODES)},
    strftime(s.discharge_date, '%Y') AS SOR_ANN
FROM pmsi_stays AS s WHERE {_YEAR} {_STAY_ORDER}
""",
    "D": f"""
SELECT s.eta_num AS ETA_NUM, s.rsa_num AS RSA_NUM,
    CASE WHEN s.junk_kind > 0 THEN 'D693' ELSE d.code END AS ASS_DGN
FROM pmsi_stays AS s
LEFT JOIN claims_diagnoses AS d ON d.stay_id = s.stay_id AND d.setting = 'hospital_associated'
WHERE {_YEAR} AND (s.junk_kind > 0 OR d.code IS NOT NULL) {_STAY_ORDER}, ASS_DGN
""",
    "A": f"""
SELECT s.eta_num AS ETA_NUM, s.rsa_num AS RSA_NUM,
    CASE WHEN s.junk_kind > 0 THEN 'FFFC001' ELSE a.code END AS CDC_ACT,
    CAST(coalesce(date_diff('day', s.admission_date, a.date), 0) AS INTEGER) AS ENT_DAT_DEL
FROM pmsi_stays AS s
LEFT JOIN claims_procedures AS a ON a.stay_id = s.stay_id
WHERE {_YEAR} AND (s.junk_kind > 0 OR a.code IS NOT NULL) {_STAY_ORDER}, CDC_ACT, ENT_DAT_DEL
""",
    "MED": f"""
SELECT * FROM (
    SELECT s.eta_num AS ETA_NUM, s.rsa_num AS RSA_NUM, m.product_code AS UCD_UCD_COD,
        m.quantity AS ADM_NBR,
        CAST(date_diff('day', s.admission_date, m.date) AS INTEGER) AS DELAI
    FROM pmsi_stays AS s
    JOIN hospital_drugs AS m ON m.stay_id = s.stay_id
    WHERE {_YEAR}
    UNION ALL
    -- IVIg in every junk stay
    SELECT s.eta_num, s.rsa_num,
        (SELECT min(product_code) FROM claims_dispensings WHERE atc = 'J06BA02'), 1.0, 0
    FROM pmsi_stays AS s
    WHERE {_YEAR} AND s.junk_kind > 0
)
WHERE UCD_UCD_COD IS NOT NULL
ORDER BY ETA_NUM, RSA_NUM, UCD_UCD_COD, DELAI, ADM_NBR
""",
}

# what the adapter must find and count (ground_truth/snds_layout.json)
INJECTED = {
    "return code": "SELECT count(*) FROM pmsi_stays WHERE junk_kind = 1",
    "placeholder id": "SELECT count(*) FROM pmsi_stays WHERE junk_kind = 2",
    "error GHM": "SELECT count(*) FROM pmsi_stays WHERE junk_kind = 3",
    "reversal line": "SELECT count(*) FROM dcir_lines WHERE kind IN (2, 4)",
    "information line": "SELECT count(*) FROM dcir_lines WHERE kind = 3",
    "not an ALD exoneration": "SELECT count(*) FROM junk",
    "several pseudonyms": "SELECT count(DISTINCT person_id) FROM pseudo WHERE k > 1",
}
