-- stage: treatments/treatment_records
-- creates: treatment_records
-- purpose: the dispensings and procedures of each treatment class for cohort members,
--          dated in [index_date - lookback_days, follow_up_end] (inclusive). A code on the
--          codelists of two classes gives one record per class. record_id orders records
--          of one person and class: date, then the source row's values (a stable tie-break,
--          nulls last).
-- inputs: cohort, screened_dispensings, screened_procedures, codelist_matches, treatment_classes
-- param lookback_days: INTEGER, days before index_date searched for records
CREATE OR REPLACE TEMP TABLE treatment_records AS
WITH records AS (
    SELECT d.person_id, d.date, m.codelist, d.quantity, d.days_supply, d.end_date
    FROM screened_dispensings AS d
    JOIN codelist_matches AS m ON m.domain = 'dispensings' AND m.code = d.atc
    WHERE d.reject_reason IS NULL
    UNION ALL
    SELECT p.person_id, p.date, m.codelist, CAST(NULL AS DOUBLE), CAST(NULL AS INTEGER),
        CAST(NULL AS DATE)
    FROM screened_procedures AS p
    JOIN codelist_matches AS m ON m.domain = 'procedures' AND m.code = p.code
    WHERE p.reject_reason IS NULL
)
SELECT
    r.person_id,
    k.class,
    k.kind,
    r.date,
    r.quantity,
    r.days_supply,
    r.end_date,
    c.index_date,
    c.follow_up_end,
    row_number() OVER (
        PARTITION BY r.person_id, k.class ORDER BY r.date, r.end_date, r.days_supply, r.quantity
    ) AS record_id
FROM records AS r
JOIN treatment_classes AS k ON k.codelist = r.codelist
JOIN cohort AS c
    ON c.person_id = r.person_id
    AND r.date >= c.index_date - CAST($lookback_days AS INTEGER)
    AND r.date <= c.follow_up_end
