-- stage: cohort/qualifying_codes
-- creates: qualifying_codes
-- purpose: every qualifying date (rule 1), at any date (the washout looks before the
--          period): a code of the case-finding codelist in one of the case-finding
--          settings; and, when the definition finds cases by dispensings too, the day of the
--          min_count-th distinct dispensing day of those codelists that falls within
--          within_days of the first of them (both days inclusive: d_k - d_1 <= within_days).
-- inputs: screened_diagnoses, screened_dispensings, codelist_matches
-- param codelist: VARCHAR, name of the case-finding codelist
-- param settings: VARCHAR[], settings that qualify
-- param dispensing_codelists: VARCHAR[], dispensings codelists that find cases ([] = none)
-- param min_count: INTEGER, distinct dispensing days needed
-- param within_days: INTEGER, days from the first to the last of them
CREATE OR REPLACE TEMP TABLE qualifying_codes AS
WITH dispensing_days AS (
    SELECT
        person_id,
        date,
        row_number() OVER (PARTITION BY person_id ORDER BY date) AS day_number
    FROM (
        SELECT DISTINCT d.person_id, d.date
        FROM screened_dispensings AS d
        JOIN codelist_matches AS m
            ON m.domain = 'dispensings' AND m.code = d.atc
        WHERE d.reject_reason IS NULL
            AND list_contains($dispensing_codelists, m.codelist)
    ) AS distinct_days
)
SELECT DISTINCT d.person_id, d.date
FROM screened_diagnoses AS d
JOIN codelist_matches AS m
    ON m.domain = 'diagnoses' AND m.code = d.code AND m.codelist = $codelist
WHERE d.reject_reason IS NULL
    AND list_contains($settings, d.setting)
UNION
SELECT last_day.person_id, last_day.date
FROM dispensing_days AS last_day
JOIN dispensing_days AS first_day
    ON first_day.person_id = last_day.person_id
    AND first_day.day_number = last_day.day_number - (CAST($min_count AS INTEGER) - 1)
WHERE date_diff('day', first_day.date, last_day.date) <= CAST($within_days AS INTEGER)
