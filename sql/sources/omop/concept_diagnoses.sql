-- stage: sources/omop/concept_diagnoses
-- creates: screened_diagnoses
-- purpose: a valid condition whose concept is on a concept codelist gets a second row
--          with the pseudo-code 'OMOP<concept_id>': a concept codelist matches that row and
--          a source-code codelist the original one, so no codelist sees a row twice.
--          Rejected rows are not copied (they are counted once).
-- inputs: screened_diagnoses, codelist_concepts
CREATE OR REPLACE TEMP TABLE screened_diagnoses AS
SELECT person_id, date, end_date, holds_until, code, setting, stay_id, concept_id, reject_reason,
    reject_column, source_record
FROM screened_diagnoses
UNION ALL
SELECT person_id, date, end_date, holds_until, 'OMOP' || concept_id, setting, stay_id, concept_id,
    CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
FROM screened_diagnoses
WHERE reject_reason IS NULL
    AND concept_id IN (SELECT c.concept_id FROM codelist_concepts AS c WHERE c.domain = 'diagnoses')
