-- stage: characteristics/characteristic_persons
-- creates: characteristic_persons
-- purpose: the cohort at its index date, as Table 1 describes it: age in completed years,
--          sex, age band (the definition's lower bounds, e.g. '18-39', '75+'), index year,
--          end of follow-up, and the observation start (the start of a window whose
--          start is null).
-- inputs: cohort, characteristic_age_bands
CREATE OR REPLACE TEMP TABLE characteristic_persons AS
SELECT
    c.person_id,
    c.index_date,
    c.observation_start,
    c.age_at_index AS age,
    c.sex,
    b.label AS age_band,
    CAST(year(c.index_date) AS VARCHAR) AS index_year,
    c.end_reason
FROM cohort AS c
JOIN characteristic_age_bands AS b
    ON c.age_at_index >= b.lower_age AND (b.upper_age IS NULL OR c.age_at_index < b.upper_age)
