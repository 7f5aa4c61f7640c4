-- stage: cohort/cohort
-- creates: cohort
-- purpose: the cohort, primary (rule 4) adult (rule 5) incident cases of the kept sexes
--          (rule 6, optional), with follow-up (rule 7): follow_up_end = earliest of death_date, the end of the observation
--          spell holding the index date, and administrative_end (all inclusive). Ties
--          are broken death > administrative_end > end_of_observation: a death on the last
--          day is a death, and coverage that stops on the administrative end is not a loss.
-- inputs: classified_cases
-- note: least() skips a null death_date (DuckDB and Spark alike)
-- param min_age: INTEGER, minimum completed years at index_date (inclusive)
-- param sexes: VARCHAR[], sexes kept
-- param administrative_end: DATE, last day of follow-up (inclusive)
CREATE OR REPLACE TEMP TABLE cohort AS
WITH ends AS (
    SELECT
        c.*,
        least(c.death_date, c.observation_end, $administrative_end)
            AS follow_up_end
    FROM classified_cases AS c
    WHERE NOT c.secondary AND c.age_at_index >= $min_age AND list_contains($sexes, c.sex)
)
SELECT
    person_id,
    sex,
    birth_date,
    age_at_index,
    code_date,
    index_date,
    index_source,
    observation_start,
    observation_end,
    death_date,
    follow_up_end,
    CASE
        WHEN death_date = follow_up_end THEN 'death'
        WHEN $administrative_end = follow_up_end THEN 'administrative_end'
        ELSE 'end_of_observation'
    END AS end_reason,
    CAST(date_diff('day', index_date, follow_up_end) AS INTEGER) + 1 AS follow_up_days
FROM ends
ORDER BY person_id
