-- stage: analyses/survival_times
-- creates: survival_times
-- purpose: one row per cohort member (per course for course analyses) and time-to-event
--          analysis: time in days from the origin (index_date; a course's first
--          administration) to the event or to follow_up_end; event 1 = the outcome,
--          2 = death first (a competing risk), 0 = censored alive at follow_up_end.
--          death: the death date. bleeding: the first stay with a bleeding code as
--          primary diagnosis in [index_date + 1, follow_up_end]. line_2: the start of line 2.
--          next_after_course_<n>: the next course or new line after course n of the
--          course class (courses.parquet's next_treatment_date). chronic_phase (when the
--          definition has a phase block): the first date from index_date +
--          chronic_after_days + 1 with evidence of activity (a qualifying code, a record of
--          an evidence class: treatments/activity_evidence), the day the disease is read
--          as chronic.
-- inputs: cohort, lines, course_outcomes, screened_diagnoses, codelist_matches, activity_evidence
-- param bleeding_codelist: VARCHAR, diagnoses codelist of bleeding (NULL: no analysis rows)
-- param course_class: VARCHAR, the course class followed after courses 1 and 2
-- param chronic_after_days: INTEGER, the phase block's chronic_after_days (NULL: no rows)
CREATE OR REPLACE TEMP TABLE survival_times AS
WITH bleeds AS (
    SELECT c.person_id, min(d.date) AS bleed_date
    FROM cohort AS c
    JOIN screened_diagnoses AS d
        ON d.person_id = c.person_id AND d.date > c.index_date AND d.date <= c.follow_up_end
    JOIN codelist_matches AS m
        ON m.domain = 'diagnoses' AND m.code = d.code AND m.codelist = $bleeding_codelist
    WHERE d.reject_reason IS NULL AND d.setting = 'hospital_primary'
    GROUP BY c.person_id
),
second_lines AS (
    SELECT person_id, start_date FROM lines WHERE line_number = 2
),
chronic AS (
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
    'death' AS analysis,
    c.person_id,
    CAST(date_diff('day', c.index_date, c.follow_up_end) AS INTEGER) AS time,
    CASE WHEN c.end_reason = 'death' THEN 1 ELSE 0 END AS event
FROM cohort AS c
UNION ALL
SELECT
    'bleeding',
    c.person_id,
    CAST(date_diff('day', c.index_date, coalesce(b.bleed_date, c.follow_up_end)) AS INTEGER),
    CASE WHEN b.bleed_date IS NOT NULL THEN 1 WHEN c.end_reason = 'death' THEN 2 ELSE 0 END
FROM cohort AS c
LEFT JOIN bleeds AS b ON b.person_id = c.person_id
WHERE $bleeding_codelist IS NOT NULL
UNION ALL
SELECT
    'chronic_phase',
    c.person_id,
    CAST(date_diff('day', c.index_date, coalesce(h.chronic_date, c.follow_up_end)) AS INTEGER),
    CASE WHEN h.chronic_date IS NOT NULL THEN 1 WHEN c.end_reason = 'death' THEN 2 ELSE 0 END
FROM cohort AS c
LEFT JOIN chronic AS h ON h.person_id = c.person_id
WHERE $chronic_after_days IS NOT NULL
UNION ALL
SELECT
    'line_2',
    c.person_id,
    CAST(date_diff('day', c.index_date, coalesce(l.start_date, c.follow_up_end)) AS INTEGER),
    CASE WHEN l.start_date IS NOT NULL THEN 1 WHEN c.end_reason = 'death' THEN 2 ELSE 0 END
FROM cohort AS c
LEFT JOIN second_lines AS l ON l.person_id = c.person_id
UNION ALL
SELECT
    'next_after_course_' || CAST(o.course_number AS VARCHAR),
    o.person_id,
    CAST(date_diff('day', o.start_date, coalesce(o.next_treatment_date, o.follow_up_end))
        AS INTEGER),
    CASE
        WHEN o.next_treatment_date IS NOT NULL THEN 1
        WHEN c.end_reason = 'death' THEN 2
        ELSE 0
    END
FROM course_outcomes AS o
JOIN cohort AS c ON c.person_id = o.person_id
WHERE o.class = $course_class AND o.course_number <= 2
