-- stage: analyses/at_risk_intervals
-- creates: at_risk_intervals
-- purpose: the internal denominator of incidence: per person and observation spell, the
--          days [start_date, end_date] (inclusive) on which a first qualifying code would
--          make an incident case, so numerator and denominator follow the same rules.
--          A day t is at risk when it lies in the study period, in a spell that started
--          at least prior_observation_days before it (spell start <= t - prior days), the
--          person is alive (t <= death_date), no qualifying evidence fell in
--          [t - washout_days, t - 1] (the latest end of evidence that began before the
--          period must be more than washout_days before t; an ALD counts to its end;
--          a null washout_days: no evidence before the period at all), and t is not after the person's first qualifying code
--          in the period (that day is the event for an incident case; after it, nobody is
--          at risk again). event = the incident case's date: its index_date (dated_at =
--          'index_date': the drug-refined diagnosis date, on or before code_date; never
--          before its interval's first day, the day it becomes countable) or its code_date;
--          the case's interval ends on its event.
-- inputs: persons_valid, observation_spells, qualifying_codes, dated_cases
-- note: greatest() and least() skip nulls (DuckDB and Spark alike)
-- param study_start: DATE, first day of the study period (inclusive)
-- param study_end: DATE, last day of the study period (inclusive)
-- param washout_days: INTEGER, days before t without qualifying evidence (null: all)
-- param prior_observation_days: INTEGER, days of observation required before t
-- param dated_at: VARCHAR, 'index_date' or 'code_date': the day an incident case counts
CREATE OR REPLACE TEMP TABLE at_risk_intervals AS
WITH last_before AS (
    SELECT person_id, max(end_date) AS last_code
    FROM qualifying_codes
    WHERE date < $study_start
    GROUP BY person_id
),
first_in AS (
    SELECT person_id, min(date) AS first_code
    FROM qualifying_codes
    WHERE date >= $study_start AND date <= $study_end
    GROUP BY person_id
),
bounded AS (
    SELECT
        s.person_id,
        p.sex,
        p.birth_date,
        greatest(
            s.start_date + CAST($prior_observation_days AS INTEGER),
            $study_start,
            CASE
                WHEN l.last_code IS NULL THEN NULL
                WHEN $washout_days IS NULL THEN DATE '2999-12-31'
                ELSE l.last_code + CAST($washout_days AS INTEGER) + 1
            END
        ) AS start_date,
        least(s.end_date, $study_end, p.death_date, f.first_code) AS end_date
    FROM observation_spells AS s
    JOIN persons_valid AS p ON p.person_id = s.person_id
    LEFT JOIN last_before AS l ON l.person_id = s.person_id
    LEFT JOIN first_in AS f ON f.person_id = s.person_id
)
SELECT
    person_id,
    sex,
    birth_date,
    start_date,
    coalesce(event_date, end_date) AS end_date,
    event_date
FROM (
    SELECT
        b.*,
        CASE
            WHEN i.person_id IS NULL THEN CAST(NULL AS DATE)
            WHEN $dated_at = 'index_date' THEN greatest(i.index_date, b.start_date)
            ELSE i.code_date
        END AS event_date
    FROM bounded AS b
    LEFT JOIN dated_cases AS i
        ON i.person_id = b.person_id AND i.code_date >= b.start_date AND i.code_date <= b.end_date
    WHERE b.start_date <= b.end_date
) AS dated
