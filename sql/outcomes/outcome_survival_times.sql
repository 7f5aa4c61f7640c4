-- stage: outcomes/outcome_survival_times
-- creates: outcome_survival_times
-- purpose: per outcome_survival analysis and cohort member at risk: time in days from the
--          origin (origin_date) to the first outcome day in the time at risk [start_date,
--          end_date], or to the window's end; event 1 = the outcome, 2 = death first (a
--          competing risk: the member died on the window's last day), 0 = censored.
--          exclude_prior_days N: a member with the outcome in [start_date - N,
--          start_date - 1] (exclude_prior_all: any day before) is not at risk.
-- inputs: risk_windows, outcome_days, outcome_analyses, cohort
CREATE OR REPLACE TEMP TABLE outcome_survival_times AS
WITH windows AS (
    SELECT w.*, a.outcome, a.exclude_prior_all, a.exclude_prior_days
    FROM risk_windows AS w
    JOIN outcome_analyses AS a ON a.analysis = w.analysis AND a.purpose = 'survival'
),
excluded AS (
    SELECT DISTINCT w.analysis, w.person_id
    FROM windows AS w
    JOIN outcome_days AS d
        ON d.person_id = w.person_id AND d.outcome = w.outcome AND d.date < w.start_date
    WHERE w.exclude_prior_all
        OR d.date >= w.start_date - CAST(w.exclude_prior_days AS INTEGER)
),
firsts AS (
    SELECT w.analysis, w.person_id, min(d.date) AS first_date
    FROM windows AS w
    JOIN outcome_days AS d
        ON d.person_id = w.person_id AND d.outcome = w.outcome
        AND d.date >= w.start_date AND d.date <= w.end_date
    GROUP BY w.analysis, w.person_id
)
SELECT
    w.analysis,
    w.person_id,
    CAST(date_diff('day', w.origin_date, coalesce(f.first_date, w.end_date)) AS INTEGER)
        AS time,
    CASE
        WHEN f.first_date IS NOT NULL THEN 1
        WHEN c.death_date = w.end_date THEN 2
        ELSE 0
    END AS event
FROM windows AS w
JOIN cohort AS c ON c.person_id = w.person_id
LEFT JOIN excluded AS x ON x.analysis = w.analysis AND x.person_id = w.person_id
LEFT JOIN firsts AS f ON f.analysis = w.analysis AND f.person_id = w.person_id
WHERE x.person_id IS NULL
