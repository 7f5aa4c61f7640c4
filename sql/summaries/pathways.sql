-- stage: summaries/pathways
-- creates: pathway_counts
-- purpose: line-to-line transitions: persons whose line n (from_regimen) is followed by
--          line n + 1 (to_regimen), counted per line number and pair of regimens.
-- inputs: lines
CREATE OR REPLACE TEMP TABLE pathway_counts AS
SELECT
    f.line_number AS from_line,
    f.regimen AS from_regimen,
    t.regimen AS to_regimen,
    count(*) AS persons
FROM lines AS f
JOIN lines AS t ON t.person_id = f.person_id AND t.line_number = f.line_number + 1
GROUP BY f.line_number, f.regimen, t.regimen
ORDER BY from_line, persons DESC, from_regimen, to_regimen
