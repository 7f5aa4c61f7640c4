-- stage: cohort/index_date
-- creates: dated_cases
-- purpose: rule 3, index_date = the earliest dispensing of the diagnosis-date codelist in
--          [code_date - lookback_days, code_date] (inclusive), else code_date.
--          index_source says what the day is: 'dispensing' (that dispensing, or the
--          dispensing that found the case) or 'code' (a qualifying code's day); min()
--          needs no tie-break (a date is a date).
-- inputs: incident_cases, screened_dispensings, codelist_matches
-- param codelist: VARCHAR, name of the diagnosis-date (dispensings) codelist
-- param lookback_days: INTEGER, days before code_date searched for a dispensing
CREATE OR REPLACE TEMP TABLE dated_cases AS
WITH first_dispensing AS (
    SELECT i.person_id, min(d.date) AS first_date
    FROM incident_cases AS i
    JOIN screened_dispensings AS d
        ON d.person_id = i.person_id
        AND d.date >= i.code_date - CAST($lookback_days AS INTEGER)
        AND d.date <= i.code_date
    JOIN codelist_matches AS m
        ON m.domain = 'dispensings' AND m.code = d.atc AND m.codelist = $codelist
    WHERE d.reject_reason IS NULL
    GROUP BY i.person_id
)
SELECT
    i.*,
    coalesce(f.first_date, i.code_date) AS index_date,
    CASE WHEN f.first_date IS NULL THEN i.found_by ELSE 'dispensing' END AS index_source
FROM incident_cases AS i
LEFT JOIN first_dispensing AS f ON f.person_id = i.person_id
