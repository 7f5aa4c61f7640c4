-- stage: characteristics/first_lines
-- creates: first_lines
-- purpose: each cohort member's first treatment line: its regimen ('none' without a
--          line class) and its efficacy group (the group of its class; 'combination' when
--          its classes are in more than one group, 'none' when no class has one).
-- inputs: lines, line_regimens, characteristic_class_groups
CREATE OR REPLACE TEMP TABLE first_lines AS
WITH groups AS (
    SELECT r.person_id, min(g.efficacy_group) AS low, max(g.efficacy_group) AS high
    FROM line_regimens AS r
    JOIN characteristic_class_groups AS g ON g.class = r.class
    WHERE r.line_number = 1
    GROUP BY r.person_id
)
SELECT
    l.person_id,
    l.regimen,
    CASE WHEN g.low IS NULL THEN 'none' WHEN g.low = g.high THEN g.low ELSE 'combination' END
        AS efficacy_group
FROM lines AS l
LEFT JOIN groups AS g ON g.person_id = l.person_id
WHERE l.line_number = 1
