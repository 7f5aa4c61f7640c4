-- stage: treatments/courses
-- creates: courses
-- purpose: administrations of a course class less than course_gap_days after the previous
--          one belong to its course (exactly course_gap_days apart: a new course). A course
--          covers [first administration, first administration + course_effect_days - 1],
--          truncated at follow_up_end; last_administration_date is its last record.
-- inputs: treatment_records, treatment_classes
CREATE OR REPLACE TEMP TABLE courses AS
WITH gaps AS (
    SELECT
        r.person_id,
        r.class,
        r.date,
        r.record_id,
        r.follow_up_end,
        k.course_gap_days,
        k.course_effect_days,
        date_diff(
            'day',
            lag(r.date) OVER (PARTITION BY r.person_id, r.class ORDER BY r.record_id),
            r.date
        ) AS days_since_previous
    FROM treatment_records AS r
    JOIN treatment_classes AS k ON k.class = r.class
    WHERE k.kind = 'course'
),
numbered AS (
    SELECT
        g.*,
        sum(CASE WHEN days_since_previous IS NULL OR days_since_previous >= course_gap_days
            THEN 1 ELSE 0 END) OVER (
            PARTITION BY person_id, class ORDER BY record_id ROWS UNBOUNDED PRECEDING
        ) AS course_number
    FROM gaps AS g
)
SELECT
    person_id,
    class,
    CAST(course_number AS INTEGER) AS course_number,
    min(date) AS start_date,
    least(min(date) + (max(course_effect_days) - 1), max(follow_up_end)) AS end_date,
    max(date) AS last_administration_date,
    CAST(count(*) AS INTEGER) AS n_administrations,
    max(course_effect_days) AS course_effect_days
FROM numbered
GROUP BY person_id, class, course_number
