-- stage: sources/snds/beneficiaries
-- creates: snds_beneficiaries
-- purpose: every beneficiary row of the extract: IR_BEN_R and IR_BEN_R_ARC (beneficiaries
--          archived since 2013, among them persons who died early: without it their
--          claims would have no person); a pseudonym (BEN_NIR_PSA + BEN_RNG_GEM) in
--          both is read from IR_BEN_R, the more current (Sante publique France, "SNDS,
--          ce qu'il faut savoir"). `fictitious`: BEN_CDI_NIR other than the normal
--          code ('00'): a provisional or fictitious identifier, not a person (SNDS
--          guidance: excluded); a missing code counts as normal. Dates are typed here.
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
    snds_date(s.ben_dte_ins) AS ben_dte_ins,
    s.ben_dte_ins AS ben_dte_ins_as_read,
    snds_date(s.max_trt_dtd) AS max_trt_dtd,
    s.max_trt_dtd AS max_trt_dtd_as_read,
    snds_date(s.ben_dcd_dte) AS ben_dcd_dte,
    snds_date(s.ben_dte_maj) AS ben_dte_maj,
    s.archived,
    coalesce(snds_nir_code(s.ben_cdi_nir) <> k.normal_nir, FALSE) AS fictitious
FROM stacked AS s
CROSS JOIN snds_settings AS k
