-- stage: treatments/switches
-- creates: switches
-- purpose: what follows each era of a line class, for switch analyses (multiple sclerosis
--          DMTs). Eras, not courses: yearly courses of one drug (alemtuzumab, cladribine)
--          touch and form one era, one treatment. In order:
--          continuation: the same class resumes (a later era) at most gap_days after this
--            era's end, no later than the next class below starts;
--          a switch: the next class is the era of another class that goes on past this
--            era's end and starts at most gap_days after it (it may have started earlier:
--            a drug taken alongside continues alone); the earliest starting, ties by class
--            name. escalation to a higher efficacy group, lateral within one,
--            de-escalation to a lower;
--          discontinuation: neither, and follow-up lasts past end_date + gap_days;
--          ongoing: neither, and follow-up ends on or before end_date + gap_days.
-- inputs: exposures, treatment_classes, cohort
-- param gap_days: INTEGER, days after an era's end within which a treatment follows it
CREATE OR REPLACE TEMP TABLE switches AS
WITH eras AS (
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
        n.efficacy_group AS to_group,
        n.efficacy_rank AS to_rank,
        row_number() OVER (
            PARTITION BY e.person_id, e.class, e.start_date ORDER BY n.start_date, n.class
        ) AS rank_of_next
    FROM eras AS e
    JOIN eras AS n
        ON n.person_id = e.person_id
        AND n.class <> e.class
        AND n.end_date > e.end_date
        AND n.start_date <= e.end_date + CAST($gap_days AS INTEGER)
),
resumed AS (
    SELECT e.person_id, e.class, e.start_date, min(r.start_date) AS resumed_on
    FROM eras AS e
    JOIN eras AS r
        ON r.person_id = e.person_id AND r.class = e.class AND r.start_date > e.end_date
        AND r.start_date <= e.end_date + CAST($gap_days AS INTEGER)
    GROUP BY e.person_id, e.class, e.start_date
),
classified AS (
    SELECT
        e.*,
        n.to_class,
        n.to_group,
        n.to_start_date,
        CASE
            WHEN r.resumed_on IS NOT NULL
                AND (n.to_start_date IS NULL OR r.resumed_on <= n.to_start_date)
                THEN 'continuation'
            WHEN n.to_class IS NOT NULL THEN
                CASE
                    WHEN n.to_rank > e.efficacy_rank THEN 'escalation'
                    WHEN n.to_rank < e.efficacy_rank THEN 'de-escalation'
                    ELSE 'lateral'
                END
            WHEN c.follow_up_end > e.end_date + CAST($gap_days AS INTEGER) THEN 'discontinuation'
            ELSE 'ongoing'
        END AS transition
    FROM eras AS e
    JOIN cohort AS c ON c.person_id = e.person_id
    LEFT JOIN candidates AS n
        ON n.person_id = e.person_id AND n.class = e.class AND n.start_date = e.start_date
        AND n.rank_of_next = 1
    LEFT JOIN resumed AS r
        ON r.person_id = e.person_id AND r.class = e.class AND r.start_date = e.start_date
)
SELECT
    person_id,
    class AS from_class,
    efficacy_group AS from_group,
    start_date AS from_start_date,
    end_date AS from_end_date,
    CASE WHEN transition NOT IN ('continuation') THEN to_class END AS to_class,
    CASE WHEN transition NOT IN ('continuation') THEN to_group END AS to_group,
    CASE WHEN transition NOT IN ('continuation') THEN to_start_date END AS to_start_date,
    transition
FROM classified
ORDER BY person_id, from_start_date, from_class
