-- stage: summaries/switch_years
-- creates: switch_year_counts
-- purpose: switches and discontinuations by calendar year: a switch counts in the year the
--          new class starts, a discontinuation in the year its episode ends.
-- inputs: switches
CREATE OR REPLACE TEMP TABLE switch_year_counts AS
SELECT
    CAST(year(coalesce(to_start_date, from_end_date)) AS INTEGER) AS year,
    transition,
    count(*) AS episodes,
    count(DISTINCT person_id) AS persons
FROM switches
WHERE transition IN ('escalation', 'lateral', 'de-escalation', 'discontinuation')
GROUP BY year(coalesce(to_start_date, from_end_date)), transition
ORDER BY year, transition
