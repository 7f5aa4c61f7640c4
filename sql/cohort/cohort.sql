-- stage: cohort/cohort
-- creates: cohort
-- purpose: the cohort, primary (rule 4) adult (rule 5) incident cases of the kept sexes
--          (rule 6, optional), with follow-up (rule 7): follow_up_end = earliest of
--          death_date, the end of the observation spell holding the index date, and
--          administrative_end (all inclusive). Ties are broken death > administrative_end >
--          end_of_observation: a death on the last day is a death, and coverage that stops
--          on the administrative end is not a loss.
--          Rule 8 (persistent treatment, optional; FAITH protocol steps 6-7): a member is
--          kept only with a record of a persistent-ITP treatment codelist dated in
--          [index_date + after_days + 1, follow_up_end] and follow-up of min_follow_up_days
--          or more from the first such record (inclusive), which becomes index_date.
--          diagnosis_date keeps the index date of rules 1-3 (= index_date without rule 8).
-- inputs: classified_cases, screened_dispensings, screened_procedures, codelist_matches
-- note: least() skips a null death_date (DuckDB and Spark alike)
-- param min_age: INTEGER, minimum completed years at index_date (inclusive)
-- param sexes: VARCHAR[], sexes kept
-- param administrative_end: DATE, last day of follow-up (inclusive)
-- param reindex: BOOLEAN, whether rule 8 applies
-- param reindex_codelists: VARCHAR[], the persistent-ITP treatments' codelists
-- param reindex_after_days: INTEGER, records from index_date + N + 1 count
-- param reindex_min_follow_up_days: INTEGER, follow-up needed from the new index date
CREATE OR REPLACE TEMP TABLE cohort AS
WITH ends AS (
    SELECT
        c.*,
        least(c.death_date, c.observation_end, $administrative_end)
            AS follow_up_end
    FROM classified_cases AS c
    WHERE NOT c.secondary AND c.age_at_index >= $min_age AND list_contains($sexes, c.sex)
),
treatment_dates AS (
    SELECT d.person_id, d.date
    FROM screened_dispensings AS d
    JOIN codelist_matches AS m ON m.domain = 'dispensings' AND m.code = d.atc
    WHERE d.reject_reason IS NULL AND list_contains($reindex_codelists, m.codelist)
    UNION ALL
    SELECT p.person_id, p.date
    FROM screened_procedures AS p
    JOIN codelist_matches AS m ON m.domain = 'procedures' AND m.code = p.code
    WHERE p.reject_reason IS NULL AND list_contains($reindex_codelists, m.codelist)
),
first_treatment AS (
    SELECT e.person_id, min(t.date) AS first_date
    FROM ends AS e
    JOIN treatment_dates AS t
        ON t.person_id = e.person_id
        AND t.date >= e.index_date + CAST($reindex_after_days AS INTEGER) + 1
        AND t.date <= e.follow_up_end
    GROUP BY e.person_id
),
indexed AS (
    SELECT
        e.*,
        e.index_date AS diagnosis_date,
        CASE WHEN $reindex THEN f.first_date ELSE e.index_date END AS new_index_date
    FROM ends AS e
    LEFT JOIN first_treatment AS f ON f.person_id = e.person_id
)
SELECT
    person_id,
    sex,
    birth_date,
    age_at_index,
    code_date,
    diagnosis_date,
    new_index_date AS index_date,
    index_source,
    observation_start,
    observation_end,
    death_date,
    follow_up_end,
    CASE
        WHEN death_date = follow_up_end THEN 'death'
        WHEN $administrative_end = follow_up_end THEN 'administrative_end'
        ELSE 'end_of_observation'
    END AS end_reason,
    CAST(date_diff('day', new_index_date, follow_up_end) AS INTEGER) + 1 AS follow_up_days
FROM indexed
WHERE new_index_date IS NOT NULL
    AND (NOT $reindex OR date_diff('day', new_index_date, follow_up_end) + 1
        >= CAST($reindex_min_follow_up_days AS INTEGER))
ORDER BY person_id
