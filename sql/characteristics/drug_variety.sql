-- stage: characteristics/drug_variety
-- creates: drug_variety
-- purpose: distinct_atc4: how many distinct ATC 4th-level groups (the first 5 characters,
--          'B01AF') each cohort member was dispensed on days of a window (inclusive). It
--          needs every dispensing of the cohort's persons, so the dispensings table is
--          read once more, for those persons and three columns only; a row whose person or
--          date cannot be read is not counted (validate reports it).
-- inputs: raw_dispensings, characteristic_windows, characteristic_features
-- param atc4_length: INTEGER, the characters of an ATC 4th-level code (5)
-- identifier person_id_type: BIGINT | VARCHAR
CREATE OR REPLACE TEMP TABLE drug_variety AS
WITH dispensed AS (
    SELECT DISTINCT
        TRY_CAST(r.person_id AS {{person_id_type}}) AS person_id,
        TRY_CAST(r.date AS DATE) AS date,
        substr(upper(regexp_replace(CAST(r.atc AS VARCHAR), '[.\s\x{00A0}]', '', 'g')), 1, $atc4_length)
            AS atc4
    FROM raw_dispensings AS r
    WHERE TRY_CAST(r.person_id AS {{person_id_type}}) IN (
        SELECT w.person_id FROM characteristic_windows AS w
    )
),
counted AS (
    SELECT w.person_id, w.window_name, count(DISTINCT d.atc4) AS groups
    FROM characteristic_windows AS w
    JOIN dispensed AS d
        ON d.person_id = w.person_id AND d.date BETWEEN w.start_date AND w.end_date
    WHERE length(d.atc4) = $atc4_length
    GROUP BY w.person_id, w.window_name
)
SELECT c.person_id, f.feature, c.window_name, CAST(c.groups AS DOUBLE) AS value
FROM counted AS c
JOIN characteristic_features AS f
    ON f.source = 'utilisation' AND f.feature = 'distinct_atc4' AND f.window_name = c.window_name
