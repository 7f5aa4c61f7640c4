-- stage: summaries/switch_years
-- creates: switch_year_counts
-- purpose: switches, discontinuations and completed induction regimens by calendar year:
--          each counts in the year the era it follows ends (a drug taken alongside may have
--          started years before).
-- inputs: switches
CREATE OR REPLACE TEMP TABLE switch_year_counts AS
SELECT
    CAST(year(from_end_date) AS INTEGER) AS year,
    transition,
    count(*) AS episodes,
    count(DISTINCT person_id) AS persons
FROM switches
WHERE transition IN ('escalation', 'lateral', 'de-escalation', 'discontinuation',
    'induction_completed')
GROUP BY year(from_end_date), transition
ORDER BY year, transition
