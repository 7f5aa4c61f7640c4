-- stage: screen/diagnoses
-- creates: screened_diagnoses
-- purpose: one scan of the diagnoses table: type, normalise codes ('d69.3' -> 'D693'),
--          check each row, and keep only rows with a problem (to set aside) or whose code
--          is on a diagnoses codelist (the extract the cohort stages read). end_date: the
--          last day of a long-term disease status (inclusive; null on other rows, and on
--          an open-ended ALD); holds_until: the last day the row holds (its date; an
--          ALD's end_date, far in the future when open).
-- inputs: raw_diagnoses, persons_valid, code_vocabulary, codelist_concepts
-- param min_date: DATE, earliest plausible date (inclusive)
-- param max_date: DATE, latest plausible date (inclusive)
-- param settings: VARCHAR[], the allowed diagnosis settings (data/contract.py)
-- identifier person_id_type: BIGINT | VARCHAR
-- identifier rows: codelist | all
-- identifier stay_id_type: BIGINT | VARCHAR
CREATE OR REPLACE TEMP TABLE screened_diagnoses AS
WITH scoped AS (
    -- rows: codelist (build-cohort) screens only the rows its codelists select, with
    -- semi-joins the engine pushes into the scan: other rows are never decoded.
    -- rows: all (validate) screens every row. The branches of the other mode are empty.
    SELECT r.*, TRUE AS on_codelist FROM raw_diagnoses AS r
    WHERE '{{rows}}' = 'codelist' AND r.code IN (SELECT v.raw_code FROM code_vocabulary AS v WHERE v.domain = 'diagnoses')
    UNION ALL
    -- matched by OMOP concept only (a row matching by code too came above)
    SELECT r.*, TRUE FROM raw_diagnoses AS r
    WHERE '{{rows}}' = 'codelist'
        AND CAST(TRY_CAST(r.concept_id AS BIGINT) AS VARCHAR) IN (SELECT c.concept_id FROM codelist_concepts AS c WHERE c.domain = 'diagnoses')
        AND (r.code IS NULL OR r.code NOT IN (SELECT v.raw_code FROM code_vocabulary AS v WHERE v.domain = 'diagnoses'))
    UNION ALL
    SELECT r.*,
        coalesce(r.code IN (SELECT v.raw_code FROM code_vocabulary AS v WHERE v.domain = 'diagnoses'), FALSE)
        OR coalesce(CAST(TRY_CAST(r.concept_id AS BIGINT) AS VARCHAR) IN (SELECT c.concept_id FROM codelist_concepts AS c WHERE c.domain = 'diagnoses'), FALSE)
    FROM raw_diagnoses AS r
    WHERE '{{rows}}' = 'all'
),
typed AS (
    SELECT
        TRY_CAST(r.person_id AS {{person_id_type}}) AS person_id,
        TRY_CAST(r.date AS DATE) AS date,
        TRY_CAST(r.end_date AS DATE) AS end_date,
        -- OMOP concept of the row (null outside OMOP): matched by concept codelists
        CAST(TRY_CAST(r.concept_id AS BIGINT) AS VARCHAR) AS concept_id,
        lower(trim(CAST(r.setting AS VARCHAR))) AS setting,
        TRY_CAST(r.stay_id AS {{stay_id_type}}) AS stay_id,
        CASE
            WHEN r.person_id IS NOT NULL AND TRY_CAST(r.person_id AS {{person_id_type}}) IS NULL
                THEN 'person_id'
            WHEN r.date IS NOT NULL AND TRY_CAST(r.date AS DATE) IS NULL THEN 'date'
            WHEN r.end_date IS NOT NULL AND TRY_CAST(r.end_date AS DATE) IS NULL THEN 'end_date'
            WHEN r.stay_id IS NOT NULL AND TRY_CAST(r.stay_id AS {{stay_id_type}}) IS NULL THEN 'stay_id'
        END AS unparseable_column,
        r.person_id AS raw_person_id,
        r.date AS raw_date,
        r.end_date AS raw_end_date,
        r.code AS raw_code,
        r.setting AS raw_setting,
        r.stay_id AS raw_stay_id,
        r.on_codelist
    FROM scoped AS r
),
checked AS (
    SELECT
        t.*,
        CASE
            WHEN t.unparseable_column IS NOT NULL THEN 'unparseable value:' || t.unparseable_column
            WHEN t.person_id IS NULL THEN 'null key:person_id'
            WHEN t.date IS NULL THEN 'null value:date'
            WHEN t.raw_code IS NULL OR trim(t.raw_code) = '' THEN 'null value:code'
            WHEN t.setting IS NULL OR NOT list_contains($settings, t.setting) THEN 'invalid value:setting'
            WHEN t.date < $min_date OR t.date > $max_date THEN 'date out of range:date'
            WHEN t.end_date < $min_date OR t.end_date > $max_date THEN 'date out of range:end_date'
            WHEN t.end_date < t.date THEN 'end before start:end_date'
            WHEN p.person_id IS NULL THEN 'unknown person:person_id'
            WHEN t.date > p.death_date THEN 'event after death:date'
        END AS problem
    FROM typed AS t
    LEFT JOIN persons_valid AS p ON p.person_id = t.person_id
)
SELECT
    person_id,
    date,
    end_date,
    -- the last day the row holds: a code holds on its day, an ALD over its status (open:
    -- a far date that every comparison treats as "still holds")
    CASE WHEN setting = 'long_term_disease' THEN coalesce(end_date, DATE '2999-12-31')
        ELSE date END AS holds_until,
    -- the vocabulary holds the normalised form of every code on a codelist: the pattern
    -- runs only on the other rows' codes (rows set aside, OMOP concept matches)
    coalesce(v.normalised_code, upper(regexp_replace(raw_code, '[.\s\x{00A0}]', '', 'g'))) AS code,
    setting,
    stay_id,
    concept_id,
    nullif(split_part(problem, ':', 1), '') AS reject_reason,  -- '' for a null problem on some engines
    nullif(split_part(problem, ':', 2), '') AS reject_column,
    CASE WHEN problem IS NOT NULL THEN to_json(struct_pack(
        person_id := raw_person_id, date := raw_date, code := raw_code,
        setting := raw_setting, stay_id := raw_stay_id, end_date := raw_end_date
    )) END AS source_record
FROM checked
LEFT JOIN (
    SELECT DISTINCT raw_code AS listed_code, code AS normalised_code
    FROM code_vocabulary WHERE domain = 'diagnoses'
) AS v ON v.listed_code = raw_code
WHERE problem IS NOT NULL OR on_codelist
