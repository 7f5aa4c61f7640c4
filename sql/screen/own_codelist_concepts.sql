-- stage: screen/own_codelist_concepts
-- creates: codelist_concepts
-- purpose: one definition's part of a shared scan's OMOP concept matches (empty outside
--          OMOP), under its own codelist names (see screen/own_code_vocabulary).
-- inputs: shared_codelist_concepts, codelist_keys
CREATE OR REPLACE TEMP TABLE codelist_concepts AS
SELECT k.codelist, c.domain, c.concept_id
FROM shared_codelist_concepts AS c
JOIN codelist_keys AS k ON k.scan_key = c.codelist
