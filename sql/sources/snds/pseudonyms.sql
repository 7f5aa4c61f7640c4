-- stage: sources/snds/pseudonyms
-- creates: snds_pseudonyms
-- purpose: the link from a pseudonym (BEN_NIR_PSA + BEN_RNG_GEM) to a person
--          (BEN_IDT_ANO, which unifies the pseudonyms of one beneficiary). A pseudonym
--          listed for several persons links to none (person_id null), so its claims are
--          set aside by the screening rather than given to the wrong person. Fictitious
--          identifiers link to nobody: their claims have no person either. A table, not
--          a view: every claim table joins it, and the beneficiaries are read once.
-- inputs: snds_beneficiaries
CREATE OR REPLACE TEMP TABLE snds_pseudonyms AS
SELECT
    b.ben_nir_psa,
    b.ben_rng_gem,
    CASE WHEN count(DISTINCT b.ben_idt_ano) = 1 THEN min(b.ben_idt_ano) END AS person_id,
    count(DISTINCT b.ben_idt_ano) AS n_persons
FROM snds_beneficiaries AS b
WHERE b.ben_nir_psa IS NOT NULL AND NOT b.fictitious
GROUP BY b.ben_nir_psa, b.ben_rng_gem
