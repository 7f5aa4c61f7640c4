-- stage: screen/hospital_stays
-- creates: screened_hospital_stays
-- purpose: type and check hospital stays (the table is small: every row is kept). No
--          rule reads the stays, so build-cohort (rows: codelist) leaves them to validate
--          (rows: all): the table is then empty.
-- inputs: raw_hospital_stays, persons_valid
-- param min_date: DATE, earliest plausible date (inclusive)
-- param max_date: DATE, latest plausible date (inclusive)
-- identifier person_id_type: BIGINT | VARCHAR
-- identifier stay_id_type: BIGINT | VARCHAR
-- identifier rows: codelist | all
CREATE OR REPLACE TEMP TABLE screened_hospital_stays AS
WITH typed AS (
    SELECT
        TRY_CAST(r.stay_id AS {{stay_id_type}}) AS stay_id,
        TRY_CAST(r.person_id AS {{person_id_type}}) AS person_id,
        TRY_CAST(r.admission_date AS DATE) AS admission_date,
        TRY_CAST(r.discharge_date AS DATE) AS discharge_date,
        CASE
            WHEN r.stay_id IS NOT NULL AND TRY_CAST(r.stay_id AS {{stay_id_type}}) IS NULL THEN 'stay_id'
            WHEN r.person_id IS NOT NULL AND TRY_CAST(r.person_id AS {{person_id_type}}) IS NULL
                THEN 'person_id'
            WHEN r.admission_date IS NOT NULL AND TRY_CAST(r.admission_date AS DATE) IS NULL
                THEN 'admission_date'
            WHEN r.discharge_date IS NOT NULL AND TRY_CAST(r.discharge_date AS DATE) IS NULL
                THEN 'discharge_date'
        END AS unparseable_column,
        r.stay_id AS raw_stay_id,
        r.person_id AS raw_person_id,
        r.admission_date AS raw_admission_date,
        r.discharge_date AS raw_discharge_date
    FROM raw_hospital_stays AS r
    WHERE '{{rows}}' = 'all'
),
checked AS (
    SELECT
        t.*,
        CASE
            WHEN t.unparseable_column IS NOT NULL THEN 'unparseable value:' || t.unparseable_column
            WHEN t.stay_id IS NULL THEN 'null key:stay_id'
            WHEN t.person_id IS NULL THEN 'null key:person_id'
            WHEN count(*) OVER (PARTITION BY t.stay_id) > 1 THEN 'duplicate key:stay_id'
            WHEN t.admission_date IS NULL THEN 'null value:admission_date'
            WHEN t.discharge_date IS NULL THEN 'null value:discharge_date'
            WHEN t.admission_date < $min_date OR t.admission_date > $max_date
                THEN 'date out of range:admission_date'
            WHEN t.discharge_date < $min_date OR t.discharge_date > $max_date
                THEN 'date out of range:discharge_date'
            WHEN t.discharge_date < t.admission_date THEN 'end before start:discharge_date'
            WHEN p.person_id IS NULL THEN 'unknown person:person_id'
            WHEN t.admission_date > p.death_date THEN 'event after death:admission_date'
        END AS problem
    FROM typed AS t
    LEFT JOIN persons_valid AS p ON p.person_id = t.person_id
)
SELECT
    stay_id,
    person_id,
    admission_date,
    discharge_date,
    nullif(split_part(problem, ':', 1), '') AS reject_reason,  -- '' for a null problem on some engines
    nullif(split_part(problem, ':', 2), '') AS reject_column,
    CASE WHEN problem IS NOT NULL THEN to_json(struct_pack(
        stay_id := raw_stay_id, person_id := raw_person_id,
        admission_date := raw_admission_date, discharge_date := raw_discharge_date
    )) END AS source_record
FROM checked
