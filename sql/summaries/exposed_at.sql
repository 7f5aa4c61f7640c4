-- stage: summaries/exposed_at
-- creates: exposed_at_counts
-- purpose: persons exposed to each class on given days after index: among cohort members
--          still followed on day index_date + days_after_index (follow_up_end on or after
--          it), those with an era of the class covering that day. Eras of one class never
--          overlap, so a person counts once per class and day.
-- inputs: cohort, exposures, treatment_classes
-- param days_after_index: INTEGER[], the days counted
CREATE OR REPLACE TEMP TABLE exposed_at_counts AS
WITH days AS (
    SELECT unnest($days_after_index) AS days_after_index
),
followed AS (
    SELECT c.person_id, d.days_after_index, c.index_date + d.days_after_index AS day
    FROM cohort AS c
    CROSS JOIN days AS d
    WHERE c.follow_up_end >= c.index_date + d.days_after_index
)
SELECT
    k.class,
    CAST(f.days_after_index AS INTEGER) AS days_after_index,
    count(*) AS persons_in_follow_up,
    count(e.person_id) AS persons_exposed
FROM followed AS f
CROSS JOIN treatment_classes AS k
LEFT JOIN exposures AS e
    ON e.person_id = f.person_id AND e.class = k.class
    AND e.start_date <= f.day AND e.end_date >= f.day
GROUP BY k.class, f.days_after_index
ORDER BY k.class, f.days_after_index
