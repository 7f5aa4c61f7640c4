-- stage: screen/problem_summary
-- creates: problem_summary
-- purpose: one line per (table, problem, column): how many rows were set aside, and one
--          example of the offending value, for code and category columns only: ids and
--          dates belong to one person and are never shown.
-- inputs: rejected_rows
CREATE OR REPLACE TEMP TABLE problem_summary AS
SELECT
    table_name,
    reject_reason,
    reject_column,
    count(*) AS rows,
    min(
        CASE WHEN reject_column IN ('code', 'atc', 'setting', 'sex', 'quantity', 'days_supply')
            THEN json_extract_string(source_record, '$.' || reject_column)
        END
    ) AS example
FROM rejected_rows
GROUP BY table_name, reject_reason, reject_column
ORDER BY table_name, reject_reason, reject_column
