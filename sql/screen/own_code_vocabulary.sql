-- stage: screen/own_code_vocabulary
-- creates: code_vocabulary
-- purpose: one definition's part of a shared scan's code vocabulary (several definitions
--          screened in one pass: pipeline/scan.py): the codes of its own codelists, under
--          the names it gives them. The scan keyed each codelist by name and content, so
--          two definitions' codelists of one name and different codes stay apart.
-- inputs: shared_code_vocabulary, codelist_keys
CREATE OR REPLACE TEMP TABLE code_vocabulary AS
SELECT v.domain, v.raw_code, v.code, k.codelist
FROM shared_code_vocabulary AS v
JOIN codelist_keys AS k ON k.scan_key = v.codelist
