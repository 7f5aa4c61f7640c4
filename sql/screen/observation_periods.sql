-- stage: screen/observation_periods
-- creates: screened_observation_periods
-- purpose: type and check coverage rows. A period may end after death (follow-up stops at
--          death anyway) but may not start after it.
-- inputs: raw_observation_periods, persons_valid
-- param min_date: DATE, earliest plausible date (inclusive)
-- param max_date: DATE, latest plausible date (inclusive)
-- identifier person_id_type: BIGINT | VARCHAR
CREATE OR REPLACE TEMP TABLE screened_observation_periods AS
WITH typed AS (
    SELECT
        TRY_CAST(r.person_id AS {{person_id_type}}) AS person_id,
        TRY_CAST(r.start_date AS DATE) AS start_date,
        TRY_CAST(r.end_date AS DATE) AS end_date,
        CASE
            WHEN r.person_id IS NOT NULL AND TRY_CAST(r.person_id AS {{person_id_type}}) IS NULL
                THEN 'person_id'
            WHEN r.start_date IS NOT NULL AND TRY_CAST(r.start_date AS DATE) IS NULL THEN 'start_date'
            WHEN r.end_date IS NOT NULL AND TRY_CAST(r.end_date AS DATE) IS NULL THEN 'end_date'
        END AS unparseable_column,
        to_json(struct_pack(
            person_id := r.person_id,
            start_date := r.start_date,
            end_date := r.end_date
        )) AS source_record
    FROM raw_observation_periods AS r
),
checked AS (
    SELECT
        t.*,
        CASE
            WHEN t.unparseable_column IS NOT NULL THEN 'unparseable value:' || t.unparseable_column
            WHEN t.person_id IS NULL THEN 'null key:person_id'
            WHEN t.start_date IS NULL THEN 'null value:start_date'
            WHEN t.end_date IS NULL THEN 'null value:end_date'
            WHEN t.start_date < $min_date OR t.start_date > $max_date THEN 'date out of range:start_date'
            WHEN t.end_date < $min_date OR t.end_date > $max_date THEN 'date out of range:end_date'
            WHEN t.end_date < t.start_date THEN 'end before start:end_date'
            WHEN p.person_id IS NULL THEN 'unknown person:person_id'
            WHEN t.start_date > p.death_date THEN 'event after death:start_date'
        END AS problem
    FROM typed AS t
    LEFT JOIN persons_valid AS p ON p.person_id = t.person_id
)
SELECT
    person_id,
    start_date,
    end_date,
    nullif(split_part(problem, ':', 1), '') AS reject_reason,  -- '' for a null problem on some engines
    nullif(split_part(problem, ':', 2), '') AS reject_column,
    CASE WHEN problem IS NOT NULL THEN source_record END AS source_record
FROM checked
