-- stage: outcomes/treatment_dates
-- creates: treatment_dates
-- purpose: the treatment days safety outcomes are anchored on or made of, one row per
--          course, era and line of each cohort member: kind ('course', 'era', 'line'),
--          class (null for a line), number (course_number, era_number, line_number: 1 is
--          the first), start_date and end_date (inclusive). Read by the time-at-risk
--          windows (course_start / era_start / line_start anchors, during / outside a
--          class's eras) and by treatment-event outcomes (new_line, new_course).
-- inputs: courses, exposures, lines
CREATE OR REPLACE TEMP TABLE treatment_dates AS
SELECT person_id, 'course' AS kind, class, CAST(course_number AS INTEGER) AS number,
    start_date, end_date
FROM courses
UNION ALL
SELECT person_id, 'era', class, CAST(era_number AS INTEGER), start_date, end_date
FROM exposures
UNION ALL
SELECT person_id, 'line', CAST(NULL AS VARCHAR), CAST(line_number AS INTEGER), start_date,
    end_date
FROM lines
