-- stage: treatments/course_outcomes
-- creates: course_outcomes
-- purpose: what follows each course (the retreatment question): next_course_date = the
--          start of the same class's next course; next_line_date = the first line starting
--          after the course's start; next_treatment_date = the earlier of the two, and
--          next_treatment says which ('course' when both fall on one day). Without either,
--          follow-up is censored at follow_up_end. days_to_* count from the course's start.
--          Line 1 is never a "next line": it starts at index_date, which a course started
--          in the lookback precedes.
-- inputs: courses, lines, cohort
CREATE OR REPLACE TEMP TABLE course_outcomes AS
WITH next_courses AS (
    SELECT
        c.*,
        lead(c.start_date) OVER (PARTITION BY c.person_id, c.class ORDER BY c.course_number)
            AS next_course_date
    FROM courses AS c
),
nexts AS (
    SELECT
        c.person_id,
        c.class,
        c.course_number,
        c.start_date,
        c.end_date,
        c.last_administration_date,
        c.n_administrations,
        c.next_course_date,
        min(l.start_date) AS next_line_date
    FROM next_courses AS c
    LEFT JOIN lines AS l
        ON l.person_id = c.person_id AND l.line_number > 1 AND l.start_date > c.start_date
    GROUP BY c.person_id, c.class, c.course_number, c.start_date, c.end_date,
        c.last_administration_date, c.n_administrations, c.next_course_date
)
SELECT
    n.person_id,
    n.class,
    n.course_number,
    n.start_date,
    n.end_date,
    n.last_administration_date,
    n.n_administrations,
    n.next_course_date,
    n.next_line_date,
    least(n.next_course_date, n.next_line_date) AS next_treatment_date,
    CASE
        WHEN n.next_course_date IS NOT NULL
            AND (n.next_line_date IS NULL OR n.next_course_date <= n.next_line_date) THEN 'course'
        WHEN n.next_line_date IS NOT NULL THEN 'line'
    END AS next_treatment,
    CAST(date_diff('day', n.start_date, least(n.next_course_date, n.next_line_date)) AS INTEGER)
        AS days_to_next_treatment,
    c.follow_up_end,
    CAST(date_diff('day', n.start_date, c.follow_up_end) AS INTEGER) AS days_to_follow_up_end
FROM nexts AS n
JOIN cohort AS c ON c.person_id = n.person_id
ORDER BY n.person_id, n.class, n.course_number
