-- stage: characteristics/characteristic_cells
-- creates: characteristic_cells
-- purpose: Table 1's raw cells, per stratum level, feature, window and category: the
--          level's persons, the rows counted (a category's persons), the sum and the sum
--          of squares of the values (exact: every value is a whole number; the mean and
--          standard deviation are computed from them, the same whatever the order the
--          engine adds in), and for continuous features the
--          quartiles by linear interpolation between order statistics (Hyndman and Fan
--          type 7, as R's and numpy's default: the value at (n - 1) p of the sorted
--          values, counted from 0). No person-level value leaves the engine.
-- inputs: covariates, person_strata, characteristic_features
-- param lower_quartile: DOUBLE, 0.25
-- param median: DOUBLE, 0.5
-- param upper_quartile: DOUBLE, 0.75
CREATE OR REPLACE TEMP TABLE characteristic_cells AS
WITH kinds AS (
    SELECT DISTINCT feature, kind FROM characteristic_features WHERE kind <> 'component'
),
sizes AS (
    SELECT stratum, level, count(*) AS persons FROM person_strata GROUP BY stratum, level
),
joined AS (
    SELECT s.stratum, s.level, v.feature, coalesce(v."window", '') AS window_name, v.category,
        v.value, k.kind
    FROM covariates AS v
    JOIN person_strata AS s ON s.person_id = v.person_id
    JOIN kinds AS k ON k.feature = v.feature
),
ranked AS (
    SELECT
        j.stratum, j.level, j.feature, j.window_name, j.value,
        row_number() OVER (
            PARTITION BY j.stratum, j.level, j.feature, j.window_name ORDER BY j.value
        ) - 1 AS position,
        count(*) OVER (PARTITION BY j.stratum, j.level, j.feature, j.window_name) - 1 AS last
    FROM joined AS j
    WHERE j.kind = 'continuous'
),
placed AS (
    SELECT r.*,
        r.last * $lower_quartile AS h1, r.last * $median AS h2, r.last * $upper_quartile AS h3
    FROM ranked AS r
),
quartiles AS (
    SELECT
        stratum, level, feature, window_name,
        sum(CASE WHEN position = floor(h1) THEN value * (1 - (h1 - floor(h1)))
            WHEN position = floor(h1) + 1 THEN value * (h1 - floor(h1)) ELSE 0 END) AS q1,
        sum(CASE WHEN position = floor(h2) THEN value * (1 - (h2 - floor(h2)))
            WHEN position = floor(h2) + 1 THEN value * (h2 - floor(h2)) ELSE 0 END) AS median,
        sum(CASE WHEN position = floor(h3) THEN value * (1 - (h3 - floor(h3)))
            WHEN position = floor(h3) + 1 THEN value * (h3 - floor(h3)) ELSE 0 END) AS q3
    FROM placed
    GROUP BY stratum, level, feature, window_name
),
moments AS (
    SELECT
        stratum, level, feature, window_name, category, kind,
        count(*) AS counted,
        sum(value) AS total,
        sum(value * value) AS squares
    FROM joined
    GROUP BY stratum, level, feature, window_name, category, kind
)
SELECT
    m.stratum, m.level, z.persons, m.feature, nullif(m.window_name, '') AS "window", m.kind,
    m.category, m.counted, m.total, m.squares, q.median, q.q1, q.q3
FROM moments AS m
JOIN sizes AS z ON z.stratum = m.stratum AND z.level = m.level
LEFT JOIN quartiles AS q
    ON q.stratum = m.stratum AND q.level = m.level AND q.feature = m.feature
    AND q.window_name = m.window_name
