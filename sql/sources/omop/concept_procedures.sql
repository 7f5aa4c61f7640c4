-- stage: sources/omop/concept_procedures
-- creates: screened_procedures
-- purpose: as concept_diagnoses, for procedures.
-- inputs: screened_procedures, codelist_concepts
CREATE OR REPLACE TEMP TABLE screened_procedures AS
SELECT person_id, date, code, stay_id, concept_id, reject_reason, reject_column, source_record
FROM screened_procedures
UNION ALL
SELECT person_id, date, 'OMOP' || concept_id, stay_id, concept_id,
    CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
FROM screened_procedures
WHERE reject_reason IS NULL
    AND concept_id IN (
        SELECT c.concept_id FROM codelist_concepts AS c WHERE c.domain = 'procedures'
    )
