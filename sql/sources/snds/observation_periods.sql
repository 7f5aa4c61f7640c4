-- stage: sources/snds/observation_periods
-- creates: raw_observation_periods
-- purpose: SNDS has no coverage table. Each pseudonym (a beneficiary row that is not a
--          fictitious identifier) is taken as one affiliation span from its insertion in
--          the referential (BEN_DTE_INS; k.missing_date, 1600-01-01, for a beneficiary
--          inserted before 2012 (CNAM, essentiel_snds.md): covered since before the
--          extract's history, so from its first day, k.history_start, or from its
--          birth when born later) to
--          - the end of the data (coverage_end = 'end_of_data', the default): the latest
--            processed claim of the whole extract (the largest MAX_TRT_DTD). Health
--            insurance is near universal in France: a person who stops using care is still
--            covered, and follow-up ends at death or the administrative end;
--          - or the last claim processed under it (coverage_end = 'last_claim',
--            MAX_TRT_DTD): who stops using care then looks like a leaver (informative
--            censoring of every time-to-event output; review 1.10).
--          A person's spans are the rows of its pseudonyms; touching or overlapping ones
--          merge into one spell downstream. A pseudonym with no processed claim
--          (MAX_TRT_DTD null or k.missing_date) gives no span. A date that does not
--          parse is passed as read: the screening sets the span aside.
-- inputs: snds_beneficiaries, snds_settings
CREATE OR REPLACE TEMP VIEW raw_observation_periods AS
WITH end_of_data AS (
    SELECT max(b.max_trt_dtd) AS last_day
    FROM snds_beneficiaries AS b
    CROSS JOIN snds_settings AS k
    WHERE NOT b.fictitious AND b.max_trt_dtd <> k.missing_date
)
SELECT
    b.ben_idt_ano AS person_id,
    CASE
        -- not before the pseudonym's birth (a child born after the history start)
        WHEN b.ben_dte_ins = k.missing_date THEN CAST(
            greatest(k.history_start, coalesce(TRY_CAST(b.birth_date AS DATE), k.history_start))
            AS VARCHAR
        )
        WHEN b.ben_dte_ins IS NOT NULL THEN CAST(b.ben_dte_ins AS VARCHAR)
        ELSE CAST(b.ben_dte_ins_as_read AS VARCHAR)
    END AS start_date,
    CASE
        WHEN k.coverage_end <> 'last_claim' THEN CAST(e.last_day AS VARCHAR)
        WHEN b.max_trt_dtd IS NOT NULL THEN CAST(b.max_trt_dtd AS VARCHAR)
        ELSE CAST(b.max_trt_dtd_as_read AS VARCHAR)
    END AS end_date
FROM snds_beneficiaries AS b
CROSS JOIN snds_settings AS k
CROSS JOIN end_of_data AS e
WHERE NOT b.fictitious
    AND b.max_trt_dtd_as_read IS NOT NULL
    AND b.max_trt_dtd IS DISTINCT FROM k.missing_date
