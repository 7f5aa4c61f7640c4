-- stage: treatments/phases
-- creates: cohort_phased
-- purpose: the disease phase (International Working Group), read from dated evidence of
--          disease activity (activity_evidence: care and dispensing dates). chronic =
--          evidence in [index_date + chronic_after_days + 1, follow_up_end]; otherwise,
--          once follow-up reaches index_date + chronic_after_days + 1 (the day the phase is
--          decided), persistent = evidence in [index_date + persistent_after_days + 1,
--          index_date + chronic_after_days], else newly_diagnosed; follow-up ending earlier
--          without chronic evidence = insufficient_follow_up. persistent_or_chronic (FAITH's
--          "persistence or chronicity"): evidence in [index_date + persistent_after_days + 1,
--          follow_up_end] is enough (a death in month 5 after care in month 4 is persistent
--          or chronic); without it, false once the phase is decided, null before. Ends are
--          inclusive.
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
        max(CASE WHEN e.date >= w.chronic_from AND e.date <= w.follow_up_end
            THEN 1 ELSE 0 END) AS chronic,
        max(CASE WHEN e.date >= w.persistent_from AND e.date <= w.persistent_to
            THEN 1 ELSE 0 END) AS persistent,
        max(CASE WHEN e.date >= w.persistent_from AND e.date <= w.follow_up_end
            THEN 1 ELSE 0 END) AS after_newly_diagnosed
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
    END AS phase,
    CASE
        WHEN f.after_newly_diagnosed = 1 THEN TRUE
        WHEN f.follow_up_end < f.chronic_from THEN CAST(NULL AS BOOLEAN)
        ELSE FALSE
    END AS persistent_or_chronic
FROM cohort AS c
JOIN flags AS f ON f.person_id = c.person_id
ORDER BY c.person_id
