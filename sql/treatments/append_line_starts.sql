-- stage: treatments/append_line_starts
-- creates: line_starts
-- purpose: add the lines found by treatments/next_line_starts (rebuilt from a copy rather
--          than INSERT INTO, so every stage is a CREATE ... AS SELECT on any engine).
-- inputs: previous_line_starts, next_line_starts
CREATE OR REPLACE TEMP TABLE line_starts AS
SELECT person_id, line_number, start_date FROM previous_line_starts
UNION ALL
SELECT person_id, line_number, start_date FROM next_line_starts
