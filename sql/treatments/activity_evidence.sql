-- stage: treatments/activity_evidence
-- creates: activity_evidence
-- purpose: evidence of disease activity, read by the phase and by the time to the chronic
--          phase: each era of an evidence class, [start_date, end_date], and each
--          qualifying code as a one-day span.
-- inputs: exposures, qualifying_codes
-- param evidence_classes: VARCHAR[], classes whose eras are evidence of activity
CREATE OR REPLACE TEMP TABLE activity_evidence AS
SELECT person_id, start_date, end_date FROM exposures
WHERE list_contains($evidence_classes, class)
UNION ALL
SELECT person_id, date, date FROM qualifying_codes
