-- stage: characteristics/hospital_use
-- creates: hospital_use
-- purpose: hospital use of each cohort member in each window: hospital_stays, the stays
--          admitted on a day of the window; hospital_days, the days of the window spent in
--          hospital (each stay's [admission_date, discharge_date] cut to the window, both
--          ends inclusive, summed; a same-day stay is one day). The stays table is read
--          once more, for the cohort's persons only (screening leaves it to validate); a
--          stay whose dates cannot be read, or that ends before it starts, is not counted
--          (validate reports it).
-- inputs: raw_hospital_stays, characteristic_windows, characteristic_features
-- identifier person_id_type: BIGINT | VARCHAR
CREATE OR REPLACE TEMP TABLE hospital_use AS
WITH stays AS (
    SELECT
        TRY_CAST(s.person_id AS {{person_id_type}}) AS person_id,
        TRY_CAST(s.admission_date AS DATE) AS admission_date,
        TRY_CAST(s.discharge_date AS DATE) AS discharge_date
    FROM raw_hospital_stays AS s
    WHERE TRY_CAST(s.person_id AS {{person_id_type}}) IN (
        SELECT w.person_id FROM characteristic_windows AS w
    )
),
valid AS (
    SELECT * FROM stays
    WHERE admission_date IS NOT NULL AND discharge_date IS NOT NULL
        AND discharge_date >= admission_date
),
per_window AS (
    SELECT
        w.person_id,
        w.window_name,
        count(CASE WHEN v.admission_date BETWEEN w.start_date AND w.end_date THEN 1 END)
            AS stays,
        coalesce(sum(
            date_diff('day', greatest(v.admission_date, w.start_date),
                least(v.discharge_date, w.end_date)) + 1
        ), 0) AS days
    FROM characteristic_windows AS w
    JOIN valid AS v
        ON v.person_id = w.person_id
        AND v.admission_date <= w.end_date AND v.discharge_date >= w.start_date
    GROUP BY w.person_id, w.window_name
)
SELECT u.person_id, f.feature, u.window_name,
    CAST(CASE WHEN f.feature = 'hospital_stays' THEN u.stays ELSE u.days END AS DOUBLE) AS value
FROM per_window AS u
JOIN characteristic_features AS f
    ON f.source = 'utilisation' AND f.window_name = u.window_name
    AND f.feature IN ('hospital_stays', 'hospital_days')
