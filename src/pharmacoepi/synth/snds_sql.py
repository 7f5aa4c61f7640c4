"""DuckDB statements that turn the synthetic claims tables (views claims_<table>) into the
SNDS beneficiary, DCIR and referential tables (snds_layout.py runs them; snds_pmsi.py holds
the PMSI ones). Column names follow the public SNDS schema, types are cast by
snds_schema.typed. Selections are arithmetic on ids and dates (no random draws), so a
dataset converts to the same rows every time. `$name` parameters are the documented
conventions of snds_conventions.py."""

from __future__ import annotations

# The pseudonym of a claim: the one of the coverage segment holding its date, else the
# person's first (a claim outside coverage would otherwise have none).
_PSEUDONYM_JOIN = """
LEFT JOIN pseudo AS ps ON ps.person_id = {t}.person_id
    AND {t}.{date} BETWEEN ps.start_date AND ps.end_date
LEFT JOIN pseudo AS p1 ON p1.person_id = {t}.person_id AND p1.k = 1
"""


def pseudonym_join(table: str, date: str) -> str:
    return _PSEUDONYM_JOIN.format(t=table, date=date)


# 1 person in 211: the persons who get junk records the adapter must drop
_JUNK = "(p.person_id * 7919) % 211 = 0"
# ~1% of community lines get a copy and its reversal, ~0.5% an information copy
_LINE_DRAW = (
    "(person_id * 1000003 + date_diff('day', DATE '1970-01-01', date) * 7919"
    " + CAST(product_code AS BIGINT) % 1000003) % 1000"
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
    # Fictitious beneficiaries (one per ten junk persons, at least three): a pseudonym of
    # their own, a fictitious BEN_CDI_NIR, spread over the data's years. Their
    # BEN_IDT_ANO is BEN_NIR_PSA || BEN_RNG_GEM, as for any NIR without BEN_NIR_ANO
    # (essentiel_snds.md, causes de deces): no real person has it.
    """
CREATE TEMP TABLE fictitious AS
WITH bounds AS (
    SELECT min(start_date) AS first_day,
        greatest(date_diff('day', min(start_date), max(end_date)) - 60, 1) AS days
    FROM claims_observation_periods
),
n AS (SELECT unnest(range(1, greatest(3, (SELECT count(*) FROM junk) // 10) + 1)) AS k)
SELECT n.k,
    upper(substr(md5('synthetic-fictitious-psa:' || CAST(n.k AS VARCHAR)), 1, 17)) AS psa,
    $fictitious_nirs[1 + CAST(n.k % len($fictitious_nirs) AS INTEGER)] AS cdi_nir,
    b.first_day + CAST((n.k * 389) % b.days AS INTEGER) AS day
FROM n CROSS JOIN bounds AS b
""",
    # every IR_BEN_R / IR_BEN_R_ARC row: real pseudonyms, then the fictitious ones
    """
CREATE TEMP TABLE beneficiaries AS
SELECT
    ps.psa AS BEN_NIR_PSA,
    1 AS BEN_RNG_GEM,
    CAST(p.person_id AS VARCHAR) AS BEN_IDT_ANO,
    $normal_nir AS BEN_CDI_NIR,
    CASE p.sex WHEN 'M' THEN 1 ELSE 2 END AS BEN_SEX_COD,
    strftime(p.birth_date, '%Y') AS BEN_NAI_ANN,
    strftime(p.birth_date, '%m') AS BEN_NAI_MOI,
    coalesce(p.death_date, $missing_date) AS BEN_DCD_DTE,
    -- inserted before 2012: the referential does not know when
    CASE WHEN coalesce(ps.start_date, p.birth_date) < $insertion_known_from THEN $missing_date
        ELSE coalesce(ps.start_date, p.birth_date) END AS BEN_DTE_INS,
    ps.end_date AS MAX_TRT_DTD,
    coalesce(ps.start_date, p.birth_date) AS BEN_DTE_MAJ,
    coalesce(p.death_date < $archived_before, FALSE) AS archived,
    p.person_id AS row_person,
    ps.k AS row_k
FROM claims_persons AS p
JOIN pseudo AS ps ON ps.person_id = p.person_id
UNION ALL
SELECT f.psa, 1, f.psa || '1', f.cdi_nir, 2, CAST($fictitious_birth_year AS VARCHAR), '01',
    $missing_date,
    CASE WHEN f.day < $insertion_known_from THEN $missing_date ELSE f.day END,
    f.day + 35, f.day, FALSE, NULL, f.k
FROM fictitious AS f
""",
    # hospital drugs given on a day of one of the person's stays belong to that stay
    """
CREATE TEMP TABLE hospital_drugs AS
WITH hosp AS (
    SELECT person_id, date, product_code, atc, quantity
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
    # copy, 4 an unmatched reversal (junk persons, on a day without that product, so no
    # line of the same day and product absorbs it), 5 a line of a fictitious beneficiary
    # (prednisone twice, IVIg retroceded once: ITP first-line drugs)
    f"""
CREATE TEMP TABLE dcir_lines AS
WITH community AS (
    SELECT person_id, date, product_code, quantity, {_LINE_DRAW} AS draw
    FROM claims_dispensings WHERE setting = 'community'
),
reversed AS (SELECT min(product_code) AS code FROM community),
fictitious_drugs AS (
    SELECT 0 AS offset, 'pha' AS detail,
        (SELECT min(product_code) FROM claims_dispensings
         WHERE setting = 'community' AND atc = 'H02AB07') AS product_code, 2.0 AS quantity
    UNION ALL
    SELECT 30, 'pha', (SELECT min(product_code) FROM claims_dispensings
        WHERE setting = 'community' AND atc = 'H02AB07'), 1.0
    UNION ALL
    SELECT 7, 'ucd', (SELECT min(product_code) FROM hospital_drugs WHERE atc = 'J06BA02'), 4.0
),
lines AS (
    SELECT person_id, date, product_code, quantity, 'pha' AS detail, 0 AS kind,
        CAST(NULL AS VARCHAR) AS given_psa, $normal_nir AS cdi_nir
    FROM community
    UNION ALL
    SELECT person_id, date, product_code, quantity, 'pha', 1, NULL, $normal_nir
    FROM community WHERE draw < 10
    UNION ALL
    SELECT person_id, date, product_code, -quantity, 'pha', 2, NULL, $normal_nir
    FROM community WHERE draw < 10
    UNION ALL
    SELECT person_id, date, product_code, quantity, 'pha', 3, NULL, $normal_nir
    FROM community WHERE draw BETWEEN 10 AND 14
    UNION ALL
    SELECT j.person_id, j.day, r.code, -7.0, 'pha', 4, NULL, $normal_nir
    FROM junk AS j CROSS JOIN reversed AS r
    WHERE NOT EXISTS (
        SELECT 1 FROM community AS c
        WHERE c.person_id = j.person_id AND c.date = j.day AND c.product_code = r.code
    )
    UNION ALL
    SELECT person_id, date, product_code, quantity, 'ucd', 0, NULL, $normal_nir
    FROM hospital_drugs WHERE stay_id IS NULL
    UNION ALL
    SELECT NULL, f.day + d.offset, d.product_code, d.quantity, d.detail, 5, f.psa, f.cdi_nir
    FROM fictitious AS f CROSS JOIN fictitious_drugs AS d
    WHERE d.product_code IS NOT NULL
)
SELECT
    l.*,
    row_number() OVER (
        ORDER BY l.person_id NULLS LAST, l.given_psa, l.date, l.detail, l.product_code,
            l.kind, l.quantity
    ) AS dct_ord_num,
    coalesce(l.given_psa, ps.psa, p1.psa) AS psa
FROM lines AS l
{pseudonym_join("l", "date")}
""",
)

PRODUCTS = """
SELECT DISTINCT product_code, atc FROM claims_dispensings
WHERE setting = $setting ORDER BY product_code
"""

_BENEFICIARY_COLUMNS = """BEN_NIR_PSA, BEN_RNG_GEM, BEN_IDT_ANO, BEN_CDI_NIR, BEN_SEX_COD,
    BEN_NAI_ANN, BEN_NAI_MOI, BEN_DCD_DTE, BEN_DTE_INS, MAX_TRT_DTD, BEN_DTE_MAJ"""

IR_BEN_R = f"""
SELECT {_BENEFICIARY_COLUMNS} FROM beneficiaries WHERE NOT archived
ORDER BY row_person NULLS LAST, row_k
"""

# the pseudonyms of the persons who died before 2013 are archived
IR_BEN_R_ARC = f"""
SELECT {_BENEFICIARY_COLUMNS} FROM beneficiaries WHERE archived ORDER BY row_person, row_k
"""

# the nine DCIR keys of a line (dct_ord_num unique: one claim line, one detail line)
_KEYS = """
    CAST(date_trunc('month', date) + INTERVAL 1 MONTH AS DATE) AS FLX_DIS_DTD,
    date + CASE WHEN kind IN (2, 4) THEN 40 ELSE 5 END AS FLX_TRT_DTD,
    1 AS FLX_EMT_TYP,
    1 + coalesce(person_id, 0) % 50 AS FLX_EMT_NUM,
    0 AS FLX_EMT_ORD,
    '01' || lpad(CAST(1 + coalesce(person_id, 0) % 97 AS VARCHAR), 7, '0') AS ORG_CLE_NUM,
    dct_ord_num AS DCT_ORD_NUM,
    1 AS PRS_ORD_NUM,
    1 AS REM_TYP_AFF"""

# an information line is flagged by DPN_QLF on even line numbers, PRS_DPN_QLP on odd ones
ER_PRS_F = f"""
SELECT {_KEYS},
    psa AS BEN_NIR_PSA,
    1 AS BEN_RNG_GEM,
    cdi_nir AS BEN_CDI_NIR,
    date AS EXE_SOI_DTD,
    CASE WHEN kind = 3 AND dct_ord_num % 2 = 0 THEN $info_only_qualifier ELSE 0 END AS DPN_QLF,
    CASE WHEN kind = 3 AND dct_ord_num % 2 = 1 THEN $info_only_qualifier ELSE 0 END
        AS PRS_DPN_QLP
FROM dcir_lines ORDER BY dct_ord_num
"""

# Before 2008 the CIP13 is missing (null on odd line numbers, 0 on even ones): the product
# is its CIP7, which every line carries
ER_PHA_F = f"""
SELECT {_KEYS},
    CASE
        WHEN date >= $cip13_from THEN CAST(product_code AS BIGINT)
        WHEN dct_ord_num % 2 = 0 THEN 0
    END AS PHA_PRS_C13,
    CAST(substr(product_code, $cip7_start, $cip7_length) AS BIGINT) AS PHA_PRS_IDE,
    quantity AS PHA_ACT_QSN
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
    {pseudonym_join("d", "date")}
    WHERE d.setting = 'long_term_disease'
    UNION ALL
    -- an exoneration that is not an ALD one, coded D69.3: the adapter must leave it out
    SELECT psa, 'D693', day, CAST(NULL AS DATE), 12, person_id FROM junk
)
ORDER BY person_id, date, code, nature, end_date
"""
