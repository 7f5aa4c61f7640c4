-- stage: cohort/incident
-- creates: incident_cases
-- purpose: rule 2, incident = no qualifying code in [code_date - washout_days, code_date - 1]
--          and one observation spell covering [code_date - prior_observation_days, code_date].
--          Spells are disjoint, so at most one matches: the spell that holds code_date,
--          and the index date too whenever lookback_days <= prior_observation_days.
-- inputs: case_candidates, qualifying_codes, observation_spells
-- param washout_days: INTEGER, days before code_date without a qualifying code
-- param prior_observation_days: INTEGER, days of observation required before code_date
CREATE OR REPLACE TEMP TABLE incident_cases AS
SELECT
    c.person_id,
    c.code_date,
    s.start_date AS observation_start,
    s.end_date AS observation_end
FROM case_candidates AS c
JOIN observation_spells AS s
    ON s.person_id = c.person_id
    AND s.start_date <= c.code_date - CAST($prior_observation_days AS INTEGER)
    AND s.end_date >= c.code_date
WHERE NOT EXISTS (
    SELECT 1
    FROM qualifying_codes AS q
    WHERE q.person_id = c.person_id
        AND q.date >= c.code_date - CAST($washout_days AS INTEGER)
        AND q.date <= c.code_date - 1
)
