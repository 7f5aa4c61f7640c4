-- stage: sources/snds/pseudonyms
-- creates: snds_pseudonyms
-- purpose: the link from a pseudonym (BEN_NIR_PSA + BEN_RNG_GEM) to a person
--          (BEN_IDT_ANO, which unifies the pseudonyms of one beneficiary). A pseudonym
--          listed for several persons links to none (person_id null), so its claims are
--          set aside by the screening rather than given to the wrong person. A table, not
--          a view: every claim table joins it, and IR_BEN_R is read once.
-- inputs: src_ir_ben_r
CREATE OR REPLACE TEMP TABLE snds_pseudonyms AS
SELECT
    CAST(b.ben_nir_psa AS VARCHAR) AS ben_nir_psa,
    TRY_CAST(b.ben_rng_gem AS INTEGER) AS ben_rng_gem,
    CASE WHEN count(DISTINCT b.ben_idt_ano) = 1 THEN min(CAST(b.ben_idt_ano AS VARCHAR)) END
        AS person_id,
    count(DISTINCT b.ben_idt_ano) AS n_persons
FROM src_ir_ben_r AS b
WHERE b.ben_nir_psa IS NOT NULL
GROUP BY CAST(b.ben_nir_psa AS VARCHAR), TRY_CAST(b.ben_rng_gem AS INTEGER)
