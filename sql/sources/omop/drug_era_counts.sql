-- stage: sources/omop/drug_era_counts
-- creates: drug_era_counts
-- purpose: what drug-eras reports of the drug_era it built: eras and persons, one row.
-- inputs: drug_era
CREATE OR REPLACE TEMP TABLE drug_era_counts AS
SELECT count(*) AS eras, count(DISTINCT person_id) AS persons
FROM drug_era
