-- stage: sources/snds/diagnoses
-- creates: raw_diagnoses
-- purpose: ICD-10 codes: of each kept PMSI MCO stay, dated at its admission (the contract's
--          convention), DGN_PAL -> hospital_primary, DGN_REL -> hospital_related (T_MCOaaB),
--          ASS_DGN -> hospital_associated (T_MCOaaD); the main and related diagnoses of the
--          stay's medical units (T_MCOaaUM DGN_PAL, DGN_REL) in the same two settings,
--          where the stay does not already hold that code in that setting (a one-unit
--          stay repeats its own). PMSI tables join on the keys' numeric value:
--          ETA_NUM / RSA_NUM are integers in T_MCOaaB/C and text elsewhere.
--          Long-term disease registrations (IR_IMB_R: MED_MTF_COD from IMB_ALD_DTD to
--          IMB_ALD_DTF) -> long_term_disease, when the exoneration is an ALD one
--          (IMB_ETM_NAT in ald_exonerations, or not given). An ALD is a status, not an
--          event: end_date = IMB_ALD_DTF, inclusive; missing, the missing-date value or no
--          column: open-ended (null). Blank codes (no related diagnosis) give no row.
--          Dates are typed here (UNION ALL needs one type), so an unparseable one reads as
--          missing and the screening sets it aside.
-- inputs: src_t_mcoaab, src_t_mcoaad, src_t_mcoaaum, src_ir_imb_r, snds_stays, snds_pseudonyms, snds_settings
CREATE OR REPLACE TEMP VIEW raw_diagnoses AS
WITH stay_codes AS (
    SELECT s.person_id, s.admission_day, s.stay_id, CAST(b.dgn_pal AS VARCHAR) AS code,
        'hospital_primary' AS setting
    FROM src_t_mcoaab AS b
    JOIN snds_stays AS s
        ON s.eta_num = coalesce(CAST(TRY_CAST(b.eta_num AS BIGINT) AS VARCHAR), trim(CAST(b.eta_num AS VARCHAR)))
        AND s.rsa_num = CAST(b.file_year AS VARCHAR) || '/' || coalesce(CAST(TRY_CAST(b.rsa_num AS BIGINT) AS VARCHAR), trim(CAST(b.rsa_num AS VARCHAR)))
    WHERE s.problem IS NULL
    UNION ALL
    SELECT s.person_id, s.admission_day, s.stay_id, CAST(b.dgn_rel AS VARCHAR),
        'hospital_related'
    FROM src_t_mcoaab AS b
    JOIN snds_stays AS s
        ON s.eta_num = coalesce(CAST(TRY_CAST(b.eta_num AS BIGINT) AS VARCHAR), trim(CAST(b.eta_num AS VARCHAR)))
        AND s.rsa_num = CAST(b.file_year AS VARCHAR) || '/' || coalesce(CAST(TRY_CAST(b.rsa_num AS BIGINT) AS VARCHAR), trim(CAST(b.rsa_num AS VARCHAR)))
    WHERE s.problem IS NULL
    UNION ALL
    SELECT s.person_id, s.admission_day, s.stay_id, CAST(d.ass_dgn AS VARCHAR),
        'hospital_associated'
    FROM src_t_mcoaad AS d
    JOIN snds_stays AS s
        ON s.eta_num = coalesce(CAST(TRY_CAST(d.eta_num AS BIGINT) AS VARCHAR), trim(CAST(d.eta_num AS VARCHAR)))
        AND s.rsa_num = CAST(d.file_year AS VARCHAR) || '/' || coalesce(CAST(TRY_CAST(d.rsa_num AS BIGINT) AS VARCHAR), trim(CAST(d.rsa_num AS VARCHAR)))
    WHERE s.problem IS NULL
),
unit_codes AS (
    SELECT DISTINCT s.person_id, s.admission_day, s.stay_id, u.code, u.setting
    FROM (
        SELECT eta_num, rsa_num, file_year, CAST(dgn_pal AS VARCHAR) AS code,
            'hospital_primary' AS setting
        FROM src_t_mcoaaum
        UNION ALL
        SELECT eta_num, rsa_num, file_year, CAST(dgn_rel AS VARCHAR), 'hospital_related'
        FROM src_t_mcoaaum
    ) AS u
    JOIN snds_stays AS s
        ON s.eta_num = coalesce(CAST(TRY_CAST(u.eta_num AS BIGINT) AS VARCHAR), trim(CAST(u.eta_num AS VARCHAR)))
        AND s.rsa_num = CAST(u.file_year AS VARCHAR) || '/' || coalesce(CAST(TRY_CAST(u.rsa_num AS BIGINT) AS VARCHAR), trim(CAST(u.rsa_num AS VARCHAR)))
    WHERE s.problem IS NULL
        AND NOT EXISTS (
            SELECT 1 FROM stay_codes AS c
            WHERE c.stay_id = s.stay_id AND c.setting = u.setting
                AND trim(c.code) = trim(u.code)
        )
)
SELECT person_id, admission_day AS date, code, setting, stay_id,
    CAST(NULL AS BIGINT) AS concept_id, CAST(NULL AS DATE) AS end_date
FROM stay_codes
WHERE trim(coalesce(code, '')) <> ''
UNION ALL
SELECT person_id, admission_day, code, setting, stay_id, CAST(NULL AS BIGINT),
    CAST(NULL AS DATE)
FROM unit_codes
WHERE trim(coalesce(code, '')) <> ''
UNION ALL
SELECT
    p.person_id,
    coalesce(
        TRY_CAST(i.imb_ald_dtd AS DATE),
        CAST(try_strptime(CAST(i.imb_ald_dtd AS VARCHAR), ['%d%b%Y:%H:%M:%S', '%d%b%Y', '%d%m%Y']) AS DATE)
    ),
    CAST(i.med_mtf_cod AS VARCHAR),
    'long_term_disease',
    CAST(NULL AS VARCHAR),
    CAST(NULL AS BIGINT),
    nullif(
        coalesce(
            TRY_CAST(i.imb_ald_dtf AS DATE),
            CAST(try_strptime(CAST(i.imb_ald_dtf AS VARCHAR), ['%d%b%Y:%H:%M:%S', '%d%b%Y', '%d%m%Y']) AS DATE)
        ),
        k.missing_date
    )
FROM src_ir_imb_r AS i
LEFT JOIN snds_pseudonyms AS p
    ON p.ben_nir_psa = CAST(i.ben_nir_psa AS VARCHAR)
    AND p.ben_rng_gem = TRY_CAST(i.ben_rng_gem AS INTEGER)
CROSS JOIN snds_settings AS k
WHERE (i.imb_etm_nat IS NULL OR list_contains(k.ald_exonerations, TRY_CAST(i.imb_etm_nat AS INTEGER)))
    AND trim(coalesce(CAST(i.med_mtf_cod AS VARCHAR), '')) <> ''
