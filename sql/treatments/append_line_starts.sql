-- stage: treatments/append_line_starts
-- creates: line_starts
-- purpose: add the lines found by treatments/next_line_starts.
-- inputs: next_line_starts
INSERT INTO line_starts
SELECT person_id, line_number, start_date FROM next_line_starts
