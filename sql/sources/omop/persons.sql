-- stage: sources/omop/persons
-- creates: raw_persons
-- purpose: OMOP person (+ death) as the canonical persons view. sex: gender concepts
--          through omop_gender (8507 -> M, 8532 -> F); any other value passes through and is
--          set aside by screening (invalid value:sex). birth_date: the day of
--          birth_datetime when it parses, else year_of_birth-month_of_birth-day_of_birth
--          with a missing month and day imputed from omop_birth_imputation (July, the 15th;
--          docs/sources.md); an impossible date stays text and is set aside as unparseable.
--          death_date: the earliest death record.
-- inputs: src_person, src_death, omop_gender, omop_birth_imputation
CREATE OR REPLACE TEMP VIEW raw_persons AS
WITH deaths AS (
    SELECT person_id, min(TRY_CAST(death_date AS DATE)) AS death_date
    FROM src_death
    GROUP BY person_id
),
born AS (
    SELECT
        p.person_id,
        p.gender_concept_id,
        CAST(CAST(TRY_CAST(p.birth_datetime AS TIMESTAMP) AS DATE) AS VARCHAR) AS from_datetime,
        TRY_CAST(p.year_of_birth AS INTEGER) AS birth_year,
        coalesce(TRY_CAST(p.month_of_birth AS INTEGER), i.month) AS birth_month,
        coalesce(TRY_CAST(p.day_of_birth AS INTEGER), i.day) AS birth_day
    FROM src_person AS p
    CROSS JOIN omop_birth_imputation AS i
)
SELECT
    b.person_id,
    coalesce(g.sex, CAST(b.gender_concept_id AS VARCHAR)) AS sex,
    coalesce(
        b.from_datetime,
        CAST(b.birth_year AS VARCHAR) || '-' || lpad(CAST(b.birth_month AS VARCHAR), 2, '0')
            || '-' || lpad(CAST(b.birth_day AS VARCHAR), 2, '0')
    ) AS birth_date,
    d.death_date
FROM born AS b
LEFT JOIN omop_gender AS g ON g.concept_id = TRY_CAST(b.gender_concept_id AS BIGINT)
LEFT JOIN deaths AS d ON CAST(d.person_id AS VARCHAR) = CAST(b.person_id AS VARCHAR)
