-- stage: treatments/phases
-- creates: cohort_phased
-- purpose: the disease phase (International Working Group), read from evidence of disease
--          activity: an exposure era of an evidence class overlapping the window, or a
--          qualifying code dated in it. chronic = evidence in
--          [index_date + chronic_after_days + 1, follow_up_end]; otherwise, once follow-up
--          reaches index_date + chronic_after_days + 1 (the day the phase is decided),
--          persistent = evidence in [index_date + persistent_after_days + 1,
--          index_date + chronic_after_days], else newly_diagnosed; follow-up ending earlier
--          without chronic evidence = insufficient_follow_up. Ends are inclusive.
-- inputs: cohort, activity_evidence
-- param persistent_after_days: INTEGER, newly diagnosed phase length in days
-- param chronic_after_days: INTEGER, days after which activity means chronic
CREATE OR REPLACE TEMP TABLE cohort_phased AS
WITH windows AS (
    SELECT
        c.person_id,
        c.index_date + CAST($persistent_after_days AS INTEGER) + 1 AS persistent_from,
        c.index_date + CAST($chronic_after_days AS INTEGER) AS persistent_to,
        c.index_date + CAST($chronic_after_days AS INTEGER) + 1 AS chronic_from,
        c.follow_up_end
    FROM cohort AS c
),
flags AS (
    SELECT
        w.person_id,
        w.chronic_from,
        w.follow_up_end,
        max(CASE WHEN e.start_date <= w.follow_up_end AND e.end_date >= w.chronic_from
            THEN 1 ELSE 0 END) AS chronic,
        max(CASE WHEN e.start_date <= w.persistent_to AND e.end_date >= w.persistent_from
            THEN 1 ELSE 0 END) AS persistent
    FROM windows AS w
    LEFT JOIN activity_evidence AS e ON e.person_id = w.person_id
    GROUP BY w.person_id, w.chronic_from, w.follow_up_end
)
SELECT
    c.*,
    CASE
        WHEN f.chronic = 1 THEN 'chronic'
        WHEN f.follow_up_end < f.chronic_from THEN 'insufficient_follow_up'
        WHEN f.persistent = 1 THEN 'persistent'
        ELSE 'newly_diagnosed'
    END AS phase
FROM cohort AS c
JOIN flags AS f ON f.person_id = c.person_id
ORDER BY c.person_id
