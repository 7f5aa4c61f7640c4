-- stage: screen/dates_out_of_range
-- creates: dates_out_of_range
-- purpose: per table, the rows checked and those set aside for a date outside the valid
--          range: when most of a table is outside it, the extract's dates are shifted (a
--          de-identified CDM) or the range is wrong, and the run stops with a hint rather
--          than building an empty cohort.
-- inputs: screened_persons, screened_observation_periods, screened_diagnoses,
--         screened_dispensings, screened_procedures, screened_hospital_stays
CREATE OR REPLACE TEMP TABLE dates_out_of_range AS
SELECT 'persons' AS table_name, count(*) AS rows_checked,
    count(*) FILTER (WHERE reject_reason = 'date out of range') AS out_of_range
FROM screened_persons
UNION ALL
SELECT 'observation_periods', count(*), count(*) FILTER (WHERE reject_reason = 'date out of range')
FROM screened_observation_periods
UNION ALL
SELECT 'diagnoses', count(*), count(*) FILTER (WHERE reject_reason = 'date out of range')
FROM screened_diagnoses
UNION ALL
SELECT 'dispensings', count(*), count(*) FILTER (WHERE reject_reason = 'date out of range')
FROM screened_dispensings
UNION ALL
SELECT 'procedures', count(*), count(*) FILTER (WHERE reject_reason = 'date out of range')
FROM screened_procedures
UNION ALL
SELECT 'hospital_stays', count(*), count(*) FILTER (WHERE reject_reason = 'date out of range')
FROM screened_hospital_stays
