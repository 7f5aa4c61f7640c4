-- The OHDSI standard drug_era algorithm, as a peer of the era builder in `make bench`:
-- each exposure gives a start event and an end event padded by the persistence window;
-- events are ordered by date (a start before an end on the same day), and an era closes
-- at an end event where no exposure is open any more. Era end = that padded end minus
-- the padding. Input: exposure_windows (person_id, class, start_date, end_date).
CREATE OR REPLACE TEMP TABLE ohdsi_eras AS
WITH events AS (
    SELECT person_id, class, start_date AS event_date, -1 AS event_type,
        row_number() OVER (PARTITION BY person_id, class ORDER BY start_date) AS start_ordinal
    FROM exposure_windows
    UNION ALL
    SELECT person_id, class, end_date + CAST($persistence AS INTEGER), 1, NULL
    FROM exposure_windows
),
ordered AS (
    SELECT
        e.*,
        max(start_ordinal) OVER (
            PARTITION BY person_id, class ORDER BY event_date, event_type
            ROWS UNBOUNDED PRECEDING
        ) AS starts_so_far,
        row_number() OVER (
            PARTITION BY person_id, class ORDER BY event_date, event_type
        ) AS overall_ordinal
    FROM events AS e
),
era_ends AS (
    -- at an end event, open = starts so far - ends so far; 0 closes the era
    SELECT person_id, class, event_date - CAST($persistence AS INTEGER) AS end_date
    FROM ordered
    WHERE event_type = 1 AND 2 * starts_so_far - overall_ordinal = 0
),
assigned AS (
    SELECT w.person_id, w.class, w.start_date, min(e.end_date) AS era_end
    FROM exposure_windows AS w
    JOIN era_ends AS e
        ON e.person_id = w.person_id AND e.class = w.class AND e.end_date >= w.start_date
    GROUP BY w.rowid, w.person_id, w.class, w.start_date
)
SELECT person_id, class, min(start_date) AS era_start, era_end, count(*) AS exposures
FROM assigned
GROUP BY person_id, class, era_end
