-- stage: screen/code_vocabulary
-- creates: code_vocabulary
-- purpose: the distinct code values of each coded table, as written in the source, with
--          their normalised form (upper-case, dots and whitespace removed: 'd69.3' ->
--          'D693') and the codelists they match. Reading one low-cardinality column for
--          its distinct values is cheap; it lets the screening pass filter the big tables
--          with an equality semi-join instead of normalising and prefix-matching every row.
-- inputs: raw_diagnoses, raw_dispensings, raw_procedures, codelist_codes
CREATE OR REPLACE TEMP TABLE code_vocabulary AS
WITH raw_codes AS (
    SELECT DISTINCT 'diagnoses' AS domain, CAST(code AS VARCHAR) AS raw_code FROM raw_diagnoses
    UNION ALL
    SELECT DISTINCT 'dispensings', CAST(atc AS VARCHAR) FROM raw_dispensings
    UNION ALL
    SELECT DISTINCT 'procedures', CAST(code AS VARCHAR) FROM raw_procedures
),
normalised AS (
    SELECT domain, raw_code, upper(regexp_replace(raw_code, '[.\s\x{00A0}]', '', 'g')) AS code
    FROM raw_codes
    WHERE raw_code IS NOT NULL
)
SELECT n.domain, n.raw_code, n.code, c.codelist
FROM normalised AS n
JOIN codelist_codes AS c
    ON c.domain = n.domain
    AND ((c.match = 'exact' AND n.code = c.code) OR (c.match = 'prefix' AND starts_with(n.code, c.code)))
