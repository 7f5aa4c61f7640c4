-- stage: sources/omop/visits
-- creates: inpatient_visits
-- purpose: the inpatient visits (visit concepts 9201 inpatient, 262 emergency room and
--          inpatient; parameter) that become hospital stays and give conditions, drugs and
--          procedures recorded during them a hospital setting. A small table: visits are
--          far fewer than events.
-- inputs: src_visit_occurrence
-- param inpatient_visit_concepts: BIGINT[], visit concepts that are hospital stays
CREATE OR REPLACE TEMP TABLE inpatient_visits AS
SELECT
    visit_occurrence_id AS stay_id,
    CAST(TRY_CAST(visit_occurrence_id AS BIGINT) AS VARCHAR) AS visit_key,
    person_id,
    visit_start_date AS admission_date,
    visit_end_date AS discharge_date
FROM src_visit_occurrence
WHERE list_contains($inpatient_visit_concepts, TRY_CAST(visit_concept_id AS BIGINT))
