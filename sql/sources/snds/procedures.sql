-- stage: sources/snds/procedures
-- creates: raw_procedures
-- purpose: CCAM acts of the kept stays (T_MCOaaA.CDC_ACT, joined on the keys' numeric
--          value), dated at admission + ENT_DAT_DEL (days from the entry date; the
--          admission date itself when missing).
-- inputs: src_t_mcoaaa, snds_stays
CREATE OR REPLACE TEMP VIEW raw_procedures AS
SELECT
    s.person_id,
    s.admission_day + coalesce(TRY_CAST(a.ent_dat_del AS INTEGER), 0) AS date,
    CAST(a.cdc_act AS VARCHAR) AS code,
    s.stay_id,
    CAST(NULL AS BIGINT) AS concept_id
FROM src_t_mcoaaa AS a
JOIN snds_stays AS s
    ON s.eta_num = coalesce(CAST(TRY_CAST(a.eta_num AS BIGINT) AS VARCHAR), trim(CAST(a.eta_num AS VARCHAR)))
    AND s.rsa_num = CAST(a.file_year AS VARCHAR) || '/' || coalesce(CAST(TRY_CAST(a.rsa_num AS BIGINT) AS VARCHAR), trim(CAST(a.rsa_num AS VARCHAR)))
WHERE s.problem IS NULL
