-- stage: sources/snds/dispensings
-- creates: raw_dispensings
-- purpose: drug dispensings. Community: DCIR claim lines (ER_PRS_F: pseudonym, EXE_SOI_DTD)
--          joined to their pharmacy detail (ER_PHA_F: PHA_PRS_C13 = CIP13, PHA_ACT_QSN =
--          boxes) on the nine DCIR keys, ATC from IR_PHA_R (PHA_CIP_C13 -> PHA_ATC_C07).
--          Retroceded hospital drugs: the same join to ER_UCD_F (UCD_UCD_COD, UCD_DLV_NBR),
--          setting hospital. Lines with DPN_QLF = info_only_qualifier (71) are information
--          copies, not claims: left out. Reversals: a line with a negative quantity
--          cancels one line of the same pseudonym, day, product and opposite quantity
--          (each reversal one line, in key order); both are left out, and a reversal with
--          nothing to cancel is left out too. In-stay hospital drugs: T_MCOaaMED of the
--          kept PMSI stays (UCD_UCD_COD, ADM_NBR administrations), dated at admission +
--          DELAI. The ATC of a UCD code: IR_PHA_R rows whose PHA_CIP_UCD is that code (the
--          smallest ATC when they disagree; likewise for a CIP13). Dates are typed here
--          (an unparseable one reads as missing); quantities pass as text, typed by the
--          screening.
-- inputs: src_er_prs_f, src_er_pha_f, src_er_ucd_f, src_ir_pha_r, src_t_mcoaamed, snds_stays, snds_pseudonyms, snds_settings
CREATE OR REPLACE TEMP VIEW raw_dispensings AS
WITH claims AS (
    SELECT
        TRY_CAST(p.flx_dis_dtd AS DATE) AS flx_dis_dtd,
        TRY_CAST(p.flx_trt_dtd AS DATE) AS flx_trt_dtd,
        TRY_CAST(p.flx_emt_typ AS BIGINT) AS flx_emt_typ,
        TRY_CAST(p.flx_emt_num AS BIGINT) AS flx_emt_num,
        TRY_CAST(p.flx_emt_ord AS BIGINT) AS flx_emt_ord,
        CAST(p.org_cle_num AS VARCHAR) AS org_cle_num,
        TRY_CAST(p.dct_ord_num AS BIGINT) AS dct_ord_num,
        TRY_CAST(p.prs_ord_num AS BIGINT) AS prs_ord_num,
        TRY_CAST(p.rem_typ_aff AS BIGINT) AS rem_typ_aff,
        CAST(p.ben_nir_psa AS VARCHAR) AS ben_nir_psa,
        TRY_CAST(p.ben_rng_gem AS INTEGER) AS ben_rng_gem,
        p.exe_soi_dtd
    FROM src_er_prs_f AS p
    CROSS JOIN snds_settings AS k
    WHERE p.dpn_qlf IS NULL OR TRY_CAST(p.dpn_qlf AS INTEGER) IS DISTINCT FROM k.info_only_qualifier
),
details AS (
    SELECT
        TRY_CAST(h.flx_dis_dtd AS DATE) AS flx_dis_dtd,
        TRY_CAST(h.flx_trt_dtd AS DATE) AS flx_trt_dtd,
        TRY_CAST(h.flx_emt_typ AS BIGINT) AS flx_emt_typ,
        TRY_CAST(h.flx_emt_num AS BIGINT) AS flx_emt_num,
        TRY_CAST(h.flx_emt_ord AS BIGINT) AS flx_emt_ord,
        CAST(h.org_cle_num AS VARCHAR) AS org_cle_num,
        TRY_CAST(h.dct_ord_num AS BIGINT) AS dct_ord_num,
        TRY_CAST(h.prs_ord_num AS BIGINT) AS prs_ord_num,
        TRY_CAST(h.rem_typ_aff AS BIGINT) AS rem_typ_aff,
        'community' AS setting,
        -- a CIP13 is a number in the schema: its text is the 13 digits
        coalesce(CAST(TRY_CAST(h.pha_prs_c13 AS BIGINT) AS VARCHAR), CAST(h.pha_prs_c13 AS VARCHAR))
            AS product_code,
        CAST(h.pha_act_qsn AS VARCHAR) AS quantity
    FROM src_er_pha_f AS h
    UNION ALL
    SELECT
        TRY_CAST(u.flx_dis_dtd AS DATE),
        TRY_CAST(u.flx_trt_dtd AS DATE),
        TRY_CAST(u.flx_emt_typ AS BIGINT),
        TRY_CAST(u.flx_emt_num AS BIGINT),
        TRY_CAST(u.flx_emt_ord AS BIGINT),
        CAST(u.org_cle_num AS VARCHAR),
        TRY_CAST(u.dct_ord_num AS BIGINT),
        TRY_CAST(u.prs_ord_num AS BIGINT),
        TRY_CAST(u.rem_typ_aff AS BIGINT),
        'hospital',
        lpad(trim(CAST(u.ucd_ucd_cod AS VARCHAR)), k.ucd_digits, '0'),
        CAST(u.ucd_dlv_nbr AS VARCHAR)
    FROM src_er_ucd_f AS u
    CROSS JOIN snds_settings AS k
),
lines AS (
    SELECT
        c.ben_nir_psa,
        c.ben_rng_gem,
        c.exe_soi_dtd,
        d.setting,
        d.product_code,
        d.quantity,
        TRY_CAST(d.quantity AS DOUBLE) AS signed_quantity,
        c.flx_trt_dtd,
        c.dct_ord_num
    FROM claims AS c
    JOIN details AS d
        ON d.flx_dis_dtd = c.flx_dis_dtd
        AND d.flx_trt_dtd = c.flx_trt_dtd
        AND d.flx_emt_typ = c.flx_emt_typ
        AND d.flx_emt_num = c.flx_emt_num
        AND d.flx_emt_ord = c.flx_emt_ord
        AND d.org_cle_num = c.org_cle_num
        AND d.dct_ord_num = c.dct_ord_num
        AND d.prs_ord_num = c.prs_ord_num
        AND d.rem_typ_aff = c.rem_typ_aff
),
paired AS (
    SELECT
        l.*,
        -- the k-th line of a quantity is cancelled when at least k reversals of it exist
        row_number() OVER (
            PARTITION BY l.ben_nir_psa, l.ben_rng_gem, l.exe_soi_dtd, l.setting, l.product_code,
                l.signed_quantity
            ORDER BY l.flx_trt_dtd, l.dct_ord_num
        ) AS line_rank,
        sum(CASE WHEN l.signed_quantity < 0 THEN 1 ELSE 0 END) OVER (
            PARTITION BY l.ben_nir_psa, l.ben_rng_gem, l.exe_soi_dtd, l.setting, l.product_code,
                abs(l.signed_quantity)
        ) AS reversals
    FROM lines AS l
),
cip_atc AS (
    SELECT CAST(TRY_CAST(r.pha_cip_c13 AS BIGINT) AS VARCHAR) AS product_code,
        min(CAST(r.pha_atc_c07 AS VARCHAR)) AS atc
    FROM src_ir_pha_r AS r
    GROUP BY CAST(TRY_CAST(r.pha_cip_c13 AS BIGINT) AS VARCHAR)
),
ucd_atc AS (
    SELECT lpad(CAST(TRY_CAST(r.pha_cip_ucd AS BIGINT) AS VARCHAR), k.ucd_digits, '0') AS product_code,
        min(CAST(r.pha_atc_c07 AS VARCHAR)) AS atc
    FROM src_ir_pha_r AS r
    CROSS JOIN snds_settings AS k
    WHERE TRY_CAST(r.pha_cip_ucd AS BIGINT) IS NOT NULL
    GROUP BY lpad(CAST(TRY_CAST(r.pha_cip_ucd AS BIGINT) AS VARCHAR), k.ucd_digits, '0')
)
SELECT
    s.person_id,
    TRY_CAST(p.exe_soi_dtd AS DATE) AS date,
    CASE WHEN p.setting = 'community' THEN ca.atc ELSE ua.atc END AS atc,
    p.product_code,
    p.setting,
    p.quantity,
    CAST(NULL AS INTEGER) AS days_supply,
    CAST(NULL AS DATE) AS end_date,  -- SNDS has no end of supply
    CAST(NULL AS BIGINT) AS concept_id
