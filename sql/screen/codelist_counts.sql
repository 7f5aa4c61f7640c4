-- stage: screen/codelist_counts
-- creates: codelist_counts
-- purpose: `pharmacoepi check`: per codelist and setting, the valid screened rows whose
--          code is on it and their persons (a row on two codelists counts for each). Rows
--          set aside are not counted here (rejected_rows says why they were).
-- inputs: screened_diagnoses, screened_dispensings, screened_procedures, code_vocabulary
CREATE OR REPLACE TEMP TABLE codelist_counts AS
WITH coded AS (
    SELECT 'diagnoses' AS domain, code, setting, person_id
    FROM screened_diagnoses WHERE reject_reason IS NULL
    UNION ALL
    SELECT 'dispensings', atc, setting, person_id
    FROM screened_dispensings WHERE reject_reason IS NULL
    UNION ALL
    SELECT 'procedures', code, 'procedure', person_id
    FROM screened_procedures WHERE reject_reason IS NULL
),
listed AS (
    SELECT DISTINCT codelist, domain, code FROM code_vocabulary
)
SELECT l.codelist, l.domain, c.setting, count(*) AS rows, count(DISTINCT c.person_id) AS persons
FROM coded AS c
JOIN listed AS l ON l.domain = c.domain AND l.code = c.code
GROUP BY l.codelist, l.domain, c.setting
