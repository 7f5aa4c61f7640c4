-- stage: sources/snds/observation_periods
-- creates: raw_observation_periods
-- purpose: SNDS has no coverage table. Each pseudonym (an IR_BEN_R row) is taken as one
--          affiliation span from its insertion in the referential (BEN_DTE_INS) to
--          - the end of the data (coverage_end = 'end_of_data', the default): the latest
--            processed claim of the whole extract (the largest MAX_TRT_DTD). Health
--            insurance is near universal in France: a person who stops using care is still
--            covered, and follow-up ends at death or the administrative end;
--          - or the last claim processed under it (coverage_end = 'last_claim',
--            MAX_TRT_DTD): who stops using care then looks like a leaver (informative
--            censoring of every time-to-event output; review 1.10).
--          A person's spans are the rows of its pseudonyms; touching or overlapping ones
--          merge into one spell downstream. A pseudonym with no processed claim
--          (MAX_TRT_DTD null or k.missing_date) gives no span. Dates are passed as read
--          (the end of the data as the largest MAX_TRT_DTD value as written): the
--          screening types and checks them.
-- inputs: src_ir_ben_r, snds_settings
CREATE OR REPLACE TEMP VIEW raw_observation_periods AS
WITH end_of_data AS (
    SELECT arg_max(b.max_trt_dtd, TRY_CAST(b.max_trt_dtd AS DATE)) AS last_day
    FROM src_ir_ben_r AS b
    CROSS JOIN snds_settings AS k
    WHERE TRY_CAST(b.max_trt_dtd AS DATE) IS DISTINCT FROM k.missing_date
)
SELECT
    CAST(b.ben_idt_ano AS VARCHAR) AS person_id,
    b.ben_dte_ins AS start_date,
    CASE WHEN k.coverage_end = 'last_claim' THEN b.max_trt_dtd ELSE e.last_day END AS end_date
FROM src_ir_ben_r AS b
CROSS JOIN snds_settings AS k
CROSS JOIN end_of_data AS e
WHERE b.max_trt_dtd IS NOT NULL
    AND TRY_CAST(b.max_trt_dtd AS DATE) IS DISTINCT FROM k.missing_date
