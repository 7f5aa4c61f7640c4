-- stage: cohort/secondary_cause_counts
-- creates: secondary_cause_counts
-- purpose: incident cases of min_age or more at index_date (the population FAITH reports
--          secondary ITP in: "18% of adults", L1) by cause: 'primary', each secondary
--          cause group (classify_cases' secondary_cause), 'other' for a secondary cause
--          whose code has no group. Before the sex rule.
-- inputs: classified_cases
-- param min_age: INTEGER, minimum completed years at index_date (inclusive)
CREATE OR REPLACE TEMP TABLE secondary_cause_counts AS
SELECT
    CASE WHEN NOT secondary THEN 'primary' ELSE coalesce(secondary_cause, 'other') END AS cause,
    count(*) AS persons
FROM classified_cases
WHERE age_at_index >= $min_age
GROUP BY CASE WHEN NOT secondary THEN 'primary' ELSE coalesce(secondary_cause, 'other') END
