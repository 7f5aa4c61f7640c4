-- stage: sources/snds/beneficiaries
-- creates: snds_beneficiaries
-- purpose: every beneficiary row of the extract: IR_BEN_R and IR_BEN_R_ARC (beneficiaries
--          archived since 2013, among them persons who died early: without it their
--          claims would have no person); a pseudonym (BEN_NIR_PSA + BEN_RNG_GEM) in
--          both is read from IR_BEN_R, the more current (Sante publique France, "SNDS,
--          ce qu'il faut savoir"). `fictitious`: BEN_CDI_NIR other than the normal
--          code ('00'): a provisional or fictitious identifier, not a person (SNDS
--          guidance: excluded); a missing code counts as normal. Sex and birth as the
--          row gives them (persons picks a row per person). Dates are typed here:
--          typed, ISO text or SAS text (DATE9, SAS datetime, %d%m%Y; docs/sources.md).
-- inputs: src_ir_ben_r, src_ir_ben_r_arc, snds_settings
CREATE OR REPLACE TEMP VIEW snds_beneficiaries AS
WITH stacked AS (
    SELECT b.*, FALSE AS archived FROM src_ir_ben_r AS b
    UNION ALL BY NAME
    SELECT a.*, TRUE AS archived FROM src_ir_ben_r_arc AS a
    WHERE NOT EXISTS (
        SELECT 1 FROM src_ir_ben_r AS r
        WHERE CAST(r.ben_nir_psa AS VARCHAR) = CAST(a.ben_nir_psa AS VARCHAR)
            AND TRY_CAST(r.ben_rng_gem AS INTEGER) = TRY_CAST(a.ben_rng_gem AS INTEGER)
    )
)
SELECT
    CAST(s.ben_nir_psa AS VARCHAR) AS ben_nir_psa,
    TRY_CAST(s.ben_rng_gem AS INTEGER) AS ben_rng_gem,
    CAST(s.ben_idt_ano AS VARCHAR) AS ben_idt_ano,
    s.ben_sex_cod,
    s.ben_nai_ann,
    s.ben_nai_moi,
    -- a month is valid when it makes a date (1-12)
    TRY_CAST('2000-' || CAST(TRY_CAST(s.ben_nai_moi AS INTEGER) AS VARCHAR) || '-01' AS DATE)
        IS NOT NULL AS valid_birth_month,
    -- the birth date as text (the screening parses it, and rejects an unparseable year as
    -- for any source): the year and month given, the day imputed (k.birth_day), an
    -- invalid month too (k.unknown_birth_month); the year k.unknown_birth_year (1600)
    -- is unknown: none
    CASE
        WHEN TRY_CAST(s.ben_nai_ann AS INTEGER) = k.unknown_birth_year THEN NULL
        WHEN TRY_CAST(s.ben_nai_ann AS INTEGER) IS NULL THEN CAST(s.ben_nai_ann AS VARCHAR)
        ELSE CAST(TRY_CAST(s.ben_nai_ann AS INTEGER) AS VARCHAR) || '-'
            || lpad(CAST(coalesce(
                CASE WHEN TRY_CAST(
                    '2000-' || CAST(TRY_CAST(s.ben_nai_moi AS INTEGER) AS VARCHAR) || '-01' AS DATE
                ) IS NOT NULL THEN TRY_CAST(s.ben_nai_moi AS INTEGER) END,
                k.unknown_birth_month
            ) AS VARCHAR), 2, '0')
            || '-' || lpad(CAST(k.birth_day AS VARCHAR), 2, '0')
    END AS birth_date,
    coalesce(
        TRY_CAST(s.ben_dte_ins AS DATE),
        CAST(try_strptime(CAST(s.ben_dte_ins AS VARCHAR), ['%d%b%Y:%H:%M:%S', '%d%b%Y', '%d%m%Y']) AS DATE)
    ) AS ben_dte_ins,
    s.ben_dte_ins AS ben_dte_ins_as_read,
    coalesce(
        TRY_CAST(s.max_trt_dtd AS DATE),
        CAST(try_strptime(CAST(s.max_trt_dtd AS VARCHAR), ['%d%b%Y:%H:%M:%S', '%d%b%Y', '%d%m%Y']) AS DATE)
    ) AS max_trt_dtd,
    s.max_trt_dtd AS max_trt_dtd_as_read,
    coalesce(
        TRY_CAST(s.ben_dcd_dte AS DATE),
        CAST(try_strptime(CAST(s.ben_dcd_dte AS VARCHAR), ['%d%b%Y:%H:%M:%S', '%d%b%Y', '%d%m%Y']) AS DATE)
    ) AS ben_dcd_dte,
    coalesce(
        TRY_CAST(s.ben_dte_maj AS DATE),
        CAST(try_strptime(CAST(s.ben_dte_maj AS VARCHAR), ['%d%b%Y:%H:%M:%S', '%d%b%Y', '%d%m%Y']) AS DATE)
    ) AS ben_dte_maj,
    s.archived,
    coalesce(lpad(trim(CAST(s.ben_cdi_nir AS VARCHAR)), 2, '0') <> k.normal_nir, FALSE) AS fictitious
FROM stacked AS s
CROSS JOIN snds_settings AS k
