-- stage: cohort/attrition_counts
-- creates: attrition_counts
-- purpose: persons remaining after each rule, in the definition's order. Step 5 (the
--          sex rule) equals step 4 when the definition keeps both sexes; step 6 (the
--          persistent treatment rule) equals step 5 without it; the attrition table then
--          leaves them out.
-- inputs: persons_valid, case_candidates, incident_cases, classified_cases, cohort
-- param min_age: INTEGER, minimum completed years at index_date (inclusive)
-- param sexes: VARCHAR[], sexes kept
CREATE OR REPLACE TEMP TABLE attrition_counts AS
SELECT 0 AS step, count(*) AS persons FROM persons_valid
UNION ALL SELECT 1, count(*) FROM case_candidates
UNION ALL SELECT 2, count(*) FROM incident_cases
UNION ALL SELECT 3, count(*) FROM classified_cases WHERE NOT secondary
UNION ALL SELECT 4, count(*) FROM classified_cases WHERE NOT secondary AND age_at_index >= $min_age
UNION ALL SELECT 5, count(*) FROM classified_cases
    WHERE NOT secondary AND age_at_index >= $min_age AND list_contains($sexes, sex)
UNION ALL SELECT 6, count(*) FROM cohort
