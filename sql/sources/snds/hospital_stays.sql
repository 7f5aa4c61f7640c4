-- stage: sources/snds/hospital_stays
-- creates: raw_hospital_stays
-- purpose: the PMSI MCO stays kept by sources/snds/stays: admission and discharge
--          (EXE_SOI_DTD / EXE_SOI_DTF of T_MCOaaC; before 2009 from the discharge month
--          and length of stay), typed where they parse; the screening checks them.
-- inputs: snds_stays
CREATE OR REPLACE TEMP VIEW raw_hospital_stays AS
SELECT s.stay_id, s.person_id, s.admission_date, s.discharge_date
FROM snds_stays AS s
WHERE s.problem IS NULL
