-- stage: screen/own_procedures
-- creates: screened_procedures
-- purpose: one definition's rows of a shared scan's screened procedures: those its own
--          build would have screened (rows whose code is on its codelists, or whose OMOP
--          concept is), problems included, so that its rows set aside and its rules see
--          exactly what `build-cohort` alone sees. A row's code is the normalised
--          form the vocabulary gives, so matching it against the own vocabulary's
--          normalised codes selects the rows whose code as written the own codelists
--          match. A view: the filter, a semi-join on a small table, costs less each time
--          a stage reads it than a copy of millions of rows.
-- inputs: shared_screened_procedures, code_vocabulary, codelist_concepts
CREATE OR REPLACE TEMP VIEW screened_procedures AS
SELECT s.*
FROM shared_screened_procedures AS s
WHERE s.code IN (SELECT v.code FROM code_vocabulary AS v WHERE v.domain = 'procedures')
    OR s.concept_id IN (SELECT c.concept_id FROM codelist_concepts AS c WHERE c.domain = 'procedures')
