-- stage: sources/omop/codelist_concepts
-- creates: codelist_concepts
-- purpose: the concept ids each OMOP concept codelist matches: its own entries, plus
--          every descendant in concept_ancestor for include_descendants codelists.
--          Concept ids are compared as text of the integer ('01118084' is 1118084).
-- inputs: codelist_codes, src_concept_ancestor
CREATE OR REPLACE TEMP TABLE codelist_concepts AS
SELECT DISTINCT codelist, domain, CAST(TRY_CAST(code AS BIGINT) AS VARCHAR) AS concept_id
FROM codelist_codes
WHERE match IN ('concept', 'concept_descendants')
UNION
SELECT DISTINCT c.codelist, c.domain, CAST(TRY_CAST(a.descendant_concept_id AS BIGINT) AS VARCHAR)
FROM codelist_codes AS c
JOIN src_concept_ancestor AS a
    ON TRY_CAST(a.ancestor_concept_id AS BIGINT) = TRY_CAST(c.code AS BIGINT)
WHERE c.match = 'concept_descendants'
