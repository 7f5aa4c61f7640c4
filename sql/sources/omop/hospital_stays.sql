-- stage: sources/omop/hospital_stays
-- creates: raw_hospital_stays
-- purpose: inpatient visits as the canonical hospital stays (admission and discharge
--          inclusive).
-- inputs: inpatient_visits
CREATE OR REPLACE TEMP VIEW raw_hospital_stays AS
SELECT stay_id, person_id, admission_date, discharge_date
FROM inpatient_visits
