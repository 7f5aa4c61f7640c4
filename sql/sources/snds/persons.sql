-- stage: sources/snds/persons
-- creates: raw_persons
-- purpose: one row per person (BEN_IDT_ANO) from the beneficiaries (IR_BEN_R and
--          IR_BEN_R_ARC), which have one row per pseudonym; fictitious identifiers are
--          no person. Sex and birth come from the pseudonym row updated last
--          (BEN_DTE_MAJ, then BEN_NIR_PSA, BEN_RNG_GEM); the death date is the earliest one
--          recorded on any pseudonym. BEN_SEX_COD 1 = M, 2 = F (another value is passed on
--          and set aside by the screening). Birth: BEN_NAI_ANN / BEN_NAI_MOI give the year
--          and month only, the day is imputed (k.birth_day); a missing or invalid month
--          is imputed too (k.unknown_birth_month); the year k.unknown_birth_year (1600)
--          means unknown: no birth date, and the screening sets the person aside.
--          BEN_DCD_DTE = k.missing_date means alive. A row without BEN_IDT_ANO is a
--          person of its own with a null id (set aside by the screening).
-- inputs: snds_beneficiaries, snds_settings
CREATE OR REPLACE TEMP VIEW raw_persons AS
WITH pseudonyms AS (
    SELECT
        b.ben_idt_ano AS person_id,
        coalesce(
            b.ben_idt_ano,
            'pseudonym:' || b.ben_nir_psa || ':' || CAST(b.ben_rng_gem AS VARCHAR)
        ) AS person_key,
        b.ben_sex_cod,
        b.birth_date,
        b.ben_dcd_dte AS death_date,
        row_number() OVER (
            PARTITION BY coalesce(
                b.ben_idt_ano,
                'pseudonym:' || b.ben_nir_psa || ':' || CAST(b.ben_rng_gem AS VARCHAR)
            )
            ORDER BY b.ben_dte_maj DESC NULLS LAST, b.ben_nir_psa, b.ben_rng_gem
        ) AS recency
    FROM snds_beneficiaries AS b
    WHERE NOT b.fictitious
),
deaths AS (
    SELECT person_key, min(death_date) AS death_date
    FROM pseudonyms
    CROSS JOIN snds_settings AS k
    WHERE death_date <> k.missing_date
    GROUP BY person_key
)
SELECT
    p.person_id,
    CASE
        WHEN TRY_CAST(p.ben_sex_cod AS DOUBLE) = 1 THEN 'M'
        WHEN TRY_CAST(p.ben_sex_cod AS DOUBLE) = 2 THEN 'F'
        ELSE CAST(p.ben_sex_cod AS VARCHAR)
    END AS sex,
    p.birth_date,
    d.death_date
FROM pseudonyms AS p
LEFT JOIN deaths AS d ON d.person_key = p.person_key
WHERE p.recency = 1
