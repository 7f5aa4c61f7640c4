-- stage: treatments/previous_line_starts
-- creates: previous_line_starts
-- purpose: a copy of the lines found so far, read by treatments/append_line_starts.
-- inputs: line_starts
CREATE OR REPLACE TEMP TABLE previous_line_starts AS
SELECT person_id, line_number, start_date FROM line_starts
