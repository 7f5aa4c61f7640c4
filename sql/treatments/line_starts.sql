-- stage: treatments/line_starts
-- creates: line_starts
-- purpose: line 1 of every cohort member starts at index_date. Later lines are appended
--          by treatments/next_line_starts, one line number per pass.
-- inputs: cohort
CREATE OR REPLACE TEMP TABLE line_starts AS
SELECT person_id, 1 AS line_number, index_date AS start_date
FROM cohort
