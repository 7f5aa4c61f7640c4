-- stage: sources/omop/drug_concepts
-- creates: drug_concept_atc
-- purpose: the ATC code of each drug concept used in drug_exposure: its ATC 5th-level
--          ancestor through concept_ancestor (the smallest code when a combination has
--          several). A small table (one row per distinct drug concept), so the dispensings
--          view joins it without re-reading the vocabulary per row. Empty when the CDM
--          ships no ATC concepts (then dispensings carry their source value).
-- inputs: src_drug_exposure, src_concept, src_concept_ancestor
-- param atc_vocabulary: VARCHAR, the vocabulary_id of ATC concepts
-- param atc_level: VARCHAR, the concept_class_id of 7-character ATC codes
CREATE OR REPLACE TEMP TABLE drug_concept_atc AS
WITH used AS (
    SELECT DISTINCT TRY_CAST(drug_concept_id AS BIGINT) AS drug_concept_id
    FROM src_drug_exposure
),
atc AS (
    SELECT TRY_CAST(concept_id AS BIGINT) AS concept_id, CAST(concept_code AS VARCHAR) AS code
    FROM src_concept
    WHERE vocabulary_id = $atc_vocabulary AND concept_class_id = $atc_level
)
SELECT u.drug_concept_id, min(atc.code) AS atc
FROM used AS u
JOIN src_concept_ancestor AS a ON TRY_CAST(a.descendant_concept_id AS BIGINT) = u.drug_concept_id
JOIN atc ON atc.concept_id = TRY_CAST(a.ancestor_concept_id AS BIGINT)
GROUP BY u.drug_concept_id
