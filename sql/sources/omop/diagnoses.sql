-- stage: sources/omop/diagnoses
-- creates: raw_diagnoses
-- purpose: OMOP condition_occurrence as the canonical diagnoses. code: the source value
--          (ICD-10 in a French CDM; matched by source-code codelists), else the concept id;
--          concept_id: condition_concept_id (matched by concept codelists). date: the
--          condition start date. setting: during an inpatient visit, hospital_primary when
--          the condition is marked primary (condition_status 32902, or a primary condition
--          type: the table primary_condition_concepts), else hospital_associated; outside
--          inpatient visits, outpatient. (A view takes no bound parameters: the concepts
--          come as a table.)
-- inputs: src_condition_occurrence, inpatient_visits, primary_condition_concepts
CREATE OR REPLACE TEMP VIEW raw_diagnoses AS
SELECT
    c.person_id,
    c.condition_start_date AS date,
    coalesce(nullif(trim(CAST(c.condition_source_value AS VARCHAR)), ''),
        CAST(c.condition_concept_id AS VARCHAR)) AS code,
    CASE
        WHEN v.stay_id IS NULL THEN 'outpatient'
        WHEN TRY_CAST(c.condition_status_concept_id AS BIGINT)
                IN (SELECT k.concept_id FROM primary_condition_concepts AS k)
            OR TRY_CAST(c.condition_type_concept_id AS BIGINT)
                IN (SELECT k.concept_id FROM primary_condition_concepts AS k)
            THEN 'hospital_primary'
        ELSE 'hospital_associated'
    END AS setting,
    v.stay_id,
    c.condition_concept_id AS concept_id,
    CAST(NULL AS DATE) AS end_date
FROM src_condition_occurrence AS c
LEFT JOIN inpatient_visits AS v
    ON v.visit_key = CAST(TRY_CAST(c.visit_occurrence_id AS BIGINT) AS VARCHAR)
