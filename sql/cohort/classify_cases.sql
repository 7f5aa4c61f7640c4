-- stage: cohort/classify_cases
-- creates: classified_cases
-- purpose: rules 4 and 5 as flags on every incident case. secondary = a code of the
--          secondary codelist, in the given settings, in [index_date - days_before,
--          index_date + days_after] (inclusive); a long-term disease (ALD) counts when its
--          status [start, end] overlaps that window (a lupus ALD since 2003 is lupus now).
--          secondary_cause = the group (secondary_cause_groups: the codelist's `group`
--          column, the longest matching entry) of the earliest such code; ties on that
--          day: the first group in name order; null for a primary case, and for a code
--          whose entry has no group. age_at_index = completed years: the
--          birthday counts from the day itself (a 29 February birthday is reached on
--          1 March in common years).
-- inputs: dated_cases, persons_valid, screened_diagnoses, codelist_matches,
--         secondary_cause_groups
-- param codelist: VARCHAR, name of the secondary-cause codelist
-- param settings: VARCHAR[], settings in which a secondary-cause code counts
-- param days_before: INTEGER, days before index_date searched
-- param days_after: INTEGER, days after index_date searched
CREATE OR REPLACE TEMP TABLE classified_cases AS
WITH secondary_codes AS (
    SELECT c.person_id, d.date, d.code
    FROM dated_cases AS c
    JOIN screened_diagnoses AS d
        ON d.person_id = c.person_id
        AND d.date <= c.index_date + CAST($days_after AS INTEGER)
        AND d.holds_until >= c.index_date - CAST($days_before AS INTEGER)
    JOIN codelist_matches AS m
        ON m.domain = 'diagnoses' AND m.code = d.code AND m.codelist = $codelist
    WHERE d.reject_reason IS NULL
        AND list_contains($settings, d.setting)
),
grouped AS (
    SELECT
        s.person_id,
        s.date,
        g.code_group,
        row_number() OVER (
            PARTITION BY s.person_id, s.date, s.code ORDER BY length(g.code) DESC
        ) AS specificity
    FROM secondary_codes AS s
    LEFT JOIN secondary_cause_groups AS g ON starts_with(s.code, g.code)
),
secondary AS (
    SELECT person_id, code_group AS secondary_cause
    FROM (
        SELECT
            person_id,
            code_group,
            row_number() OVER (
                PARTITION BY person_id ORDER BY date, code_group IS NULL, code_group
            ) AS earliest
        FROM grouped
        WHERE specificity = 1
    ) AS ranked
    WHERE earliest = 1
)
SELECT
    c.person_id,
    p.sex,
    p.birth_date,
    p.death_date,
    c.code_date,
    c.index_date,
    c.index_source,
    c.observation_start,
    c.observation_end,
    CAST(
        year(c.index_date) - year(p.birth_date)
        - CASE
            WHEN month(c.index_date) < month(p.birth_date)
                OR (month(c.index_date) = month(p.birth_date) AND day(c.index_date) < day(p.birth_date))
            THEN 1 ELSE 0
        END AS INTEGER
    ) AS age_at_index,
    s.person_id IS NOT NULL AS secondary,
    s.secondary_cause
FROM dated_cases AS c
JOIN persons_valid AS p ON p.person_id = c.person_id
LEFT JOIN secondary AS s ON s.person_id = c.person_id
