-- stage: sources/omop/concept_dispensings
-- creates: screened_dispensings
-- purpose: as concept_diagnoses, for drug exposures: a valid row whose drug concept is on
--          a concept codelist gets a second row with atc = 'OMOP<concept_id>'.
-- inputs: screened_dispensings, codelist_concepts
CREATE OR REPLACE TEMP TABLE screened_dispensings AS
SELECT person_id, date, atc, product_code, setting, quantity, days_supply, end_date,
    concept_id, reject_reason, reject_column, source_record
FROM screened_dispensings
UNION ALL
SELECT person_id, date, 'OMOP' || concept_id, product_code, setting, quantity, days_supply,
    end_date, concept_id, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
FROM screened_dispensings
WHERE reject_reason IS NULL
    AND concept_id IN (
        SELECT c.concept_id FROM codelist_concepts AS c WHERE c.domain = 'dispensings'
    )
