-- stage: cohort/first_code_in_period
-- creates: case_candidates
-- purpose: rule 1, code_date = the first qualifying code in [study_start, study_end]
--          (both inclusive). Several codes on that day are one date: no tie to break
--          (qualifying_codes holds one row per person and day, with its found_by).
-- inputs: qualifying_codes
-- param study_start: DATE, first day of the study period (inclusive)
-- param study_end: DATE, last day of the study period (inclusive)
CREATE OR REPLACE TEMP TABLE case_candidates AS
SELECT person_id, min(date) AS code_date, arg_min(found_by, date) AS found_by
FROM qualifying_codes
WHERE date BETWEEN $study_start AND $study_end
GROUP BY person_id
