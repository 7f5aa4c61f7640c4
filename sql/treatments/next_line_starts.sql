-- stage: treatments/next_line_starts
-- creates: next_line_starts
-- purpose: for persons whose latest line is line_number, the next line starts on the first
--          day after the combination window on which an episode of a class outside the
--          line's regimen starts (episodes of regimen classes continue the line). Run once
--          per line number until no person has a further line: lines depend on the
--          previous line's start, and a loop of set-based passes runs on any engine.
-- inputs: line_starts, line_regimens, treatment_episodes, cohort
-- param line_number: INTEGER, the line whose successor is sought
-- param combination_window_days: INTEGER, days after a line's start in which classes join it
CREATE OR REPLACE TEMP TABLE next_line_starts AS
SELECT l.person_id, l.line_number + 1 AS line_number, min(e.start_date) AS start_date
FROM line_starts AS l
JOIN cohort AS c ON c.person_id = l.person_id
JOIN treatment_episodes AS e
    ON e.person_id = l.person_id
    AND e.start_date > l.start_date + CAST($combination_window_days AS INTEGER)
    AND e.start_date <= c.follow_up_end
WHERE l.line_number = $line_number
    AND NOT EXISTS (
        SELECT 1
        FROM line_regimens AS r
        WHERE r.person_id = l.person_id AND r.line_number = l.line_number AND r.class = e.class
    )
GROUP BY l.person_id, l.line_number
