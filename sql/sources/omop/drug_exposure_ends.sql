-- stage: sources/omop/drug_exposure_ends
-- creates: drug_exposure_ends
-- purpose: each drug exposure with its end as the CDM defines it: drug_exposure_end_date
--          when given and not before the start; else start + days_supply when
--          days_supply > 0; else start + 1 day (the OHDSI drug_era convention). end_rule
--          names the rule used, so the problems stage can count them. A view: the
--          dispensings view and the drug-era builder both read it.
-- inputs: src_drug_exposure
CREATE OR REPLACE TEMP VIEW drug_exposure_ends AS
WITH typed AS (
    SELECT
        e.*,
        TRY_CAST(e.drug_exposure_start_date AS DATE) AS start_day,
        TRY_CAST(e.drug_exposure_end_date AS DATE) AS end_day,
        TRY_CAST(e.days_supply AS INTEGER) AS supply
    FROM src_drug_exposure AS e
),
ruled AS (
    SELECT
        t.*,
        CASE
            WHEN t.end_day >= t.start_day THEN 'end date'
            WHEN t.supply > 0 THEN 'start + days_supply'
            ELSE 'start + 1 day'
        END AS end_rule
    FROM typed AS t
)
SELECT
    r.*,
    CASE r.end_rule
        WHEN 'end date' THEN r.end_day
        WHEN 'start + days_supply' THEN r.start_day + r.supply
        ELSE r.start_day + 1
    END AS cdm_end_date
FROM ruled AS r
