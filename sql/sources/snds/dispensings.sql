-- stage: sources/snds/dispensings
-- creates: raw_dispensings
-- purpose: drug dispensings. Community: DCIR claim lines (ER_PRS_F: pseudonym, EXE_SOI_DTD)
--          joined to their pharmacy detail (ER_PHA_F: PHA_PRS_C13 = CIP13, PHA_ACT_QSN =
--          boxes) on the nine DCIR keys, ATC from IR_PHA_R (PHA_CIP_C13 -> PHA_ATC_C07).
--          An older line carries the 7-digit CIP only (PHA_PRS_IDE, PHA_PRS_C13 empty or
--          0): IR_PHA_R's PHA_PRS_IDE gives its CIP13 (an unknown CIP7 stays as read, with
--          no ATC). Retroceded hospital drugs: the same join to ER_UCD_F (UCD_UCD_COD,
--          UCD_DLV_NBR), setting hospital. Left out: lines sent for information only
--          (DPN_QLF or PRS_DPN_QLP = info_only_qualifier, 71) and lines of a fictitious
--          identifier (BEN_CDI_NIR other than normal_nir). Reversals: the identical lines
--          of one pseudonym, day, setting and product are summed (a reversal carries a
--          negative quantity) and the total kept when positive, as one dispensing; a
--          line whose quantity does not parse passes alone, for the screening to set
--          aside. In-stay hospital drugs of the kept PMSI stays: T_MCOaaMED (ADM_NBR,
--          DELAI), T_MCOaaFH (private hospitals' drugs billed on top of the stay: QUA_COD,
--          DEL_DAT_ENT, from 2013) and T_MCOaaMEDATU (early access: ADM_NBR, DAT_DELAI),
--          dated at admission + the delay (the admission when missing). The ATC of a UCD
--          code: IR_PHA_R rows whose PHA_CIP_UCD is that code (the smallest ATC when they
--          disagree; likewise for a CIP13). Dates are typed here (an unparseable one reads
--          as missing); quantities pass as text, typed by the screening.
-- inputs: src_er_prs_f, src_er_pha_f, src_er_ucd_f, src_ir_pha_r, src_t_mcoaamed, src_t_mcoaafh, src_t_mcoaamedatu, snds_stays, snds_pseudonyms, snds_settings
CREATE OR REPLACE TEMP VIEW raw_dispensings AS
WITH claims AS (
    SELECT
        coalesce(
            TRY_CAST(p.flx_dis_dtd AS DATE),
            CAST(try_strptime(CAST(p.flx_dis_dtd AS VARCHAR), ['%d%b%Y:%H:%M:%S', '%d%b%Y', '%d%m%Y']) AS DATE)
        ) AS flx_dis_dtd,
        coalesce(
            TRY_CAST(p.flx_trt_dtd AS DATE),
            CAST(try_strptime(CAST(p.flx_trt_dtd AS VARCHAR), ['%d%b%Y:%H:%M:%S', '%d%b%Y', '%d%m%Y']) AS DATE)
        ) AS flx_trt_dtd,
        TRY_CAST(p.flx_emt_typ AS BIGINT) AS flx_emt_typ,
        TRY_CAST(p.flx_emt_num AS BIGINT) AS flx_emt_num,
        TRY_CAST(p.flx_emt_ord AS BIGINT) AS flx_emt_ord,
        CAST(p.org_cle_num AS VARCHAR) AS org_cle_num,
        TRY_CAST(p.dct_ord_num AS BIGINT) AS dct_ord_num,
        TRY_CAST(p.prs_ord_num AS BIGINT) AS prs_ord_num,
        TRY_CAST(p.rem_typ_aff AS BIGINT) AS rem_typ_aff,
        CAST(p.ben_nir_psa AS VARCHAR) AS ben_nir_psa,
        TRY_CAST(p.ben_rng_gem AS INTEGER) AS ben_rng_gem,
        coalesce(
            TRY_CAST(p.exe_soi_dtd AS DATE),
            CAST(try_strptime(CAST(p.exe_soi_dtd AS VARCHAR), ['%d%b%Y:%H:%M:%S', '%d%b%Y', '%d%m%Y']) AS DATE)
        ) AS exe_soi_dtd
    FROM src_er_prs_f AS p
    CROSS JOIN snds_settings AS k
    WHERE TRY_CAST(p.dpn_qlf AS INTEGER) IS DISTINCT FROM k.info_only_qualifier
        AND TRY_CAST(p.prs_dpn_qlp AS INTEGER) IS DISTINCT FROM k.info_only_qualifier
        AND coalesce(lpad(trim(CAST(p.ben_cdi_nir AS VARCHAR)), 2, '0') = k.normal_nir, TRUE)
),
cip7_cip13 AS (
    SELECT TRY_CAST(r.pha_prs_ide AS BIGINT) AS cip7,
        min(CAST(TRY_CAST(r.pha_cip_c13 AS BIGINT) AS VARCHAR)) AS cip13
    FROM src_ir_pha_r AS r
    WHERE TRY_CAST(r.pha_prs_ide AS BIGINT) IS NOT NULL
    GROUP BY TRY_CAST(r.pha_prs_ide AS BIGINT)
),
details AS (
    -- each side typed on its own: a typed date never goes through text
    SELECT
        coalesce(
            TRY_CAST(h.flx_dis_dtd AS DATE),
            CAST(try_strptime(CAST(h.flx_dis_dtd AS VARCHAR), ['%d%b%Y:%H:%M:%S', '%d%b%Y', '%d%m%Y']) AS DATE)
        ) AS flx_dis_dtd,
        coalesce(
            TRY_CAST(h.flx_trt_dtd AS DATE),
            CAST(try_strptime(CAST(h.flx_trt_dtd AS VARCHAR), ['%d%b%Y:%H:%M:%S', '%d%b%Y', '%d%m%Y']) AS DATE)
        ) AS flx_trt_dtd,
        TRY_CAST(h.flx_emt_typ AS BIGINT) AS flx_emt_typ,
        TRY_CAST(h.flx_emt_num AS BIGINT) AS flx_emt_num,
        TRY_CAST(h.flx_emt_ord AS BIGINT) AS flx_emt_ord,
        CAST(h.org_cle_num AS VARCHAR) AS org_cle_num,
        TRY_CAST(h.dct_ord_num AS BIGINT) AS dct_ord_num,
        TRY_CAST(h.prs_ord_num AS BIGINT) AS prs_ord_num,
        TRY_CAST(h.rem_typ_aff AS BIGINT) AS rem_typ_aff,
        'community' AS setting,
        CASE
            -- a CIP13 is a number in the schema: its text is the 13 digits
            WHEN coalesce(TRY_CAST(h.pha_prs_c13 AS BIGINT), -1) <> 0
                AND trim(coalesce(CAST(h.pha_prs_c13 AS VARCHAR), '')) <> ''
                THEN coalesce(
                    CAST(TRY_CAST(h.pha_prs_c13 AS BIGINT) AS VARCHAR),
                    CAST(h.pha_prs_c13 AS VARCHAR)
                )
            ELSE coalesce(m.cip13, CAST(TRY_CAST(h.pha_prs_ide AS BIGINT) AS VARCHAR))
        END AS product_code,
        CAST(h.pha_act_qsn AS VARCHAR) AS quantity
    FROM src_er_pha_f AS h
    LEFT JOIN cip7_cip13 AS m ON m.cip7 = TRY_CAST(h.pha_prs_ide AS BIGINT)
    UNION ALL
    SELECT
        coalesce(
            TRY_CAST(u.flx_dis_dtd AS DATE),
            CAST(try_strptime(CAST(u.flx_dis_dtd AS VARCHAR), ['%d%b%Y:%H:%M:%S', '%d%b%Y', '%d%m%Y']) AS DATE)
        ),
        coalesce(
            TRY_CAST(u.flx_trt_dtd AS DATE),
            CAST(try_strptime(CAST(u.flx_trt_dtd AS VARCHAR), ['%d%b%Y:%H:%M:%S', '%d%b%Y', '%d%m%Y']) AS DATE)
        ),
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
        TRY_CAST(d.quantity AS DOUBLE) AS signed_quantity
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
summed AS (
    -- identical lines summed: a reversal cancels what it reverses
    SELECT ben_nir_psa, ben_rng_gem, exe_soi_dtd, setting, product_code,
        CAST(sum(signed_quantity) AS VARCHAR) AS quantity
    FROM lines
    WHERE signed_quantity IS NOT NULL
    GROUP BY ben_nir_psa, ben_rng_gem, exe_soi_dtd, setting, product_code
    HAVING sum(signed_quantity) > 0
    UNION ALL
    SELECT ben_nir_psa, ben_rng_gem, exe_soi_dtd, setting, product_code, quantity
    FROM lines
    WHERE signed_quantity IS NULL
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
),
in_stay AS (
    SELECT eta_num, rsa_num, file_year, ucd_ucd_cod, CAST(adm_nbr AS VARCHAR) AS quantity,
        delai AS delay
    FROM src_t_mcoaamed
    UNION ALL
    SELECT eta_num, rsa_num, file_year, ucd_ucd_cod, CAST(qua_cod AS VARCHAR), del_dat_ent
    FROM src_t_mcoaafh
    UNION ALL
    SELECT eta_num, rsa_num, file_year, ucd_ucd_cod, CAST(adm_nbr AS VARCHAR), dat_delai
    FROM src_t_mcoaamedatu
)
SELECT
    s.person_id,
    p.exe_soi_dtd AS date,
    CASE WHEN p.setting = 'community' THEN ca.atc ELSE ua.atc END AS atc,
    p.product_code,
    p.setting,
    p.quantity,
    CAST(NULL AS INTEGER) AS days_supply,
    CAST(NULL AS DATE) AS end_date,  -- SNDS has no end of supply
    CAST(NULL AS BIGINT) AS concept_id
FROM summed AS p
LEFT JOIN snds_pseudonyms AS s
    ON s.ben_nir_psa = p.ben_nir_psa AND s.ben_rng_gem = p.ben_rng_gem
LEFT JOIN cip_atc AS ca ON p.setting = 'community' AND ca.product_code = p.product_code
LEFT JOIN ucd_atc AS ua ON p.setting = 'hospital' AND ua.product_code = p.product_code
UNION ALL
SELECT
    st.person_id,
    st.admission_day + coalesce(TRY_CAST(m.delay AS INTEGER), 0),
    ua.atc,
    lpad(trim(CAST(m.ucd_ucd_cod AS VARCHAR)), k.ucd_digits, '0'),
    'hospital',
    m.quantity,
    CAST(NULL AS INTEGER),
    CAST(NULL AS DATE),
    CAST(NULL AS BIGINT)
FROM in_stay AS m
CROSS JOIN snds_settings AS k
JOIN snds_stays AS st
    ON st.eta_num = coalesce(CAST(TRY_CAST(m.eta_num AS BIGINT) AS VARCHAR), trim(CAST(m.eta_num AS VARCHAR)))
    AND st.rsa_num = CAST(m.file_year AS VARCHAR) || '/' || coalesce(CAST(TRY_CAST(m.rsa_num AS BIGINT) AS VARCHAR), trim(CAST(m.rsa_num AS VARCHAR)))
LEFT JOIN ucd_atc AS ua ON ua.product_code = lpad(trim(CAST(m.ucd_ucd_cod AS VARCHAR)), k.ucd_digits, '0')
WHERE st.problem IS NULL
