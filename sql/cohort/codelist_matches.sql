-- stage: cohort/codelist_matches
-- creates: codelist_matches
-- purpose: which codelist each distinct extracted code belongs to, so later stages join on
--          equality. Exact lists match the whole code, prefix lists its start.
-- inputs: screened_diagnoses, screened_dispensings, screened_procedures, codelist_codes
CREATE OR REPLACE TEMP TABLE codelist_matches AS
WITH extracted AS (
    SELECT DISTINCT 'diagnoses' AS domain, code FROM screened_diagnoses WHERE reject_reason IS NULL
    UNION
    SELECT DISTINCT 'dispensings', atc FROM screened_dispensings WHERE reject_reason IS NULL
    UNION
    SELECT DISTINCT 'procedures', code FROM screened_procedures WHERE reject_reason IS NULL
)
SELECT DISTINCT c.codelist, e.domain, e.code
FROM extracted AS e
JOIN codelist_codes AS c
    ON c.domain = e.domain
    AND ((c.match = 'exact' AND e.code = c.code) OR (c.match = 'prefix' AND starts_with(e.code, c.code)))
