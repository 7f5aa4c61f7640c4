-- stage: treatments/lines
-- creates: lines
-- purpose: lines partition follow-up: a line ends the day before the next one starts, or
--          at follow_up_end. regimen = its classes sorted by name and joined with '+'
--          ('rituximab+tpo_ra'), or 'none' when no line class is in it.
-- inputs: line_starts, line_regimens, cohort
CREATE OR REPLACE TEMP TABLE lines AS
WITH bounded AS (
    SELECT
        l.person_id,
        l.line_number,
        l.start_date,
        coalesce(
            lead(l.start_date) OVER (PARTITION BY l.person_id ORDER BY l.line_number) - 1,
            c.follow_up_end
        ) AS end_date
    FROM line_starts AS l
    JOIN cohort AS c ON c.person_id = l.person_id
),
named AS (
    SELECT person_id, line_number, array_to_string(list_sort(list(class)), '+') AS regimen
    FROM line_regimens
    GROUP BY person_id, line_number
)
SELECT
    b.person_id,
    CAST(b.line_number AS INTEGER) AS line_number,
    coalesce(n.regimen, 'none') AS regimen,
    b.start_date,
    b.end_date
FROM bounded AS b
LEFT JOIN named AS n ON n.person_id = b.person_id AND n.line_number = b.line_number
ORDER BY b.person_id, b.line_number