FROM paired AS p
LEFT JOIN snds_pseudonyms AS s
    ON s.ben_nir_psa = p.ben_nir_psa AND s.ben_rng_gem = p.ben_rng_gem
LEFT JOIN cip_atc AS ca ON p.setting = 'community' AND ca.product_code = p.product_code
LEFT JOIN ucd_atc AS ua ON p.setting = 'hospital' AND ua.product_code = p.product_code
WHERE NOT coalesce(p.signed_quantity < 0, FALSE)
    AND NOT (coalesce(p.signed_quantity > 0, FALSE) AND p.line_rank <= p.reversals)
UNION ALL
SELECT
    st.person_id,
    st.admission_day + coalesce(TRY_CAST(m.delai AS INTEGER), 0),
    ua.atc,
    lpad(trim(CAST(m.ucd_ucd_cod AS VARCHAR)), k.ucd_digits, '0'),
    'hospital',
    CAST(m.adm_nbr AS VARCHAR),
    CAST(NULL AS INTEGER),
    CAST(NULL AS DATE),
    CAST(NULL AS BIGINT)
FROM src_t_mcoaamed AS m
CROSS JOIN snds_settings AS k
JOIN snds_stays AS st
    ON st.eta_num = CAST(m.eta_num AS VARCHAR) AND st.rsa_num = (CAST(m.file_year AS VARCHAR) || '/' || CAST(m.rsa_num AS VARCHAR))
LEFT JOIN ucd_atc AS ua ON ua.product_code = lpad(trim(CAST(m.ucd_ucd_cod AS VARCHAR)), k.ucd_digits, '0')
WHERE st.problem IS NULL
