-- stage: outcomes/outcome_days
-- creates: outcome_days
-- purpose: the days each cohort member has each named outcome, up to follow_up_end (days
--          before the index date are kept: clean windows and exclude_prior_days read
--          them). One row per person, outcome and day: every row of an outcome on one
--          person-day (a stay repeats its codes, a related diagnosis beside the primary)
--          is one occurrence. Sources: a code of the outcome's codelist (diagnoses in the
--          outcome's settings, dispensings by ATC, procedures), the death date, and
--          treatment events (new_line: the start of each line after the first;
--          new_course: the start of each course of the class).
-- inputs: cohort, screened_diagnoses, screened_dispensings, screened_procedures, codelist_matches, outcome_definitions, treatment_dates
CREATE OR REPLACE TEMP TABLE outcome_days AS
WITH occurrences AS (
    SELECT o.outcome, d.person_id, d.date
    FROM screened_diagnoses AS d
    JOIN codelist_matches AS m ON m.domain = 'diagnoses' AND m.code = d.code
    JOIN outcome_definitions AS o
        ON o.source = 'diagnoses' AND o.codelist = m.codelist AND o.setting = d.setting
    WHERE d.reject_reason IS NULL
    UNION ALL
    SELECT o.outcome, d.person_id, d.date
    FROM screened_dispensings AS d
    JOIN codelist_matches AS m ON m.domain = 'dispensings' AND m.code = d.atc
    JOIN outcome_definitions AS o ON o.source = 'dispensings' AND o.codelist = m.codelist
    WHERE d.reject_reason IS NULL
    UNION ALL
    SELECT o.outcome, p.person_id, p.date
    FROM screened_procedures AS p
    JOIN codelist_matches AS m ON m.domain = 'procedures' AND m.code = p.code
    JOIN outcome_definitions AS o ON o.source = 'procedures' AND o.codelist = m.codelist
    WHERE p.reject_reason IS NULL
    UNION ALL
    SELECT o.outcome, c.person_id, c.death_date
    FROM cohort AS c
    JOIN outcome_definitions AS o ON o.source = 'death'
    WHERE c.death_date IS NOT NULL
    UNION ALL
    SELECT o.outcome, t.person_id, t.start_date
    FROM treatment_dates AS t
    JOIN outcome_definitions AS o
        ON (o.source = 'new_line' AND t.kind = 'line' AND t.number > 1)
        OR (o.source = 'new_course' AND t.kind = 'course' AND t.class = o.class)
)
SELECT DISTINCT x.person_id, x.outcome, x.date
FROM occurrences AS x
JOIN cohort AS c ON c.person_id = x.person_id
WHERE x.date <= c.follow_up_end
