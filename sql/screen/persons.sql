-- stage: screen/persons
-- creates: screened_persons
-- purpose: type and check every person row; each row gets the first problem found, or none.
-- inputs: raw_persons
-- param min_date: DATE, earliest plausible date (inclusive, 1900-01-01)
-- param max_date: DATE, latest plausible date (inclusive, 2100-12-31)
-- identifier person_id_type: BIGINT | VARCHAR
CREATE OR REPLACE TEMP TABLE screened_persons AS
WITH typed AS (
    SELECT
        TRY_CAST(r.person_id AS {{person_id_type}}) AS person_id,
        upper(trim(CAST(r.sex AS VARCHAR))) AS sex,
        TRY_CAST(r.birth_date AS DATE) AS birth_date,
        TRY_CAST(r.death_date AS DATE) AS death_date,
        CASE
            WHEN r.person_id IS NOT NULL AND TRY_CAST(r.person_id AS {{person_id_type}}) IS NULL
                THEN 'person_id'
            WHEN r.birth_date IS NOT NULL AND TRY_CAST(r.birth_date AS DATE) IS NULL THEN 'birth_date'
            WHEN r.death_date IS NOT NULL AND TRY_CAST(r.death_date AS DATE) IS NULL THEN 'death_date'
        END AS unparseable_column,
        to_json(struct_pack(
            person_id := r.person_id,
            sex := r.sex,
            birth_date := r.birth_date,
            death_date := r.death_date
        )) AS source_record
    FROM raw_persons AS r
),
checked AS (
    SELECT
        t.*,
        CASE
            WHEN t.unparseable_column IS NOT NULL THEN 'unparseable value:' || t.unparseable_column
            WHEN t.person_id IS NULL THEN 'null key:person_id'
            -- a duplicated id cannot be told apart: every row of it is set aside
            WHEN count(*) OVER (PARTITION BY t.person_id) > 1 THEN 'duplicate key:person_id'
            WHEN t.birth_date IS NULL THEN 'null value:birth_date'
            WHEN t.sex IS NULL OR t.sex NOT IN ('M', 'F') THEN 'invalid value:sex'
            WHEN t.birth_date < $min_date OR t.birth_date > $max_date THEN 'date out of range:birth_date'
            WHEN t.death_date < $min_date OR t.death_date > $max_date THEN 'date out of range:death_date'
            WHEN t.death_date < t.birth_date THEN 'end before start:death_date'
        END AS problem
    FROM typed AS t
)
SELECT
    person_id,
    sex,
    birth_date,
    death_date,
    nullif(split_part(problem, ':', 1), '') AS reject_reason,  -- '' for a null problem on some engines
    nullif(split_part(problem, ':', 2), '') AS reject_column,
    CASE WHEN problem IS NOT NULL THEN source_record END AS source_record
FROM checked
