-- stage: sources/omop/drug_era_comparison
-- creates: drug_era_comparison
-- purpose: how the built drug_era agrees with the one shipped in the CDM (src_drug_era):
--          eras equal on person, ingredient, start, end and exposure count; equal but for
--          the exposure count; equal on person, ingredient and start only; and eras found
--          in one table with no era of the same person, ingredient and start in the other.
-- inputs: drug_era, src_drug_era
CREATE OR REPLACE TEMP TABLE drug_era_comparison AS
WITH shipped AS (
    SELECT
        TRY_CAST(person_id AS BIGINT) AS person_id,
        TRY_CAST(drug_concept_id AS BIGINT) AS drug_concept_id,
        TRY_CAST(drug_era_start_date AS DATE) AS start_date,
        TRY_CAST(drug_era_end_date AS DATE) AS end_date,
        TRY_CAST(drug_exposure_count AS INTEGER) AS exposure_count
    FROM src_drug_era
),
built AS (
    SELECT person_id, drug_concept_id, drug_era_start_date AS start_date,
        drug_era_end_date AS end_date, drug_exposure_count AS exposure_count
    FROM drug_era
),
paired AS (
    SELECT b.end_date AS built_end, b.exposure_count AS built_count,
        s.end_date AS shipped_end, s.exposure_count AS shipped_count,
        b.person_id IS NOT NULL AS in_built, s.person_id IS NOT NULL AS in_shipped
    FROM built AS b
    FULL OUTER JOIN shipped AS s
        ON s.person_id = b.person_id
        AND s.drug_concept_id = b.drug_concept_id
        AND s.start_date = b.start_date
)
SELECT 'built' AS measure, count(*) AS eras FROM built
UNION ALL SELECT 'shipped', count(*) FROM shipped
UNION ALL SELECT 'exact', count(*) FROM paired
    WHERE in_built AND in_shipped AND built_end = shipped_end AND built_count = shipped_count
UNION ALL SELECT 'same end, other exposure count', count(*) FROM paired
    WHERE in_built AND in_shipped AND built_end = shipped_end AND built_count <> shipped_count
UNION ALL SELECT 'same start, other end', count(*) FROM paired
    WHERE in_built AND in_shipped AND built_end <> shipped_end
UNION ALL SELECT 'built only', count(*) FROM paired WHERE in_built AND NOT in_shipped
UNION ALL SELECT 'shipped only', count(*) FROM paired WHERE in_shipped AND NOT in_built
