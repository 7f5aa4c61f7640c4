-- stage: sources/omop/problems
-- creates: source_problems
-- purpose: count the OMOP data problems that the adapter handles by a documented rule
--          (docs/sources.md), one row per problem, zero included. Rows that screening sets
--          aside (unknown person, invalid sex ...) are counted again in rejected_rows.
--          Events outside every observation period are kept: the definition's observation
--          rules decide what they mean.
-- inputs: src_person, src_death, src_observation_period, src_condition_occurrence, drug_exposure_ends, src_procedure_occurrence, drug_concept_atc
CREATE OR REPLACE TEMP TABLE source_problems AS
WITH persons AS (
    SELECT DISTINCT CAST(TRY_CAST(person_id AS BIGINT) AS VARCHAR) AS person_key FROM src_person
),
periods AS (
    SELECT
        CAST(TRY_CAST(person_id AS BIGINT) AS VARCHAR) AS person_key,
        TRY_CAST(observation_period_start_date AS DATE) AS start_date,
        TRY_CAST(observation_period_end_date AS DATE) AS end_date
    FROM src_observation_period
),
events AS (
    SELECT 'condition_occurrence' AS source_table,
        CAST(TRY_CAST(person_id AS BIGINT) AS VARCHAR) AS person_key,
        TRY_CAST(condition_start_date AS DATE) AS date
    FROM src_condition_occurrence
    UNION ALL
    SELECT 'drug_exposure', CAST(TRY_CAST(person_id AS BIGINT) AS VARCHAR), start_day
    FROM drug_exposure_ends
    UNION ALL
    SELECT 'procedure_occurrence', CAST(TRY_CAST(person_id AS BIGINT) AS VARCHAR),
        TRY_CAST(procedure_date AS DATE)
    FROM src_procedure_occurrence
),
located AS (
    SELECT
        e.source_table,
        p.person_key IS NULL AS unknown_person,
        NOT EXISTS (
            SELECT 1 FROM periods AS o
            WHERE o.person_key = e.person_key AND e.date BETWEEN o.start_date AND o.end_date
        ) AS outside_observation
    FROM events AS e
    LEFT JOIN persons AS p ON p.person_key = e.person_key
),
event_counts AS (
    SELECT
        source_table,
        sum(CASE WHEN unknown_person THEN 1 ELSE 0 END) AS unknown_person,
        sum(CASE WHEN NOT unknown_person AND outside_observation THEN 1 ELSE 0 END) AS outside
    FROM located
    GROUP BY source_table
),
tables AS (
    SELECT 'condition_occurrence' AS source_table
    UNION ALL SELECT 'drug_exposure'
    UNION ALL SELECT 'procedure_occurrence'
)
SELECT t.source_table, 'person missing from person' AS problem,
    'set aside (rejected_rows: unknown person)' AS handling,
    CAST(coalesce(c.unknown_person, 0) AS BIGINT) AS rows
FROM tables AS t LEFT JOIN event_counts AS c ON c.source_table = t.source_table
UNION ALL
SELECT t.source_table, 'outside every observation period',
    'kept; observation rules of the definition apply',
    CAST(coalesce(c.outside, 0) AS BIGINT)
FROM tables AS t LEFT JOIN event_counts AS c ON c.source_table = t.source_table
UNION ALL
SELECT 'observation_period', 'person missing from person',
    'set aside (rejected_rows: unknown person)', count(*)
FROM periods AS o
WHERE NOT EXISTS (SELECT 1 FROM persons AS p WHERE p.person_key = o.person_key)
UNION ALL
SELECT 'death', 'person missing from person', 'ignored', count(*)
FROM src_death AS d
WHERE NOT EXISTS (
    SELECT 1 FROM persons AS p WHERE p.person_key = CAST(TRY_CAST(d.person_id AS BIGINT) AS VARCHAR)
)
UNION ALL
SELECT 'death', 'several death records', 'earliest death_date kept', count(*)
FROM (SELECT person_id FROM src_death GROUP BY person_id HAVING count(*) > 1) AS several
UNION ALL
SELECT 'person', 'month_of_birth missing', 'imputed as July (day 15 unless given)', count(*)
FROM src_person
WHERE TRY_CAST(birth_datetime AS TIMESTAMP) IS NULL AND TRY_CAST(month_of_birth AS INTEGER) IS NULL
UNION ALL
SELECT 'person', 'day_of_birth missing', 'imputed as the 15th', count(*)
FROM src_person
WHERE TRY_CAST(birth_datetime AS TIMESTAMP) IS NULL AND TRY_CAST(day_of_birth AS INTEGER) IS NULL
UNION ALL
SELECT 'drug_exposure', 'drug_exposure_end_date missing',
    'end = start + days_supply, else start + 1 day', count(*)
FROM drug_exposure_ends WHERE end_day IS NULL
UNION ALL
SELECT 'drug_exposure', 'drug_exposure_end_date before start',
    'end date ignored: start + days_supply, else start + 1 day', count(*)
FROM drug_exposure_ends WHERE end_day < start_day
UNION ALL
SELECT 'drug_exposure', 'days_supply zero or missing',
    'end date used when given, else start + 1 day', count(*)
FROM drug_exposure_ends WHERE supply IS NULL OR supply <= 0
UNION ALL
SELECT 'drug_exposure', 'no end date and no days_supply',
    'end = start + 1 day', count(*)
FROM drug_exposure_ends WHERE end_rule = 'start + 1 day'
UNION ALL
SELECT 'drug_exposure', 'drug concept without an ATC ancestor',
    'atc column = drug_source_value (ATC codelists cannot match)', count(*)
FROM drug_exposure_ends AS e
WHERE NOT EXISTS (
    SELECT 1 FROM drug_concept_atc AS a
    WHERE a.drug_concept_id = TRY_CAST(e.drug_concept_id AS BIGINT)
)
