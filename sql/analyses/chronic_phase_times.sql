-- stage: analyses/chronic_phase_times
-- creates: chronic_phase_times
-- purpose: the time to the chronic phase (analyses.survival with a phase block), one row
--          per cohort member: time in days from index_date to the first date from
--          index_date + chronic_after_days + 1 with evidence of activity (a qualifying code,
--          a record of an evidence class: treatments/activity_evidence), the day the
--          disease is read as chronic, or to follow_up_end; event 1 = chronic, 2 = death
--          first (a competing risk), 0 = censored alive at follow_up_end. Every member is
--          followed from index_date, so deaths before the chronic phase can be reached
--          compete with it. The other analyses of survival.parquet (death, bleeding,
--          line 2, next treatment after a course) are outcome_survival entries
--          (analyses/outcomes.py: survival_block).
-- inputs: cohort, activity_evidence
-- param chronic_after_days: INTEGER, the phase block's chronic_after_days
CREATE OR REPLACE TEMP TABLE chronic_phase_times AS
WITH chronic AS (
    SELECT
        c.person_id,
        min(e.date) AS chronic_date
    FROM cohort AS c
    JOIN activity_evidence AS e
        ON e.person_id = c.person_id
        AND e.date >= c.index_date + CAST($chronic_after_days AS INTEGER) + 1
        AND e.date <= c.follow_up_end
    GROUP BY c.person_id
)
SELECT
    'chronic_phase' AS analysis,
    c.person_id,
    CAST(date_diff('day', c.index_date, coalesce(h.chronic_date, c.follow_up_end)) AS INTEGER)
        AS time,
    CASE WHEN h.chronic_date IS NOT NULL THEN 1 WHEN c.end_reason = 'death' THEN 2 ELSE 0 END
        AS event
FROM cohort AS c
LEFT JOIN chronic AS h ON h.person_id = c.person_id
