-- stage: sources/omop/ingredient_windows
-- creates: exposure_windows
-- purpose: the input of the era builder (treatments/exposures) for the OMOP standard
--          drug_era: each drug exposure rolled up to its ingredient(s) through
--          concept_ancestor (a combination product counts for each ingredient), covering
--          [start, CDM end] (drug_exposure_ends). Rows without a start date, with drug
--          concept 0, or with no ingredient ancestor are left out (the OHDSI script does
--          the same); ingredient_rows_left_out counts them. Windows merge into eras when
--          the next start is at most persistence_days after the latest end (grace =
--          persistence_days - 1 uncovered days), as in the OHDSI derivation.
-- inputs: drug_exposure_ends, src_concept, src_concept_ancestor
-- param ingredient_vocabularies: VARCHAR[], vocabularies whose Ingredient concepts roll up drugs
-- param ingredient_class: VARCHAR, the concept_class_id of ingredients
-- param persistence_days: INTEGER, the OHDSI persistence window
-- param open_end: DATE, a follow-up end later than any exposure (eras are not cut)
CREATE OR REPLACE TEMP TABLE exposure_windows AS
WITH ingredients AS (
    SELECT TRY_CAST(concept_id AS BIGINT) AS ingredient_id
    FROM src_concept
    WHERE list_contains($ingredient_vocabularies, CAST(vocabulary_id AS VARCHAR))
        AND concept_class_id = $ingredient_class
),
ingredient_of AS (
    -- drug concept -> its ingredients, built first: a drug has many ancestors (classes,
    -- ATC levels), so joining exposures to concept_ancestor before filtering multiplies rows
    SELECT DISTINCT TRY_CAST(a.descendant_concept_id AS BIGINT) AS drug_concept_id, i.ingredient_id
    FROM src_concept_ancestor AS a
    JOIN ingredients AS i ON i.ingredient_id = TRY_CAST(a.ancestor_concept_id AS BIGINT)
),
rolled_up AS (
    SELECT
        TRY_CAST(e.person_id AS BIGINT) AS person_id,
        CAST(m.ingredient_id AS VARCHAR) AS class,
        e.start_day AS start_date,
        e.cdm_end_date AS end_date
    FROM drug_exposure_ends AS e
    JOIN ingredient_of AS m ON m.drug_concept_id = TRY_CAST(e.drug_concept_id AS BIGINT)
    WHERE e.start_day IS NOT NULL AND TRY_CAST(e.drug_concept_id AS BIGINT) <> 0
)
SELECT
    person_id,
    class,
    row_number() OVER (PARTITION BY person_id, class ORDER BY start_date, end_date) AS record_id,
    start_date AS date,
    CAST(date_diff('day', start_date, end_date) AS INTEGER) AS duration,
    CAST($persistence_days AS INTEGER) - 1 AS grace_days,
    start_date,
    end_date,
    CAST($open_end AS DATE) AS follow_up_end
FROM rolled_up
