-- stage: sources/omop/procedures
-- creates: raw_procedures
-- purpose: OMOP procedure_occurrence as the canonical procedures. code: the source value
--          (CCAM in a French CDM), else the concept id; concept_id: procedure_concept_id;
--          stay_id: the inpatient visit it was recorded in.
-- inputs: src_procedure_occurrence, inpatient_visits
CREATE OR REPLACE TEMP VIEW raw_procedures AS
SELECT
    p.person_id,
    p.procedure_date AS date,
    coalesce(nullif(trim(CAST(p.procedure_source_value AS VARCHAR)), ''),
        CAST(p.procedure_concept_id AS VARCHAR)) AS code,
    v.stay_id,
    p.procedure_concept_id AS concept_id
FROM src_procedure_occurrence AS p
LEFT JOIN inpatient_visits AS v
    ON v.visit_key = CAST(TRY_CAST(p.visit_occurrence_id AS BIGINT) AS VARCHAR)
