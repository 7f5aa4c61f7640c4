-- stage: characteristics/person_phases
-- creates: person_phases
-- purpose: each cohort member's disease phase, a stratum of Table 1.
-- inputs: cohort_phased
CREATE OR REPLACE TEMP TABLE person_phases AS
SELECT person_id, phase FROM cohort_phased
