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
--          induction_completed: neither, after an era of an induction class holding its
--            full regimen (induction_courses courses), and follow-up lasts past
--            end_date + gap_days: finishing cladribine or alemtuzumab is not stopping it;
--          discontinuation: neither, and follow-up lasts past end_date + gap_days (for an
--            induction regimen not yet complete: past end_date + the larger of gap_days and
--            induction_max_delay_days, as its next course may still come);
--          ongoing: neither, and follow-up ends before that.
-- inputs: exposures, treatment_classes, courses, cohort
-- param gap_days: INTEGER, days after an era's end within which a treatment follows it
CREATE OR REPLACE TEMP TABLE switches AS
WITH eras AS (
    SELECT e.person_id, e.class, e.start_date, e.end_date, k.efficacy_group, k.efficacy_rank,
        k.induction_courses, k.induction_max_delay_days
    FROM exposures AS e
    JOIN treatment_classes AS k ON k.class = e.class
    WHERE k.role = 'line'
),
era_courses AS (
    -- courses of an induction class per era (its courses' starts lie in the era)
    SELECT e.person_id, e.class, e.start_date, count(*) AS courses
    FROM eras AS e
    JOIN courses AS k
        ON k.person_id = e.person_id AND k.class = e.class
        AND k.start_date >= e.start_date AND k.start_date <= e.end_date
    WHERE e.induction_courses IS NOT NULL
    GROUP BY e.person_id, e.class, e.start_date
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
            WHEN e.induction_courses IS NOT NULL AND coalesce(ec.courses, 0) >= e.induction_courses
                AND c.follow_up_end > e.end_date + CAST($gap_days AS INTEGER)
                THEN 'induction_completed'
            WHEN c.follow_up_end > e.end_date + greatest(CAST($gap_days AS INTEGER),
                    CASE WHEN e.induction_courses IS NOT NULL THEN e.induction_max_delay_days
                        ELSE 0 END)
                THEN 'discontinuation'
            ELSE 'ongoing'
        END AS transition
    FROM eras AS e
    JOIN cohort AS c ON c.person_id = e.person_id
    LEFT JOIN candidates AS n
        ON n.person_id = e.person_id AND n.class = e.class AND n.start_date = e.start_date
        AND n.rank_of_next = 1
    LEFT JOIN resumed AS r
        ON r.person_id = e.person_id AND r.class = e.class AND r.start_date = e.start_date
    LEFT JOIN era_courses AS ec
        ON ec.person_id = e.person_id AND ec.class = e.class AND ec.start_date = e.start_date
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
