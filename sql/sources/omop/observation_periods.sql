-- stage: sources/omop/observation_periods
-- creates: raw_observation_periods
-- purpose: OMOP observation_period as the canonical observation periods (both ends
--          inclusive, as in the CDM). Periods of persons missing from person are set aside
--          by screening (unknown person) and counted.
-- inputs: src_observation_period
CREATE OR REPLACE TEMP VIEW raw_observation_periods AS
SELECT
    person_id,
    observation_period_start_date AS start_date,
    observation_period_end_date AS end_date
FROM src_observation_period
