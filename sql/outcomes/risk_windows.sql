-- stage: outcomes/risk_windows
-- creates: risk_windows
-- purpose: the time at risk (TAR) of each outcome analysis and cohort member, as inclusive
--          day ranges [start_date, end_date]. The bounds are [start anchor + offset, end
--          anchor + offset] (during / outside without them: [index_date, follow_up_end]),
--          cut to [observation_start, follow_up_end]; an anchor the person does not have
--          (no course 1 of the class) gives no window, and bounds whose end falls before
--          their start after the cut are empty: the person is not at risk. A {start, end}
--          analysis is at risk on its bounds. during: the days of the bounds inside the
--          exposure eras of its classes (a class, or every class of an efficacy group,
--          eras of different classes merged where they overlap or touch), one range per
--          merged era; outside: the other days of the bounds (between those eras, before
--          the first, after the last; all of them without any era): during and outside
--          partition the bounds. origin_date: the day survival times count from (the
--          origin anchor + offset; without one, the window's first day).
-- inputs: cohort, outcome_analyses, outcome_exposures, treatment_dates
CREATE OR REPLACE TEMP TABLE risk_windows AS
WITH anchored AS (
    SELECT
        a.analysis,
        a.time_at_risk,
        c.person_id,
        c.observation_start,
        c.follow_up_end,
        CASE a.start_anchor
            WHEN 'index_date' THEN c.index_date
            WHEN 'follow_up_end' THEN c.follow_up_end
            ELSE s.start_date
        END + CAST(a.start_offset AS INTEGER) AS start_date,
        CASE a.end_anchor
            WHEN 'index_date' THEN c.index_date
            WHEN 'follow_up_end' THEN c.follow_up_end
            ELSE e.start_date
        END + CAST(a.end_offset AS INTEGER) AS end_date,
        CASE a.origin_anchor
            WHEN 'index_date' THEN c.index_date
            WHEN 'follow_up_end' THEN c.follow_up_end
            ELSE o.start_date
        END + CAST(a.origin_offset AS INTEGER) AS origin_date
    FROM outcome_analyses AS a
    CROSS JOIN cohort AS c
    LEFT JOIN treatment_dates AS s
        ON s.person_id = c.person_id AND s.kind = a.start_kind AND s.number = a.start_number
        AND (a.start_class IS NULL OR s.class = a.start_class)
    LEFT JOIN treatment_dates AS e
        ON e.person_id = c.person_id AND e.kind = a.end_kind AND e.number = a.end_number
        AND (a.end_class IS NULL OR e.class = a.end_class)
    LEFT JOIN treatment_dates AS o
        ON o.person_id = c.person_id AND o.kind = a.origin_kind AND o.number = a.origin_number
        AND (a.origin_class IS NULL OR o.class = a.origin_class)
),
bounds AS (
    SELECT
        analysis,
        time_at_risk,
        person_id,
        greatest(start_date, observation_start) AS start_date,
        least(end_date, follow_up_end) AS end_date,
        coalesce(origin_date, greatest(start_date, observation_start)) AS origin_date
    FROM anchored
    WHERE start_date IS NOT NULL AND end_date IS NOT NULL
        AND greatest(start_date, observation_start) <= least(end_date, follow_up_end)
),
exposed AS (
    -- each era of the analysis's classes, cut to its bounds
    SELECT
        b.analysis,
        b.person_id,
        greatest(t.start_date, b.start_date) AS start_date,
        least(t.end_date, b.end_date) AS end_date
    FROM bounds AS b
    JOIN outcome_exposures AS x ON x.analysis = b.analysis
    JOIN treatment_dates AS t
        ON t.person_id = b.person_id AND t.kind = 'era' AND t.class = x.class
    WHERE greatest(t.start_date, b.start_date) <= least(t.end_date, b.end_date)
),
ordered AS (
    SELECT
        *,
        max(end_date) OVER (
            PARTITION BY analysis, person_id ORDER BY start_date, end_date
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS covered_before
    FROM exposed
),
islands AS (
    SELECT
        *,
        sum(CASE WHEN covered_before IS NULL OR start_date > covered_before + 1 THEN 1 ELSE 0
            END) OVER (
            PARTITION BY analysis, person_id ORDER BY start_date, end_date
            ROWS UNBOUNDED PRECEDING
        ) AS island
    FROM ordered
),
eras AS (
    SELECT analysis, person_id, min(start_date) AS start_date, max(end_date) AS end_date
    FROM islands
    GROUP BY analysis, person_id, island
),
gaps AS (
    -- from the day after the previous era (or the bounds' start) to the day before this one
    SELECT
        e.analysis,
        e.person_id,
        coalesce(
            lag(e.end_date) OVER (PARTITION BY e.analysis, e.person_id ORDER BY e.start_date)
                + 1,
            b.start_date
        ) AS start_date,
        e.start_date - 1 AS end_date
    FROM eras AS e
    JOIN bounds AS b ON b.analysis = e.analysis AND b.person_id = e.person_id
    UNION ALL
    -- after the last era
    SELECT e.analysis, e.person_id, max(e.end_date) + 1, max(b.end_date)
    FROM eras AS e
    JOIN bounds AS b ON b.analysis = e.analysis AND b.person_id = e.person_id
    GROUP BY e.analysis, e.person_id
    UNION ALL
    -- no era in the bounds: all of them
    SELECT b.analysis, b.person_id, b.start_date, b.end_date
    FROM bounds AS b
    LEFT JOIN eras AS e ON e.analysis = b.analysis AND e.person_id = b.person_id
    WHERE b.time_at_risk = 'outside' AND e.person_id IS NULL
)
SELECT analysis, person_id, start_date, end_date, origin_date
FROM bounds
WHERE time_at_risk = 'span'
UNION ALL
SELECT e.analysis, e.person_id, e.start_date, e.end_date, CAST(NULL AS DATE)
FROM eras AS e
JOIN outcome_analyses AS a ON a.analysis = e.analysis
WHERE a.time_at_risk = 'during'
UNION ALL
SELECT g.analysis, g.person_id, g.start_date, g.end_date, CAST(NULL AS DATE)
FROM gaps AS g
JOIN outcome_analyses AS a ON a.analysis = g.analysis
WHERE a.time_at_risk = 'outside' AND g.start_date <= g.end_date
