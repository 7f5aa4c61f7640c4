-- stage: sources/snds/diagnoses
-- creates: raw_diagnoses
-- purpose: ICD-10 codes: of each kept PMSI MCO stay, dated at its admission (the contract's
--          convention), DGN_PAL -> hospital_primary, DGN_REL -> hospital_related (T_MCOaaB),
--          ASS_DGN -> hospital_associated (T_MCOaaD); and long-term disease registrations
--          (IR_IMB_R: MED_MTF_COD from IMB_ALD_DTD to IMB_ALD_DTF) -> long_term_disease, when
--          the exoneration is an ALD one (IMB_ETM_NAT in ald_exonerations, or not given).
--          An ALD is a status, not an event: end_date = IMB_ALD_DTF, inclusive; missing,
--          the missing-date value or no column: open-ended (null). Blank codes
--          (no related diagnosis) give no row. Dates are typed here (UNION ALL needs one
--          type), so an unparseable one reads as missing and the screening sets it aside.
-- inputs: src_t_mcoaab, src_t_mcoaad, src_ir_imb_r, snds_stays, snds_pseudonyms, snds_settings
CREATE OR REPLACE TEMP VIEW raw_diagnoses AS
SELECT s.person_id, s.admission_day AS date, CAST(b.dgn_pal AS VARCHAR) AS code,
    'hospital_primary' AS setting, s.stay_id, CAST(NULL AS BIGINT) AS concept_id,
    CAST(NULL AS DATE) AS end_date
FROM src_t_mcoaab AS b
JOIN snds_stays AS s
    ON s.eta_num = CAST(b.eta_num AS VARCHAR) AND s.rsa_num = (CAST(b.file_year AS VARCHAR) || '/' || CAST(b.rsa_num AS VARCHAR))
WHERE s.problem IS NULL AND trim(coalesce(CAST(b.dgn_pal AS VARCHAR), '')) <> ''
UNION ALL
SELECT s.person_id, s.admission_day, CAST(b.dgn_rel AS VARCHAR),
    'hospital_related', s.stay_id, CAST(NULL AS BIGINT), CAST(NULL AS DATE)
FROM src_t_mcoaab AS b
JOIN snds_stays AS s
    ON s.eta_num = CAST(b.eta_num AS VARCHAR) AND s.rsa_num = (CAST(b.file_year AS VARCHAR) || '/' || CAST(b.rsa_num AS VARCHAR))
WHERE s.problem IS NULL AND trim(coalesce(CAST(b.dgn_rel AS VARCHAR), '')) <> ''
UNION ALL
SELECT s.person_id, s.admission_day, CAST(d.ass_dgn AS VARCHAR),
    'hospital_associated', s.stay_id, CAST(NULL AS BIGINT), CAST(NULL AS DATE)
FROM src_t_mcoaad AS d
JOIN snds_stays AS s
    ON s.eta_num = CAST(d.eta_num AS VARCHAR) AND s.rsa_num = (CAST(d.file_year AS VARCHAR) || '/' || CAST(d.rsa_num AS VARCHAR))
WHERE s.problem IS NULL AND trim(coalesce(CAST(d.ass_dgn AS VARCHAR), '')) <> ''
UNION ALL
SELECT p.person_id, TRY_CAST(i.imb_ald_dtd AS DATE), CAST(i.med_mtf_cod AS VARCHAR),
    'long_term_disease', CAST(NULL AS VARCHAR), CAST(NULL AS BIGINT),
    nullif(TRY_CAST(i.imb_ald_dtf AS DATE), k.missing_date)
FROM src_ir_imb_r AS i
LEFT JOIN snds_pseudonyms AS p
    ON p.ben_nir_psa = CAST(i.ben_nir_psa AS VARCHAR)
    AND p.ben_rng_gem = TRY_CAST(i.ben_rng_gem AS INTEGER)
CROSS JOIN snds_settings AS k
WHERE (i.imb_etm_nat IS NULL OR list_contains(k.ald_exonerations, TRY_CAST(i.imb_etm_nat AS INTEGER)))
    AND trim(coalesce(CAST(i.med_mtf_cod AS VARCHAR), '')) <> ''
