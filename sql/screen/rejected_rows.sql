-- stage: screen/rejected_rows
-- creates: rejected_rows
-- purpose: every row set aside, from every table, with why (written to rejected_rows.parquet).
-- inputs: screened_persons, screened_observation_periods, screened_diagnoses,
--         screened_dispensings, screened_procedures, screened_hospital_stays
CREATE OR REPLACE TEMP TABLE rejected_rows AS
SELECT 'persons' AS table_name, reject_reason, reject_column,
       CAST(person_id AS VARCHAR) AS person_id, source_record
FROM screened_persons WHERE reject_reason IS NOT NULL
UNION ALL
SELECT 'observation_periods', reject_reason, reject_column, CAST(person_id AS VARCHAR), source_record
FROM screened_observation_periods WHERE reject_reason IS NOT NULL
UNION ALL
SELECT 'diagnoses', reject_reason, reject_column, CAST(person_id AS VARCHAR), source_record
FROM screened_diagnoses WHERE reject_reason IS NOT NULL
UNION ALL
SELECT 'dispensings', reject_reason, reject_column, CAST(person_id AS VARCHAR), source_record
FROM screened_dispensings WHERE reject_reason IS NOT NULL
UNION ALL
SELECT 'procedures', reject_reason, reject_column, CAST(person_id AS VARCHAR), source_record
FROM screened_procedures WHERE reject_reason IS NOT NULL
UNION ALL
SELECT 'hospital_stays', reject_reason, reject_column, CAST(person_id AS VARCHAR), source_record
FROM screened_hospital_stays WHERE reject_reason IS NOT NULL
