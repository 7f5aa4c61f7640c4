-- stage: summaries/course_outcome_counts
-- creates: course_outcome_counts
-- purpose: per class and course number: persons with that course, and what came next
--          (another course, a new line, nothing before follow-up ended).
-- inputs: course_outcomes
CREATE OR REPLACE TEMP TABLE course_outcome_counts AS
SELECT
    class,
    course_number,
    count(*) AS persons,
    CAST(sum(CASE WHEN next_treatment = 'course' THEN 1 ELSE 0 END) AS BIGINT) AS next_course,
    CAST(sum(CASE WHEN next_treatment = 'line' THEN 1 ELSE 0 END) AS BIGINT) AS next_line,
    CAST(sum(CASE WHEN next_treatment IS NULL THEN 1 ELSE 0 END) AS BIGINT) AS no_next_treatment
FROM course_outcomes
GROUP BY class, course_number
ORDER BY class, course_number
