-- stage: sources/omop/concept_vocabulary
-- creates: code_vocabulary
-- purpose: add each concept codelist's concepts to the code vocabulary as pseudo-codes
--          'OMOP<concept_id>', so every rule stage joins concept matches exactly as code
--          matches (the concept_<domain> stages give matching rows that pseudo-code).
-- inputs: code_vocabulary, codelist_concepts
CREATE OR REPLACE TEMP TABLE code_vocabulary AS
SELECT domain, raw_code, code, codelist FROM code_vocabulary
UNION ALL
SELECT domain, 'OMOP' || concept_id, 'OMOP' || concept_id, codelist
FROM codelist_concepts
