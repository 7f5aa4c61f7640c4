-- stage: outcomes/outcome_rate_cells
-- creates: outcome_rate_cells
-- purpose: the counts of each outcome_incidence analysis, crude (stratum 'crude', level
--          'all') and by sex, 5-year age band at TAR start and calendar year (level as
--          text): persons_pre_exclusion and person_days_pre_exclusion (members with time
--          at risk, and its days, before exclusions), persons and person_days (after
--          them), persons_with_outcome and events (counted outcome days). A person counts
--          once per level: in every calendar year they have time at risk, so year rows do
--          not add up to the crude persons (their days and events do).
-- inputs: outcome_person_time
CREATE OR REPLACE TEMP TABLE outcome_rate_cells AS
WITH levelled AS (
    SELECT analysis, 'crude' AS stratum, 'all' AS level, person_id, pre_days, days, events
    FROM outcome_person_time
    UNION ALL
    SELECT analysis, 'sex', sex, person_id, pre_days, days, events
    FROM outcome_person_time
    UNION ALL
    SELECT analysis, 'age_band', CAST(age_band AS VARCHAR), person_id, pre_days, days, events
    FROM outcome_person_time
    UNION ALL
    SELECT analysis, 'calendar_year', CAST(year AS VARCHAR), person_id, pre_days, days, events
    FROM outcome_person_time
),
per_person AS (
    SELECT
        analysis, stratum, level, person_id,
        sum(pre_days) AS pre_days, sum(days) AS days, sum(events) AS events
    FROM levelled
    GROUP BY analysis, stratum, level, person_id
)
SELECT
    analysis,
    stratum,
    level,
    CAST(sum(CASE WHEN pre_days > 0 THEN 1 ELSE 0 END) AS BIGINT) AS persons_pre_exclusion,
    CAST(sum(pre_days) AS BIGINT) AS person_days_pre_exclusion,
    CAST(sum(CASE WHEN days > 0 THEN 1 ELSE 0 END) AS BIGINT) AS persons,
    CAST(sum(days) AS BIGINT) AS person_days,
    CAST(sum(CASE WHEN events > 0 THEN 1 ELSE 0 END) AS BIGINT) AS persons_with_outcome,
    CAST(sum(events) AS BIGINT) AS events
FROM per_person
GROUP BY analysis, stratum, level
