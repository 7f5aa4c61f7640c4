-- stage: sources/omop/drug_era
-- creates: drug_era
-- purpose: the OMOP drug_era table from the eras of treatments/exposures (one class per
--          ingredient): person, ingredient, era start and end (inclusive), the number of
--          exposures, and gap_days as the OHDSI script defines it: the era's length
--          (end - start) minus the days of its sub-exposures (exposures merged where they
--          overlap or touch: next start <= latest end), each sub-exposure counting
--          end - start days.
-- inputs: exposures, exposure_windows
CREATE OR REPLACE TEMP TABLE drug_era AS
WITH ordered AS (
    SELECT
        w.*,
        max(end_date) OVER (
            PARTITION BY person_id, class ORDER BY start_date, end_date, record_id
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS covered_until
    FROM exposure_windows AS w
),
numbered AS (
    SELECT
        o.*,
        sum(CASE WHEN covered_until IS NULL OR start_date > covered_until THEN 1 ELSE 0 END)
            OVER (
                PARTITION BY person_id, class ORDER BY start_date, end_date, record_id
                ROWS UNBOUNDED PRECEDING
            ) AS sub_number
    FROM ordered AS o
),
sub_exposures AS (
    SELECT person_id, class, min(start_date) AS start_date, max(end_date) AS end_date
    FROM numbered
    GROUP BY person_id, class, sub_number
),
exposed AS (
    SELECT x.person_id, x.class, x.era_number,
        sum(date_diff('day', s.start_date, s.end_date)) AS days_exposed
    FROM exposures AS x
    JOIN sub_exposures AS s
        ON s.person_id = x.person_id AND s.class = x.class
        AND s.start_date BETWEEN x.start_date AND x.end_date
    GROUP BY x.person_id, x.class, x.era_number
)
SELECT
    row_number() OVER (ORDER BY x.person_id, x.class, x.start_date) AS drug_era_id,
    x.person_id,
    CAST(x.class AS BIGINT) AS drug_concept_id,
    x.start_date AS drug_era_start_date,
    x.end_date AS drug_era_end_date,
    x.n_dispensings AS drug_exposure_count,
    CAST(date_diff('day', x.start_date, x.end_date) - e.days_exposed AS INTEGER) AS gap_days
FROM exposures AS x
JOIN exposed AS e
    ON e.person_id = x.person_id AND e.class = x.class AND e.era_number = x.era_number
