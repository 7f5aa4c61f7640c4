-- stage: summaries/phase_counts
-- creates: phase_counts
-- purpose: cohort members per disease phase, and the persistent_or_chronic row: members
--          with evidence of activity after the newly diagnosed phase (FAITH's "persistence
--          or chronicity"; docs/treatments.md). That row is not a phase: the phases alone
--          add up to the cohort.
-- inputs: cohort_phased
CREATE OR REPLACE TEMP TABLE phase_counts AS
SELECT phase, count(*) AS persons
FROM cohort_phased
GROUP BY phase
UNION ALL
SELECT 'persistent_or_chronic', count(*) FILTER (WHERE persistent_or_chronic)
FROM cohort_phased
