-- stage: outcomes/risk_windows
-- creates: risk_windows
-- purpose: the time at risk (TAR) of each outcome analysis and cohort member, as inclusive
--          day ranges [start_date, end_date]. A {start, end} window is [start anchor +
--          offset, end anchor + offset] cut to [observation_start, follow_up_end]; an
--          anchor the person does not have (no course 1 of the class) gives no window,
--          and a window whose end falls before its start after the cut is empty: the
--          person is not at risk. during: C = the days of follow-up [index_date,
--          follow_up_end] inside the exposure eras of class C (one range per era);
--          outside: C = the other days of follow-up (the gaps between those eras, before
--          the first and after the last; the whole follow-up without any era): the two
--          partition follow-up. origin_date: the day survival times count from (the
--          origin anchor + offset; without one, the window's first day).
-- inputs: cohort, outcome_analyses, treatment_dates
CREATE OR REPLACE TEMP TABLE risk_windows AS
WITH anchored AS (
    SELECT
        a.analysis,
        c.person_id,
        c.observation_start,
        c.index_date,
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
    JOIN cohort AS c ON a.time_at_risk = 'span'
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
spans AS (
    SELECT
        analysis,
        person_id,
        greatest(start_date, observation_start) AS start_date,
        least(end_date, follow_up_end) AS end_date,
        coalesce(origin_date, greatest(start_date, observation_start)) AS origin_date
    FROM anchored
    WHERE start_date IS NOT NULL AND end_date IS NOT NULL
),
eras AS (
    -- each era of the class cut to follow-up
    SELECT
        a.analysis,
        a.time_at_risk,
        c.person_id,
        c.index_date,
        c.follow_up_end,
        greatest(t.start_date, c.index_date) AS start_date,
        least(t.end_date, c.follow_up_end) AS end_date
    FROM outcome_analyses AS a
    JOIN treatment_dates AS t ON t.kind = 'era' AND t.class = a.exposure_class
    JOIN cohort AS c ON c.person_id = t.person_id
    WHERE a.time_at_risk IN ('during', 'outside')
        AND greatest(t.start_date, c.index_date) <= least(t.end_date, c.follow_up_end)
),
gaps AS (
    -- outside: from the day after the previous era (or index_date) to the day before this one
    SELECT
        analysis,
        person_id,
        coalesce(
            lag(end_date) OVER (PARTITION BY analysis, person_id ORDER BY start_date) + 1,
            index_date
        ) AS start_date,
        start_date - 1 AS end_date
    FROM eras
    WHERE time_at_risk = 'outside'
    UNION ALL
    -- after the last era
    SELECT analysis, person_id, max(end_date) + 1, max(follow_up_end)
    FROM eras
    WHERE time_at_risk = 'outside'
    GROUP BY analysis, person_id
    UNION ALL
    -- no era in follow-up: all of it
    SELECT a.analysis, c.person_id, c.index_date, c.follow_up_end
    FROM outcome_analyses AS a
    JOIN cohort AS c ON a.time_at_risk = 'outside'
    LEFT JOIN eras AS x ON x.analysis = a.analysis AND x.person_id = c.person_id
    WHERE x.person_id IS NULL
)
SELECT analysis, person_id, start_date, end_date, origin_date
FROM spans
WHERE start_date <= end_date
UNION ALL
SELECT analysis, person_id, start_date, end_date, CAST(NULL AS DATE)
FROM eras
WHERE time_at_risk = 'during'
UNION ALL
SELECT analysis, person_id, start_date, end_date, CAST(NULL AS DATE)
FROM gaps
WHERE start_date <= end_date
