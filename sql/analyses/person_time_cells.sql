-- stage: analyses/person_time_cells
-- creates: person_time_cells
-- purpose: the Lexis split of the at-risk intervals by calendar year and 5-year age band,
--          summed into cells (year, sex, age_band, events, days): the internal incidence
--          denominator. In SQL so that it runs inside the engine, within its memory limit,
--          whatever the number of persons; pharmacoepi.analyses.lexis is the same split in
--          Polars, kept as the reference the tests compare this stage with.
--          Intervals and segments are inclusive day ranges [start_date, end_date]. Ages are
--          completed years; a birthday counts from the day itself, and a 29 February
--          birthday is reached on 1 March in common years (as everywhere else).
-- inputs: at_risk_intervals
-- param years: INTEGER[], every calendar year an interval can touch (the study period's)
-- param band_years: INTEGER, width of the age bands (5)
CREATE OR REPLACE TEMP TABLE person_time_cells AS
WITH calendar AS (
    SELECT unnest($years) AS year
),
by_year AS (
    SELECT
        i.sex,
        i.birth_date,
        i.event_date,
        c.year,
        greatest(i.start_date, make_date(c.year, 1, 1)) AS start_date,
        least(i.end_date, make_date(c.year + 1, 1, 1) - 1) AS end_date
    FROM at_risk_intervals AS i
    JOIN calendar AS c ON c.year >= year(i.start_date) AND c.year <= year(i.end_date)
),
aged AS (
    SELECT
        b.*,
        year(b.start_date) - year(b.birth_date) - CASE
            WHEN month(b.start_date) < month(b.birth_date)
                OR (month(b.start_date) = month(b.birth_date) AND day(b.start_date) < day(b.birth_date))
                THEN 1 ELSE 0
        END AS age
    FROM by_year AS b
),
banded AS (
    SELECT
        a.*,
        CAST(floor(a.age / CAST($band_years AS DOUBLE)) AS INTEGER) * $band_years AS age_band,
        -- the year in which the next band starts; a calendar year holds at most one change
        year(a.birth_date) + CAST(floor(a.age / CAST($band_years AS DOUBLE)) AS INTEGER) * $band_years
            + $band_years AS next_band_year
    FROM aged AS a
),
bounded AS (
    SELECT
        b.*,
        -- the birthday opening the next band: day d of the birth month is the 1st + d - 1,
        -- so a 29 February birthday falls on 1 March in common years
        make_date(b.next_band_year, month(b.birth_date), 1) + CAST(day(b.birth_date) - 1 AS INTEGER)
            AS next_band_from
    FROM banded AS b
),
segments AS (
    SELECT sex, year, age_band, event_date, start_date,
        CASE WHEN next_band_from <= end_date THEN next_band_from - 1 ELSE end_date END AS end_date
    FROM bounded
    UNION ALL
    SELECT sex, year, age_band + $band_years, event_date, next_band_from, end_date
    FROM bounded
    WHERE next_band_from <= end_date
)
SELECT
    CAST(year AS INTEGER) AS year,
    sex,
    CAST(age_band AS INTEGER) AS age_band,
    CAST(sum(CASE WHEN event_date >= start_date AND event_date <= end_date THEN 1 ELSE 0 END)
        AS BIGINT) AS events,
    CAST(sum(CAST(date_diff('day', start_date, end_date) AS BIGINT) + 1) AS BIGINT) AS days
FROM segments
GROUP BY year, sex, age_band
