-- stage: analyses/person_time_months
-- creates: person_time_months
-- purpose: the internal denominator by calendar month (FAITH's seasonality): days at risk
--          and events per (year, month). Counted from the days on which the number of
--          persons at risk changes (+1 on an interval's first day, -1 the day after its
--          last), so the work grows with the distinct days of the calendar, not with
--          persons x months; each run of days with one count is then cut by the months it
--          spans. Intervals are inclusive day ranges [start_date, end_date]; an event
--          counts in the month of its day.
-- inputs: at_risk_intervals
-- param years: INTEGER[], every calendar year an interval can touch (the study period's)
-- param months: INTEGER[], the calendar months 1..12
CREATE OR REPLACE TEMP TABLE person_time_months AS
WITH edges AS (
    SELECT start_date AS day, 1 AS delta FROM at_risk_intervals
    UNION ALL
    SELECT end_date + 1 AS day, -1 AS delta FROM at_risk_intervals
),
changes AS (
    SELECT day, sum(delta) AS delta FROM edges GROUP BY day
),
runs AS (
    -- [day, next_day - 1] holds `persons` at risk on each of its days
    SELECT
        day,
        lead(day) OVER (ORDER BY day) AS next_day,
        sum(delta) OVER (ORDER BY day ROWS UNBOUNDED PRECEDING) AS persons
    FROM changes
),
calendar AS (
    SELECT y.year, m.month, make_date(y.year, m.month, 1) AS first_day,
        last_day(make_date(y.year, m.month, 1)) AS last_day
    FROM (SELECT unnest($years) AS year) AS y
    CROSS JOIN (SELECT unnest($months) AS month) AS m
),
days AS (
    SELECT
        c.year,
        c.month,
        sum(CAST(r.persons AS BIGINT) * (CAST(date_diff('day',
            greatest(r.day, c.first_day), least(r.next_day - 1, c.last_day)) AS BIGINT) + 1))
            AS days
    FROM runs AS r
    JOIN calendar AS c ON c.first_day <= r.next_day - 1 AND c.last_day >= r.day
    WHERE r.next_day IS NOT NULL AND r.persons > 0
    GROUP BY c.year, c.month
),
events AS (
    SELECT year(event_date) AS year, month(event_date) AS month, count(*) AS events
    FROM at_risk_intervals
    WHERE event_date IS NOT NULL
    GROUP BY year(event_date), month(event_date)
)
SELECT
    CAST(c.year AS INTEGER) AS year,
    CAST(c.month AS INTEGER) AS month,
    CAST(coalesce(e.events, 0) AS BIGINT) AS events,
    CAST(coalesce(d.days, 0) AS BIGINT) AS days
FROM calendar AS c
LEFT JOIN days AS d ON d.year = c.year AND d.month = c.month
LEFT JOIN events AS e ON e.year = c.year AND e.month = c.month
ORDER BY year, month
