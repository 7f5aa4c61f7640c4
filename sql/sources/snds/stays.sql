-- stage: sources/snds/stays
-- creates: snds_stays
-- purpose: every PMSI MCO stay (ETA_NUM + the file's year + RSA_NUM, since RSA_NUM restarts
--          each year: T_MCOaaB with its T_MCOaaC row), its
--          person, dates, and the first problem that excludes it, in this order: no
--          T_MCOaaC or no T_MCOaaB row, a return code of T_MCOaaC other than 0 (the
--          patient's id, birth date, sex, stay number, the two merges, the entry date; the
--          2013+ cohesion checks when filled), a placeholder NIR_ANO_17 (no usable id), an
--          error GHM (CMD 90), a NIR_ANO_17 absent from IR_BEN_R, or one shared by several
--          persons (twins share BEN_NIR_PSA; PMSI has no BEN_RNG_GEM to tell them apart).
--          Stays with a problem are kept here to be counted (source_problems) and left out
--          of every canonical view. A table: four views and the counts read it.
-- inputs: src_t_mcoaab, src_t_mcoaac, snds_pseudonyms, snds_settings
CREATE OR REPLACE TEMP TABLE snds_stays AS
WITH c AS (
    SELECT
        CAST(t.eta_num AS VARCHAR) AS eta_num,
        (CAST(t.file_year AS VARCHAR) || '/' || CAST(t.rsa_num AS VARCHAR)) AS rsa_num,
        CAST(t.nir_ano_17 AS VARCHAR) AS nir_ano_17,
        t.exe_soi_dtd,
        t.exe_soi_dtf,
        NOT (
            coalesce(TRY_CAST(t.nir_ret AS DOUBLE) = 0, FALSE)
            AND coalesce(TRY_CAST(t.nai_ret AS DOUBLE) = 0, FALSE)
            AND coalesce(TRY_CAST(t.sex_ret AS DOUBLE) = 0, FALSE)
            AND coalesce(TRY_CAST(t.sej_ret AS DOUBLE) = 0, FALSE)
            AND coalesce(TRY_CAST(t.fho_ret AS DOUBLE) = 0, FALSE)
            AND coalesce(TRY_CAST(t.pms_ret AS DOUBLE) = 0, FALSE)
            AND coalesce(TRY_CAST(t.dat_ret AS DOUBLE) = 0, FALSE)
            AND (t.coh_nai_ret IS NULL OR coalesce(TRY_CAST(t.coh_nai_ret AS DOUBLE) = 0, FALSE))
            AND (t.coh_sex_ret IS NULL OR coalesce(TRY_CAST(t.coh_sex_ret AS DOUBLE) = 0, FALSE))
        ) AS bad_return_code
    FROM src_t_mcoaac AS t
),
b AS (
    SELECT
        CAST(t.eta_num AS VARCHAR) AS eta_num,
        (CAST(t.file_year AS VARCHAR) || '/' || CAST(t.rsa_num AS VARCHAR)) AS rsa_num,
        CAST(t.grg_ghm AS VARCHAR) AS grg_ghm
    FROM src_t_mcoaab AS t
),
linked AS (
    SELECT ben_nir_psa, min(person_id) AS person_id, count(DISTINCT person_id) AS n_persons,
        max(n_persons) AS max_n_persons
    FROM snds_pseudonyms
    GROUP BY ben_nir_psa
),
stays AS (
    SELECT
        coalesce(c.eta_num, b.eta_num) AS eta_num,
        coalesce(c.rsa_num, b.rsa_num) AS rsa_num,
        c.nir_ano_17,
        c.exe_soi_dtd,
        c.exe_soi_dtf,
        CASE
            WHEN c.rsa_num IS NULL THEN 'no T_MCOaaC row'
            WHEN b.rsa_num IS NULL THEN 'no T_MCOaaB row'
            WHEN c.bad_return_code THEN 'return code'
            WHEN c.nir_ano_17 IS NULL OR list_contains(k.placeholder_ids, c.nir_ano_17)
                THEN 'placeholder id'
            WHEN starts_with(coalesce(b.grg_ghm, ''), k.error_ghm_prefix) THEN 'error GHM'
            WHEN l.ben_nir_psa IS NULL THEN 'unknown pseudonym'
            WHEN l.n_persons <> 1 OR l.max_n_persons <> 1 OR l.person_id IS NULL
                THEN 'ambiguous pseudonym'
        END AS problem,
        l.person_id
    FROM c
    FULL OUTER JOIN b ON b.eta_num = c.eta_num AND b.rsa_num = c.rsa_num
    LEFT JOIN linked AS l ON l.ben_nir_psa = c.nir_ano_17
    CROSS JOIN snds_settings AS k
)
SELECT
    eta_num,
    rsa_num,
    -- ETA_NUM + year/RSA_NUM identify a stay: text, so no two stays can collide
    eta_num || ':' || rsa_num AS stay_id,
    CASE WHEN problem IS NULL THEN person_id END AS person_id,
    exe_soi_dtd AS admission_date,
    exe_soi_dtf AS discharge_date,
    -- typed admission day, the date of the stay's codes, acts and drugs
    TRY_CAST(exe_soi_dtd AS DATE) AS admission_day,
    problem
FROM stays
