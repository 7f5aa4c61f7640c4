-- stage: treatments/exposure_windows
-- creates: exposure_windows
-- purpose: the days each dispensing or administration covers, [start_date, end_date]
--          inclusive. standard: a dispensing covers [date, end_date] when the source gives
--          its end (OMOP), else days_supply days when given (> 0), else quantity x
--          days_per_box (rounded, at least 1); an administration covers effect_days. With stockpiling, a window starts the day after the class's supply
--          so far runs out: end_i = max over j <= i of (date_j + sum of durations j..i) - 1,
--          the closed form of "start = max(date, previous end + 1)", so no recursion.
--          ohdsi: the source's end date when given, else date + days_supply when > 0, else
--          date + 1 day (the CDM's end convention); never stockpiled; gap allowance = persistence window - 1 uncovered days.
--          Windows starting after follow_up_end are dropped.
-- inputs: treatment_records, treatment_classes
-- param ohdsi: BOOLEAN, use the OHDSI drug_era convention
-- param ohdsi_persistence_days: INTEGER, the OHDSI persistence window
CREATE OR REPLACE TEMP TABLE exposure_windows AS
WITH supplied AS (
    SELECT
        r.person_id,
        r.class,
        r.record_id,
        r.date,
        r.follow_up_end,
        CASE
            WHEN $ohdsi AND r.end_date IS NOT NULL
                THEN CAST(date_diff('day', r.date, r.end_date) AS INTEGER)
            WHEN $ohdsi THEN CASE WHEN r.days_supply > 0 THEN r.days_supply ELSE 1 END
            WHEN k.kind = 'administration' THEN k.effect_days
            WHEN r.end_date IS NOT NULL THEN CAST(date_diff('day', r.date, r.end_date) AS INTEGER) + 1
            WHEN r.days_supply > 0 THEN r.days_supply
            ELSE greatest(1, CAST(round(r.quantity * k.days_per_box) AS INTEGER))
        END AS duration,
        CASE WHEN $ohdsi THEN CAST($ohdsi_persistence_days AS INTEGER) - 1 ELSE k.grace_days END
            AS grace_days,
        k.stockpiling AND NOT $ohdsi AS stockpiling
    FROM treatment_records AS r
    JOIN treatment_classes AS k ON k.class = r.class
    WHERE k.kind IN ('dispensing', 'administration')
),
running AS (
    SELECT
        s.*,
        sum(duration) OVER (
            PARTITION BY person_id, class ORDER BY record_id ROWS UNBOUNDED PRECEDING
        ) AS supplied_through
    FROM supplied AS s
),
carried AS (
    SELECT
        r.*,
        max(date - CAST(supplied_through - duration AS INTEGER)) OVER (
            PARTITION BY person_id, class ORDER BY record_id ROWS UNBOUNDED PRECEDING
        ) AS latest_shifted_start
    FROM running AS r
),
windows AS (
    SELECT
        person_id,
        class,
        record_id,
        date,
        duration,
        grace_days,
        follow_up_end,
        CASE
            WHEN stockpiling
                THEN latest_shifted_start + CAST(supplied_through - duration AS INTEGER)
            ELSE date
        END AS start_date,
        CASE
            WHEN stockpiling THEN latest_shifted_start + CAST(supplied_through - 1 AS INTEGER)
            WHEN $ohdsi THEN date + duration
            ELSE date + (duration - 1)
        END AS end_date
    FROM carried
)
SELECT person_id, class, record_id, date, duration, grace_days, start_date, end_date, follow_up_end
FROM windows
WHERE start_date <= follow_up_end
