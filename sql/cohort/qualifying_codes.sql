-- stage: cohort/qualifying_codes
-- creates: qualifying_codes
-- purpose: every qualifying diagnosis (rule 1): a code of the case-finding codelist in one
--          of the case-finding settings, at any date (the washout looks before the period).
-- inputs: screened_diagnoses, codelist_matches
-- param codelist: VARCHAR, name of the case-finding codelist
-- param settings: VARCHAR[], settings that qualify
CREATE OR REPLACE TEMP TABLE qualifying_codes AS
SELECT DISTINCT d.person_id, d.date
FROM screened_diagnoses AS d
JOIN codelist_matches AS m
    ON m.domain = 'diagnoses' AND m.code = d.code AND m.codelist = $codelist
WHERE d.reject_reason IS NULL
    AND list_contains($settings, d.setting)
