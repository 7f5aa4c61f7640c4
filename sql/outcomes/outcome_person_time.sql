-- stage: outcomes/outcome_person_time
-- creates: outcome_person_time
-- purpose: per outcome_incidence analysis, cohort member and calendar year: the days of
--          time at risk before any exclusion (pre_days), after it (days), and the outcome
--          events counted (events), with the member's sex and 5-year age band at the start
--          of the time at risk (its first day). Exclusions, in order:
--          exclude_prior_days N: a member with the outcome in [TAR start - N, TAR start - 1]
--          (exclude_prior_all: on any day before TAR start) is not at risk at all.
--          Clean window N: every outcome day d (one before the TAR too) removes
--          [d + 1, d + N] from the time at risk; an outcome day is counted when no earlier
--          outcome day lies within N days before it (its day is then never removed), so an
--          outcome on a removed day is not counted and its own window extends the removal
--          (N = 0: nothing removed, every outcome day counted).
--          first_only: the first counted outcome in the TAR is the only one; the time at
--          risk ends on its day (inclusive).
--          Days are split at each 1 January; events count in the year of their day.
-- inputs: risk_windows, outcome_days, outcome_analyses, cohort
-- param years: INTEGER[], every calendar year a time at risk can touch
-- param band_years: INTEGER, width of the age bands (5)
CREATE OR REPLACE TEMP TABLE outcome_person_time AS
WITH analyses AS (
    SELECT * FROM outcome_analyses WHERE purpose = 'incidence'
),
windows AS (
    SELECT
        w.analysis,
        w.person_id,
        w.start_date,
        w.end_date,
        min(w.start_date) OVER (PARTITION BY w.analysis, w.person_id) AS tar_start
    FROM risk_windows AS w
    JOIN analyses AS a ON a.analysis = w.analysis
),
occurrences AS (
    -- every outcome day of the analysis's outcome; new_chain: no earlier outcome day in the
    -- clean window's N days before it (the day is counted, and starts a removal)
    SELECT
        analysis,
        person_id,
        date,
        clean_window_days,
        CASE WHEN days_since_previous IS NULL OR days_since_previous > clean_window_days
            THEN 1 ELSE 0 END AS new_chain
    FROM (
        SELECT
            a.analysis,
            d.person_id,
            d.date,
            a.clean_window_days,
            date_diff(
                'day',
                lag(d.date) OVER (PARTITION BY a.analysis, d.person_id ORDER BY d.date),
                d.date
            ) AS days_since_previous
        FROM analyses AS a
        JOIN outcome_days AS d ON d.outcome = a.outcome
    ) AS spaced
),
excluded AS (
    SELECT DISTINCT w.analysis, w.person_id
    FROM windows AS w
    JOIN analyses AS a ON a.analysis = w.analysis
    JOIN occurrences AS o ON o.analysis = w.analysis AND o.person_id = w.person_id
    WHERE o.date < w.tar_start
        AND (a.exclude_prior_all
            OR o.date >= w.tar_start - CAST(a.exclude_prior_days AS INTEGER))
),
counted AS (
    -- outcome days in a window of the time at risk, not on a removed day
    SELECT o.analysis, o.person_id, o.date
    FROM occurrences AS o
    JOIN windows AS w
        ON w.analysis = o.analysis AND w.person_id = o.person_id
        AND o.date >= w.start_date AND o.date <= w.end_date
    WHERE o.new_chain = 1
),
firsts AS (
    SELECT c.analysis, c.person_id, min(c.date) AS first_date
    FROM counted AS c
    JOIN analyses AS a ON a.analysis = c.analysis
    WHERE a.first_only
    GROUP BY c.analysis, c.person_id
),
kept AS (
    -- the windows of members at risk, ended on the first outcome when first_only
    SELECT
        w.analysis,
        w.person_id,
        w.start_date,
        least(w.end_date, coalesce(f.first_date, w.end_date)) AS end_date
    FROM windows AS w
    LEFT JOIN excluded AS x ON x.analysis = w.analysis AND x.person_id = w.person_id
    LEFT JOIN firsts AS f ON f.analysis = w.analysis AND f.person_id = w.person_id
    WHERE x.person_id IS NULL AND (f.first_date IS NULL OR w.start_date <= f.first_date)
),
chained AS (
    -- outcome days chained while each is at most N days after the previous: one removal
    SELECT
        *,
        sum(new_chain) OVER (
            PARTITION BY analysis, person_id ORDER BY date ROWS UNBOUNDED PRECEDING
        ) AS chain
    FROM occurrences
    WHERE clean_window_days > 0
),
removed AS (
    -- [first day of the chain + 1, last day + N]: the union of its days' windows
    SELECT
        analysis,
        person_id,
        min(date) + 1 AS start_date,
        max(date) + CAST(max(clean_window_days) AS INTEGER) AS end_date
    FROM chained
    GROUP BY analysis, person_id, chain
),
cuts AS (
    SELECT
        k.analysis,
        k.person_id,
        k.start_date AS window_start,
        k.end_date AS window_end,
        greatest(r.start_date, k.start_date) AS cut_start,
        least(r.end_date, k.end_date) AS cut_end
    FROM kept AS k
    JOIN removed AS r
        ON r.analysis = k.analysis AND r.person_id = k.person_id
        AND r.start_date <= k.end_date AND r.end_date >= k.start_date
),
pieces AS (
    -- after each cut, to the next cut or the window's end
    SELECT
        analysis,
        person_id,
        cut_end + 1 AS start_date,
        coalesce(
            lead(cut_start) OVER (
                PARTITION BY analysis, person_id, window_start ORDER BY cut_start
            ) - 1,
            window_end
        ) AS end_date
    FROM cuts
    UNION ALL
    -- before the first cut
    SELECT analysis, person_id, window_start, min(cut_start) - 1
    FROM cuts
    GROUP BY analysis, person_id, window_start
    UNION ALL
    -- windows nothing was removed from
    SELECT k.analysis, k.person_id, k.start_date, k.end_date
    FROM kept AS k
    LEFT JOIN cuts AS c
        ON c.analysis = k.analysis AND c.person_id = k.person_id
        AND c.window_start = k.start_date
    WHERE c.person_id IS NULL
),
segments AS (
    SELECT analysis, person_id, start_date, end_date, 0 AS pre
    FROM pieces
    WHERE start_date <= end_date
    UNION ALL
    SELECT analysis, person_id, start_date, end_date, 1
    FROM windows
),
calendar AS (
    SELECT unnest($years) AS year
),
by_year AS (
    SELECT
        s.analysis,
        s.person_id,
        c.year,
        CAST(date_diff(
            'day',
            greatest(s.start_date, make_date(c.year, 1, 1)),
            least(s.end_date, make_date(c.year + 1, 1, 1) - 1)
        ) AS BIGINT) + 1 AS days,
        s.pre
    FROM segments AS s
    JOIN calendar AS c ON c.year >= year(s.start_date) AND c.year <= year(s.end_date)
),
counted_in_time AS (
    -- counted outcome days inside the time kept (first_only: the first only)
    SELECT c.analysis, c.person_id, year(c.date) AS year, count(*) AS events
    FROM counted AS c
    JOIN kept AS k
        ON k.analysis = c.analysis AND k.person_id = c.person_id
        AND c.date >= k.start_date AND c.date <= k.end_date
    GROUP BY c.analysis, c.person_id, year(c.date)
),
days AS (
    SELECT
        analysis,
        person_id,
        year,
        sum(CASE WHEN pre = 1 THEN days ELSE 0 END) AS pre_days,
        sum(CASE WHEN pre = 0 THEN days ELSE 0 END) AS days
    FROM by_year
    GROUP BY analysis, person_id, year
),
starts AS (
    SELECT DISTINCT analysis, person_id, tar_start FROM windows
)
SELECT
    d.analysis,
    d.person_id,
    p.sex,
    CAST(floor(
        (year(s.tar_start) - year(p.birth_date) - CASE
            WHEN month(s.tar_start) < month(p.birth_date)
                OR (month(s.tar_start) = month(p.birth_date)
                    AND day(s.tar_start) < day(p.birth_date))
                THEN 1 ELSE 0
        END) / CAST($band_years AS DOUBLE)
    ) AS INTEGER) * $band_years AS age_band,
    CAST(d.year AS INTEGER) AS year,
    CAST(d.pre_days AS BIGINT) AS pre_days,
    CAST(d.days AS BIGINT) AS days,
    CAST(coalesce(e.events, 0) AS BIGINT) AS events
FROM days AS d
JOIN starts AS s ON s.analysis = d.analysis AND s.person_id = d.person_id
JOIN cohort AS p ON p.person_id = d.person_id
LEFT JOIN counted_in_time AS e
    ON e.analysis = d.analysis AND e.person_id = d.person_id AND e.year = d.year
