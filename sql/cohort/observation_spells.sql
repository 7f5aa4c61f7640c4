-- stage: cohort/observation_spells
-- creates: observation_spells
-- purpose: merge each person's valid observation periods into continuous spells. Periods
--          that overlap or touch (next start_date <= previous end_date + 1 day) join one
--          spell; a gap of one uncovered day or more starts a new spell.
-- inputs: screened_observation_periods
CREATE OR REPLACE TEMP TABLE observation_spells AS
WITH periods AS (
    SELECT person_id, start_date, end_date
    FROM screened_observation_periods
    WHERE reject_reason IS NULL
),
sequenced AS (
    -- one numbering shared by both window passes below, so tied (duplicate) periods are
    -- ordered the same way in each
    SELECT
        person_id,
        start_date,
        end_date,
        row_number() OVER (PARTITION BY person_id ORDER BY start_date, end_date) AS seq
    FROM periods
),
ordered AS (
    SELECT
        person_id,
        start_date,
        end_date,
        seq,
        max(end_date) OVER (
            PARTITION BY person_id ORDER BY seq
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS covered_until
    FROM sequenced
),
numbered AS (
    SELECT
        person_id,
        start_date,
        end_date,
        sum(CASE WHEN covered_until IS NULL OR start_date > covered_until + 1 THEN 1 ELSE 0 END)
            OVER (PARTITION BY person_id ORDER BY seq ROWS UNBOUNDED PRECEDING)
            AS spell_number
    FROM ordered
)
SELECT person_id, spell_number, min(start_date) AS start_date, max(end_date) AS end_date
FROM numbered
GROUP BY person_id, spell_number
