-- stage: treatments/exposures
-- creates: exposures
-- purpose: eras: the windows of one person and class merged while the uncovered days
--          between the end covered so far and the next window's start are at most the
--          class's grace_days (next start <= covered_until + grace_days + 1). An era runs
--          from its first window's start to the last covered day (grace is not added),
--          truncated at follow_up_end. Course classes enter as their courses' windows,
--          merged only when they overlap or touch, except induction regimens, whose next
--          course may come induction_max_delay_days after the covered days (a year-2
--          cladribine course delayed up to 6 months continues the regimen); point classes
--          (splenectomy) as [date, follow_up_end], merged when they overlap or touch. days_supplied sums the windows' days (course: its effect days;
--          point: null).
-- inputs: exposure_windows, courses, treatment_records, treatment_classes
CREATE OR REPLACE TEMP TABLE exposures AS
WITH windows AS (
    SELECT person_id, class, start_date, end_date, grace_days, follow_up_end,
        1 AS n_records, duration AS days
    FROM exposure_windows
    UNION ALL
    SELECT c.person_id, c.class, c.start_date, c.end_date,
        coalesce(k.induction_max_delay_days, 0), r.follow_up_end,
        c.n_administrations, c.course_effect_days
    FROM courses AS c
    JOIN treatment_classes AS k ON k.class = c.class
    JOIN (SELECT DISTINCT person_id, follow_up_end FROM treatment_records) AS r
        ON r.person_id = c.person_id
    UNION ALL
    SELECT r.person_id, r.class, r.date, r.follow_up_end, 0, r.follow_up_end,
        1, CAST(NULL AS INTEGER)
    FROM treatment_records AS r
    JOIN treatment_classes AS k ON k.class = r.class
    WHERE k.kind = 'point'
),
sequenced AS (
    -- one numbering shared by both window passes below, so tied windows (two boxes the
    -- same day) are ordered the same way in each
    SELECT
        w.*,
        row_number() OVER (PARTITION BY person_id, class ORDER BY start_date, end_date) AS seq
    FROM windows AS w
),
ordered AS (
    SELECT
        s.*,
        max(end_date) OVER (
            PARTITION BY person_id, class ORDER BY seq
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS covered_until
    FROM sequenced AS s
),
numbered AS (
    SELECT
        o.*,
        sum(CASE WHEN covered_until IS NULL OR start_date > covered_until + (grace_days + 1)
            THEN 1 ELSE 0 END) OVER (
            PARTITION BY person_id, class ORDER BY seq ROWS UNBOUNDED PRECEDING
        ) AS era_number
    FROM ordered AS o
)
SELECT
    person_id,
    class,
    CAST(era_number AS INTEGER) AS era_number,
    min(start_date) AS start_date,
    least(max(end_date), max(follow_up_end)) AS end_date,
    CAST(sum(n_records) AS INTEGER) AS n_dispensings,
    CAST(sum(days) AS INTEGER) AS days_supplied
FROM numbered
GROUP BY person_id, class, era_number
