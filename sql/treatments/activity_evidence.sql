-- stage: treatments/activity_evidence
-- creates: activity_evidence
-- purpose: dated evidence of disease activity, read by the phase and by the time to the
--          chronic phase: the date of each record (dispensing, administration, procedure)
--          of an evidence class, and of each qualifying code (its start, for a long-term
--          disease status). Dates, not exposure eras: an IVIg given on day 62 (30-day
--          effect) is care in month 3, not after it. A class with evidence_min_records
--          counts only records in a run of at least that many distinct dates, each at most
--          evidence_max_gap_days after the previous (FAITH: IVIg as maintenance needs 3
--          monthly administrations; a single one is rescue).
-- inputs: treatment_records, treatment_classes, qualifying_codes
-- param evidence_classes: VARCHAR[], classes whose records are evidence of activity
CREATE OR REPLACE TEMP TABLE activity_evidence AS
WITH dated AS (
    SELECT DISTINCT r.person_id, r.class, r.date, k.evidence_min_records, k.evidence_max_gap_days
    FROM treatment_records AS r
    JOIN treatment_classes AS k ON k.class = r.class
    WHERE list_contains($evidence_classes, r.class)
),
gaps AS (
    SELECT
        *,
        date_diff('day', lag(date) OVER (PARTITION BY person_id, class ORDER BY date), date)
            AS days_since_previous
    FROM dated
),
runs AS (
    SELECT
        *,
        sum(CASE WHEN days_since_previous IS NULL OR days_since_previous > evidence_max_gap_days
            THEN 1 ELSE 0 END) OVER (
            PARTITION BY person_id, class ORDER BY date ROWS UNBOUNDED PRECEDING
        ) AS run_number
    FROM gaps
),
sized AS (
    SELECT
        *,
        count(*) OVER (PARTITION BY person_id, class, run_number) AS run_records
    FROM runs
)
SELECT DISTINCT person_id, date
FROM sized
WHERE evidence_min_records IS NULL OR run_records >= evidence_min_records
UNION
SELECT person_id, date FROM qualifying_codes
