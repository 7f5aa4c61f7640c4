-- stage: summaries/phase_counts
-- creates: phase_counts
-- purpose: cohort members per disease phase.
-- inputs: cohort_phased
CREATE OR REPLACE TEMP TABLE phase_counts AS
SELECT phase, count(*) AS persons
FROM cohort_phased
GROUP BY phase
