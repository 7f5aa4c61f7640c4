-- stage: sources/omop/dispensings
-- creates: raw_dispensings
-- purpose: OMOP drug_exposure as the canonical dispensings. One exposure covers
--          [start, CDM end] inclusive: end_date = the CDM end (drug_exposure_ends), which
--          the era builder uses before days_supply (passed on as given); quantity = 1
--          record (the CDM's quantity counts units, often 0, and is not needed once the
--          end is known). atc: the drug concept's ATC
--          ancestor, else the source value, else the concept id. concept_id:
--          drug_concept_id. setting: hospital during an inpatient visit, else community.
-- inputs: drug_exposure_ends, drug_concept_atc, inpatient_visits
CREATE OR REPLACE TEMP VIEW raw_dispensings AS
SELECT
    e.person_id,
    e.drug_exposure_start_date AS date,
    coalesce(a.atc, nullif(trim(CAST(e.drug_source_value AS VARCHAR)), ''),
        CAST(e.drug_concept_id AS VARCHAR)) AS atc,
    CAST(e.drug_source_value AS VARCHAR) AS product_code,
    CASE WHEN v.stay_id IS NULL THEN 'community' ELSE 'hospital' END AS setting,
    1.0 AS quantity,
    e.days_supply,
    e.cdm_end_date AS end_date,
    e.drug_concept_id AS concept_id
FROM drug_exposure_ends AS e
LEFT JOIN drug_concept_atc AS a ON a.drug_concept_id = TRY_CAST(e.drug_concept_id AS BIGINT)
LEFT JOIN inpatient_visits AS v
    ON v.visit_key = CAST(TRY_CAST(e.visit_occurrence_id AS BIGINT) AS VARCHAR)
