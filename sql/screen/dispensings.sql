-- stage: screen/dispensings
-- creates: screened_dispensings
-- purpose: one scan of the dispensings table: type, normalise ATC codes, check each row,
--          and keep only rows with a problem (to set aside) or whose ATC code is on a
--          dispensings codelist (the extract the cohort stages read).
-- inputs: raw_dispensings, persons_valid, code_vocabulary, codelist_concepts
-- param min_date: DATE, earliest plausible date (inclusive)
-- param max_date: DATE, latest plausible date (inclusive)
-- param max_quantity: DOUBLE, largest plausible quantity (boxes) on one line (exclusive)
-- param max_days_supply: INTEGER, largest plausible days supply (inclusive)
-- param settings: VARCHAR[], the allowed dispensing settings (data/contract.py)
-- identifier person_id_type: BIGINT | VARCHAR
-- identifier rows: codelist | all
CREATE OR REPLACE TEMP TABLE screened_dispensings AS
WITH scoped AS (
    -- rows: codelist (build-cohort) screens only the rows its codelists select, with
    -- semi-joins the engine pushes into the scan: other rows are never decoded.
    -- rows: all (validate) screens every row. The branches of the other mode are empty.
    SELECT r.*, TRUE AS on_codelist FROM raw_dispensings AS r
    WHERE '{{rows}}' = 'codelist' AND r.atc IN (SELECT v.raw_code FROM code_vocabulary AS v WHERE v.domain = 'dispensings')
    UNION ALL
    -- matched by OMOP concept only (a row matching by code too came above)
    SELECT r.*, TRUE FROM raw_dispensings AS r
    WHERE '{{rows}}' = 'codelist'
        AND CAST(TRY_CAST(r.concept_id AS BIGINT) AS VARCHAR) IN (SELECT c.concept_id FROM codelist_concepts AS c WHERE c.domain = 'dispensings')
        AND (r.atc IS NULL OR r.atc NOT IN (SELECT v.raw_code FROM code_vocabulary AS v WHERE v.domain = 'dispensings'))
    UNION ALL
    SELECT r.*,
        coalesce(r.atc IN (SELECT v.raw_code FROM code_vocabulary AS v WHERE v.domain = 'dispensings'), FALSE)
        OR coalesce(CAST(TRY_CAST(r.concept_id AS BIGINT) AS VARCHAR) IN (SELECT c.concept_id FROM codelist_concepts AS c WHERE c.domain = 'dispensings'), FALSE)
    FROM raw_dispensings AS r
    WHERE '{{rows}}' = 'all'
),
typed AS (
    SELECT
        TRY_CAST(r.person_id AS {{person_id_type}}) AS person_id,
        TRY_CAST(r.date AS DATE) AS date,
        -- OMOP concept of the row (null outside OMOP): matched by concept codelists
        CAST(TRY_CAST(r.concept_id AS BIGINT) AS VARCHAR) AS concept_id,
        CAST(r.product_code AS VARCHAR) AS product_code,
        lower(trim(CAST(r.setting AS VARCHAR))) AS setting,
        TRY_CAST(r.quantity AS DOUBLE) AS quantity,
        TRY_CAST(r.days_supply AS INTEGER) AS days_supply,
        TRY_CAST(r.end_date AS DATE) AS end_date,
        CASE
            WHEN r.person_id IS NOT NULL AND TRY_CAST(r.person_id AS {{person_id_type}}) IS NULL
                THEN 'person_id'
            WHEN r.date IS NOT NULL AND TRY_CAST(r.date AS DATE) IS NULL THEN 'date'
            WHEN r.quantity IS NOT NULL AND TRY_CAST(r.quantity AS DOUBLE) IS NULL THEN 'quantity'
            WHEN r.days_supply IS NOT NULL AND TRY_CAST(r.days_supply AS INTEGER) IS NULL
                THEN 'days_supply'
            WHEN r.end_date IS NOT NULL AND TRY_CAST(r.end_date AS DATE) IS NULL THEN 'end_date'
        END AS unparseable_column,
        r.person_id AS raw_person_id,
        r.date AS raw_date,
        r.atc AS raw_atc,
        r.product_code AS raw_product_code,
        r.setting AS raw_setting,
        r.quantity AS raw_quantity,
        r.days_supply AS raw_days_supply,
        r.end_date AS raw_end_date,
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
            WHEN t.raw_atc IS NULL OR trim(t.raw_atc) = '' THEN 'null value:atc'
            WHEN t.setting IS NULL OR NOT list_contains($settings, t.setting)
                THEN 'invalid value:setting'
            -- negative quantities are reversals in real claims; they are not dispensings
            -- NOT (q < max) also catches NaN and infinity, which compare above any number
            WHEN t.quantity IS NULL OR t.quantity <= 0 OR NOT (t.quantity < $max_quantity)
                THEN 'invalid value:quantity'
            WHEN t.days_supply < 0 OR t.days_supply > $max_days_supply
                THEN 'invalid value:days_supply'
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
    -- the vocabulary holds the normalised form of every code on a codelist: the pattern
    -- runs only on the other rows' codes (rows set aside, OMOP concept matches)
    coalesce(v.normalised_code, upper(regexp_replace(raw_atc, '[.\s\x{00A0}]', '', 'g'))) AS atc,
    product_code,
    setting,
    quantity,
    days_supply,
    end_date,
    concept_id,
    nullif(split_part(problem, ':', 1), '') AS reject_reason,  -- '' for a null problem on some engines
    nullif(split_part(problem, ':', 2), '') AS reject_column,
    CASE WHEN problem IS NOT NULL THEN to_json(struct_pack(
        person_id := raw_person_id, date := raw_date, atc := raw_atc,
        product_code := raw_product_code, setting := raw_setting,
        quantity := raw_quantity, days_supply := raw_days_supply, end_date := raw_end_date
    )) END AS source_record
FROM checked
LEFT JOIN (
    SELECT DISTINCT raw_code AS listed_code, code AS normalised_code
    FROM code_vocabulary WHERE domain = 'dispensings'
) AS v ON v.listed_code = raw_atc
WHERE problem IS NOT NULL OR on_codelist
