-- stage: cohort/codelist_matches
-- creates: codelist_matches
-- purpose: which codelist each normalised code belongs to, so rule stages join on equality.
-- inputs: code_vocabulary
CREATE OR REPLACE TEMP TABLE codelist_matches AS
SELECT DISTINCT codelist, domain, code
FROM code_vocabulary
