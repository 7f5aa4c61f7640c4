-- stage: treatments/switches
-- creates: switches
-- purpose: what follows each era of a line class, for switch analyses (multiple sclerosis
--          DMTs). Eras, not courses: yearly courses of one drug (alemtuzumab, cladribine)
--          touch and form one era, one treatment. The next era is the first of another
--          class starting after this one's start (ties: class name). It is a switch when it
--          starts at most gap_days after this era's end: escalation to a higher efficacy
--          group, lateral within one, de-escalation to a lower. Without one: continuation
--          when the same class resumes within gap_days, discontinuation when follow-up
--          lasts past end_date + gap_days, else ongoing (not yet decidable).
-- inputs: exposures, treatment_classes, cohort
-- param gap_days: INTEGER, days after an episode's end within which a new class is a switch
CREATE OR REPLACE TEMP TABLE switches AS
WITH episodes AS (
    SELECT e.person_id, e.class, e.start_date, e.end_date, k.efficacy_group, k.efficacy_rank
    FROM exposures AS e
    JOIN treatment_classes AS k ON k.class = e.class
    WHERE k.role = 'line'
),
candidates AS (
    SELECT
        e.person_id,
        e.class,
        e.start_date,
        n.class AS to_class,
        n.start_date AS to_start_date,
        row_number() OVER (
            PARTITION BY e.person_id, e.class, e.start_date ORDER BY n.start_date, n.class
        ) AS rank_of_next
    FROM episodes AS e
    JOIN episodes AS n
        ON n.person_id = e.person_id AND n.class <> e.class AND n.start_date > e.start_date
),
nexts AS (
    SELECT * FROM candidates WHERE rank_of_next = 1
),
resumed AS (
    SELECT DISTINCT e.person_id, e.class, e.start_date
    FROM episodes AS e
    JOIN episodes AS r
        ON r.person_id = e.person_id AND r.class = e.class AND r.start_date > e.end_date
        AND r.start_date <= e.end_date + CAST($gap_days AS INTEGER)
)
SELECT
    e.person_id,
    e.class AS from_class,
    e.efficacy_group AS from_group,
    e.start_date AS from_start_date,
    e.end_date AS from_end_date,
    CASE WHEN n.to_start_date <= e.end_date + CAST($gap_days AS INTEGER) THEN n.to_class END
        AS to_class,
    CASE WHEN n.to_start_date <= e.end_date + CAST($gap_days AS INTEGER) THEN k.efficacy_group END
        AS to_group,
    CASE WHEN n.to_start_date <= e.end_date + CAST($gap_days AS INTEGER) THEN n.to_start_date END
        AS to_start_date,
    CASE
        WHEN n.to_start_date <= e.end_date + CAST($gap_days AS INTEGER) THEN
            CASE
                WHEN k.efficacy_rank > e.efficacy_rank THEN 'escalation'
                WHEN k.efficacy_rank < e.efficacy_rank THEN 'de-escalation'
                ELSE 'lateral'
            END
        WHEN r.person_id IS NOT NULL THEN 'continuation'
        WHEN c.follow_up_end > e.end_date + CAST($gap_days AS INTEGER) THEN 'discontinuation'
        ELSE 'ongoing'
    END AS transition
FROM episodes AS e
JOIN cohort AS c ON c.person_id = e.person_id
LEFT JOIN nexts AS n
    ON n.person_id = e.person_id AND n.class = e.class AND n.start_date = e.start_date
LEFT JOIN treatment_classes AS k ON k.class = n.to_class
LEFT JOIN resumed AS r
    ON r.person_id = e.person_id AND r.class = e.class AND r.start_date = e.start_date
ORDER BY e.person_id, e.start_date, e.class
