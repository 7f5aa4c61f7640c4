-- stage: sources/snds/stays
-- creates: snds_stays
-- purpose: every PMSI MCO stay (ETA_NUM + the file's year + RSA_NUM, since RSA_NUM restarts
--          each year: T_MCOaaB with its T_MCOaaC row, joined on the keys' numeric value,
--          keys' digits), its person, dates, and the first problem that excludes it, in this
--          order: no T_MCOaaC or no T_MCOaaB row, a return code of T_MCOaaC other than 0
--          (the patient's id, birth date, sex, stay number, the two merges, the entry
--          date; the 2013+ cohesion checks when filled; the schema types most of them
--          boolean, so 'false' is a 0 too), a placeholder NIR_ANO_17 (no
--          usable id), an error GHM (CMD 90), a GHS the grouper could not value (9999), an
--          inter-establishment stay (SEJ_TYP B: care given for another hospital's stay,
--          which that hospital also sends), a geographic FINESS of AP-HP, AP-HM or HCL
--          whose stays also came under the legal entity's (until 2017), a NIR_ANO_17 absent from the beneficiaries (or a
--          fictitious identifier), or one shared by several persons (twins share
--          BEN_NIR_PSA; PMSI has no BEN_RNG_GEM to tell them apart).
--          Dates: EXE_SOI_DTD / EXE_SOI_DTF, typed or SAS text. A file before 2009 has no such
--          columns (schema-snds): the stay is discharged on day k.stay_day of SOR_MOI /
--          SOR_ANN (T_MCOaaB) and admitted SEJ_NBJ days before (0 when missing);
--          `dated_by_month` says so. Stays with a problem are kept here to be counted
--          (source_problems) and left out of every canonical view. A table: several views
--          and the counts read it.
-- inputs: src_t_mcoaab, src_t_mcoaac, snds_pseudonyms, snds_settings
CREATE OR REPLACE TEMP TABLE snds_stays AS
WITH c AS (
    SELECT
        -- keys by their numeric value (integers here, zero-padded text elsewhere)
        coalesce(CAST(TRY_CAST(t.eta_num AS BIGINT) AS VARCHAR), trim(CAST(t.eta_num AS VARCHAR)))
            AS eta_num,
        CAST(t.file_year AS VARCHAR) || '/' || coalesce(
            CAST(TRY_CAST(t.rsa_num AS BIGINT) AS VARCHAR), trim(CAST(t.rsa_num AS VARCHAR))
        ) AS rsa_num,
        CAST(t.nir_ano_17 AS VARCHAR) AS nir_ano_17,
        t.exe_soi_dtd,
        t.exe_soi_dtf,
        -- typed, ISO text or SAS text (docs/sources.md, SNDS conventions)
        coalesce(
            TRY_CAST(t.exe_soi_dtd AS DATE),
            CAST(try_strptime(CAST(t.exe_soi_dtd AS VARCHAR), ['%d%b%Y:%H:%M:%S', '%d%b%Y', '%d%m%Y']) AS DATE)
        ) AS admission_day,
        coalesce(
            TRY_CAST(t.exe_soi_dtf AS DATE),
            CAST(try_strptime(CAST(t.exe_soi_dtf AS VARCHAR), ['%d%b%Y:%H:%M:%S', '%d%b%Y', '%d%m%Y']) AS DATE)
        ) AS discharge_day,
        NOT (
            coalesce(CAST(t.nir_ret AS VARCHAR) IN ('0', 'false'), FALSE)
            AND coalesce(CAST(t.nai_ret AS VARCHAR) IN ('0', 'false'), FALSE)
            AND coalesce(CAST(t.sex_ret AS VARCHAR) IN ('0', 'false'), FALSE)
            AND coalesce(CAST(t.sej_ret AS VARCHAR) IN ('0', 'false'), FALSE)
            AND coalesce(CAST(t.fho_ret AS VARCHAR) IN ('0', 'false'), FALSE)
            AND coalesce(CAST(t.pms_ret AS VARCHAR) IN ('0', 'false'), FALSE)
            AND coalesce(CAST(t.dat_ret AS VARCHAR) IN ('0', 'false'), FALSE)
            AND (t.coh_nai_ret IS NULL OR CAST(t.coh_nai_ret AS VARCHAR) IN ('0', 'false'))
            AND (t.coh_sex_ret IS NULL OR CAST(t.coh_sex_ret AS VARCHAR) IN ('0', 'false'))
        ) AS bad_return_code
    FROM src_t_mcoaac AS t
),
b AS (
    SELECT
        -- keys by their numeric value (integers here, zero-padded text elsewhere)
        coalesce(CAST(TRY_CAST(t.eta_num AS BIGINT) AS VARCHAR), trim(CAST(t.eta_num AS VARCHAR)))
            AS eta_num,
        CAST(t.file_year AS VARCHAR) || '/' || coalesce(
            CAST(TRY_CAST(t.rsa_num AS BIGINT) AS VARCHAR), trim(CAST(t.rsa_num AS VARCHAR))
        ) AS rsa_num,
        CAST(t.grg_ghm AS VARCHAR) AS grg_ghm,
        TRY_CAST(t.ghs_num AS INTEGER) AS ghs_num,
        upper(trim(CAST(t.sej_typ AS VARCHAR))) AS sej_typ,
        TRY_CAST(t.file_calendar_year AS INTEGER) AS year,
        TRY_CAST(t.file_calendar_year AS INTEGER) < k.first_dated_pmsi_year AS dated_by_month,
        TRY_CAST(
            CAST(TRY_CAST(t.sor_ann AS INTEGER) AS VARCHAR) || '-'
            || lpad(CAST(TRY_CAST(t.sor_moi AS INTEGER) AS VARCHAR), 2, '0') || '-'
            || lpad(CAST(k.stay_day AS VARCHAR), 2, '0')
            AS DATE
        ) AS month_discharge,
        coalesce(TRY_CAST(t.sej_nbj AS INTEGER), 0) AS length_of_stay
    FROM src_t_mcoaab AS t
    CROSS JOIN snds_settings AS k
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
        -- a file before 2009 has no dates: from the discharge month and length of stay
        CASE WHEN b.dated_by_month
            THEN coalesce(c.admission_day, b.month_discharge - b.length_of_stay)
            ELSE c.admission_day END AS admission_day,
        CASE WHEN b.dated_by_month THEN coalesce(c.discharge_day, b.month_discharge)
            ELSE c.discharge_day END AS discharge_day,
        c.exe_soi_dtd,
        c.exe_soi_dtf,
        coalesce(b.dated_by_month, FALSE) AS dated_by_month,
        CASE
            WHEN c.rsa_num IS NULL THEN 'no T_MCOaaC row'
            WHEN b.rsa_num IS NULL THEN 'no T_MCOaaB row'
            WHEN c.bad_return_code THEN 'return code'
            WHEN c.nir_ano_17 IS NULL OR list_contains(k.placeholder_ids, c.nir_ano_17)
                THEN 'placeholder id'
            WHEN starts_with(coalesce(b.grg_ghm, ''), k.error_ghm_prefix) THEN 'error GHM'
            WHEN b.ghs_num = k.unvalued_ghs THEN 'unvalued GHS'
            WHEN b.sej_typ = k.inter_establishment_stay THEN 'inter-establishment stay'
            WHEN list_contains(k.duplicate_finess, b.eta_num)
                AND b.year <= k.duplicate_finess_until THEN 'duplicate FINESS'
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
    -- typed where it parses, else as read: the screening sets an unreadable date aside
    coalesce(CAST(admission_day AS VARCHAR), CAST(exe_soi_dtd AS VARCHAR)) AS admission_date,
    coalesce(CAST(discharge_day AS VARCHAR), CAST(exe_soi_dtf AS VARCHAR)) AS discharge_date,
    -- typed admission day, the date of the stay's codes, acts and drugs
    admission_day,
    dated_by_month,
    problem
FROM stays
