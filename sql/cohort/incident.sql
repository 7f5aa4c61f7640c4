-- stage: cohort/incident
-- creates: incident_cases
-- purpose: rule 2, incident = no qualifying evidence in [code_date - washout_days,
--          code_date - 1] (a span counts when it overlaps the window: an ALD that began
--          before it and still held in it makes the case prevalent; a null washout_days
--          looks at the whole history) and one observation spell covering [code_date - prior_observation_days, code_date].
--          Spells are disjoint, so at most one matches: the spell that holds code_date,
--          and the index date too whenever lookback_days <= prior_observation_days.
--          A null prior_observation_days asks for no observation (OHDSI-style cohorts):
--          the spell holding code_date, if any, still gives the observation columns.
-- inputs: case_candidates, qualifying_codes, observation_spells
-- param washout_days: INTEGER, days before code_date without qualifying evidence (null: all)
-- param prior_observation_days: INTEGER, days of observation required before code_date (null: none)
CREATE OR REPLACE TEMP TABLE incident_cases AS
SELECT
    c.person_id,
    c.code_date,
    c.found_by,
    s.start_date AS observation_start,
    s.end_date AS observation_end
FROM case_candidates AS c
LEFT JOIN observation_spells AS s
    ON s.person_id = c.person_id
    AND s.start_date <= c.code_date - CAST(coalesce($prior_observation_days, 0) AS INTEGER)
    AND s.end_date >= c.code_date
WHERE ($prior_observation_days IS NULL OR s.person_id IS NOT NULL)
    AND NOT EXISTS (
        SELECT 1
        FROM qualifying_codes AS q
        WHERE q.person_id = c.person_id
            AND q.date <= c.code_date - 1
            AND ($washout_days IS NULL
                OR q.end_date >= c.code_date - CAST($washout_days AS INTEGER))
    )
