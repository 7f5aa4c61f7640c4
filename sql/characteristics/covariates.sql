-- stage: characteristics/covariates
-- creates: covariates
-- purpose: every feature of every cohort member (covariates.parquet): one row per person,
--          feature and window, none missing (0 where a coded feature is not seen or no
--          stay, no dispensing), so that a mean is over the whole cohort. Demographics
--          have no window; a categorical feature (sex, age_band, index_year,
--          charlson_category) has one row per person, its category named, value 1.
--          charlson: the sum of the Quan (2011) weights of the components present in the
--          window, a component not counted when the one that supersedes it is present
--          (mild by moderate/severe liver disease, diabetes without by with complications,
--          any malignancy by metastatic solid tumour); charlson_category its class.
-- inputs: characteristic_persons, characteristic_windows, characteristic_features, coded_features, hospital_use, drug_variety, charlson_components, charlson_categories
CREATE OR REPLACE TEMP TABLE covariates AS
WITH demographic AS (
    SELECT
        p.person_id,
        f.feature,
        CAST(NULL AS VARCHAR) AS window_name,
        CASE f.feature
            WHEN 'sex' THEN p.sex
            WHEN 'age_band' THEN p.age_band
            WHEN 'index_year' THEN p.index_year
        END AS category,
        CASE WHEN f.feature = 'age' THEN CAST(p.age AS DOUBLE) ELSE CAST(1 AS DOUBLE) END AS value
    FROM characteristic_persons AS p
    JOIN characteristic_features AS f ON f.source = 'demographic'
),
flagged AS (
    SELECT
        w.person_id,
        f.feature,
        w.window_name,
        CAST(NULL AS VARCHAR) AS category,
        CAST(CASE WHEN c.person_id IS NULL THEN 0 ELSE 1 END AS DOUBLE) AS value
    FROM characteristic_windows AS w
    JOIN characteristic_features AS f
        ON f.window_name = w.window_name
        AND f.source IN ('condition', 'drug_class', 'drug_codelist')
    LEFT JOIN coded_features AS c
        ON c.person_id = w.person_id AND c.feature = f.feature AND c.window_name = w.window_name
),
measured AS (
    SELECT * FROM hospital_use
    UNION ALL
    SELECT * FROM drug_variety
),
used AS (
    SELECT
        w.person_id,
        f.feature,
        w.window_name,
        CAST(NULL AS VARCHAR) AS category,
        coalesce(u.value, CAST(0 AS DOUBLE)) AS value
    FROM characteristic_windows AS w
    JOIN characteristic_features AS f
        ON f.window_name = w.window_name AND f.source = 'utilisation'
    LEFT JOIN measured AS u
        ON u.person_id = w.person_id AND u.feature = f.feature AND u.window_name = w.window_name
),
components AS (
    SELECT
        w.person_id,
        w.window_name,
        k.component,
        k.weight,
        k.superseded_by,
        c.person_id IS NOT NULL AS present
    FROM characteristic_windows AS w
    JOIN characteristic_features AS f
        ON f.window_name = w.window_name AND f.source = 'charlson_component'
    JOIN charlson_components AS k ON k.codelist = f.codelist
    LEFT JOIN coded_features AS c
        ON c.person_id = w.person_id AND c.feature = f.feature AND c.window_name = w.window_name
),
scores AS (
    SELECT
        a.person_id,
        a.window_name,
        sum(CASE WHEN a.present AND NOT coalesce(b.present, FALSE) THEN a.weight ELSE 0 END)
            AS score
    FROM components AS a
    LEFT JOIN components AS b
        ON b.person_id = a.person_id AND b.window_name = a.window_name
        AND b.component = a.superseded_by
    GROUP BY a.person_id, a.window_name
),
scored AS (
    SELECT s.person_id, 'charlson' AS feature, s.window_name, CAST(NULL AS VARCHAR) AS category,
        CAST(s.score AS DOUBLE) AS value
    FROM scores AS s
    UNION ALL
    SELECT s.person_id, 'charlson_category', s.window_name, g.label, CAST(1 AS DOUBLE)
    FROM scores AS s
    JOIN charlson_categories AS g
        ON s.score >= g.lower_score AND (g.upper_score IS NULL OR s.score <= g.upper_score)
),
everything AS (
    SELECT * FROM demographic
    UNION ALL
    SELECT * FROM flagged
    UNION ALL
    SELECT * FROM used
    UNION ALL
    SELECT * FROM scored
)
SELECT person_id, feature, window_name AS "window", category, value
FROM everything
