-- stage: treatments/line_regimens
-- creates: line_regimens
-- purpose: the classes of each line's regimen: classes with an episode starting in
--          [line start, line start + combination_window_days] (inclusive); line 1 also
--          takes the classes whose episode covers index_date (started in the lookback).
-- inputs: line_starts, treatment_episodes
-- param combination_window_days: INTEGER, days after a line's start in which classes join it
CREATE OR REPLACE TEMP TABLE line_regimens AS
SELECT DISTINCT l.person_id, l.line_number, e.class
FROM line_starts AS l
JOIN treatment_episodes AS e
    ON e.person_id = l.person_id
    AND (
        (e.start_date >= l.start_date
            AND e.start_date <= l.start_date + CAST($combination_window_days AS INTEGER))
        OR (l.line_number = 1 AND e.start_date < l.start_date AND e.end_date >= l.start_date)
    )
