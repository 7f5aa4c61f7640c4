-- stage: screen/own_diagnoses
-- creates: screened_diagnoses
-- purpose: one definition's rows of a shared scan's screened diagnoses: those its own
--          build would have screened (rows whose code is on its codelists, or whose OMOP
--          concept is), problems included, so that its rows set aside and its rules see
--          exactly what `build-cohort` alone sees. A row's code is the normalised
--          form the vocabulary gives, so matching it against the own vocabulary's
--          normalised codes selects the rows whose code as written the own codelists
--          match. A view: the filter, a semi-join on a small table, costs less each time
--          a stage reads it than a copy of millions of rows.
-- inputs: shared_screened_diagnoses, code_vocabulary, codelist_concepts
CREATE OR REPLACE TEMP VIEW screened_diagnoses AS
SELECT s.*
FROM shared_screened_diagnoses AS s
WHERE s.code IN (SELECT v.code FROM code_vocabulary AS v WHERE v.domain = 'diagnoses')
    OR s.concept_id IN (SELECT c.concept_id FROM codelist_concepts AS c WHERE c.domain = 'diagnoses')
