-- stage: cohort/qualifying_codes
-- creates: qualifying_codes
-- purpose: every qualifying date (rule 1), at any date (the washout looks before the
--          period), as a span [date, end_date]: a code is one day, a long-term disease
--          (ALD) is a status that holds from its start to its end_date (inclusive; open
--          when none). A person is found by
--          - a code of the case-finding codelist in one of the case-finding settings, or
--          - repeated evidence: the min_count-th distinct day holding a case-finding code in
--            one of the repeated settings or a dispensing of an evidence codelist, within
--            within_days of the first of them (both days inclusive: d_k - d_1 <= within_days;
--            null: any time apart). That day is the qualifying date. With repeated_finds
--            false, repeated evidence finds nobody: it only dates (below) cases found by a
--            code in one of the case-finding settings.
--          dated_at = 'first_evidence': a person found at any date has every piece of
--          evidence as a qualifying date (codes in either set of settings, evidence
--          dispensing days), so the first qualifying date is the earliest evidence.
--          Persons with a code of the exclusion codelist in its settings, at any date, have
--          no qualifying date.
--          found_by: what the date is the day of, 'code' (a qualifying code; it wins a
--          day holding both) or 'dispensing' (an evidence dispensing).
-- inputs: screened_diagnoses, screened_dispensings, codelist_matches
-- param codelist: VARCHAR, name of the case-finding codelist
-- param settings: VARCHAR[], settings in which one code finds a case
-- param repeated_settings: VARCHAR[], settings in which a code is one piece of repeated evidence
-- param dispensing_codelists: VARCHAR[], dispensings codelists whose days are evidence ([] = none)
-- param min_count: INTEGER, distinct evidence days needed
-- param within_days: INTEGER, days from the first to the last of them (null: no limit)
-- param repeated_finds: BOOLEAN, whether repeated evidence finds cases (false: it only dates them)
-- param dated_at: VARCHAR, 'finding' or 'first_evidence'
-- param exclusion_codelist: VARCHAR, persons with a code of it are not cases (null: none)
-- param exclusion_settings: VARCHAR[], settings in which the exclusion code counts
CREATE OR REPLACE TEMP TABLE qualifying_codes AS
WITH coded AS (
    SELECT
        d.person_id,
        d.date,
        d.holds_until AS end_date,
        list_contains($settings, d.setting) AS finds,
        list_contains($repeated_settings, d.setting) AS counts
    FROM screened_diagnoses AS d
    JOIN codelist_matches AS m
        ON m.domain = 'diagnoses' AND m.code = d.code AND m.codelist = $codelist
    WHERE d.reject_reason IS NULL
        AND (list_contains($settings, d.setting) OR list_contains($repeated_settings, d.setting))
),
evidence_rows AS (
    SELECT person_id, date, 'code' AS found_by FROM coded WHERE counts
    UNION ALL
    SELECT d.person_id, d.date, 'dispensing'
    FROM screened_dispensings AS d
    JOIN codelist_matches AS m
        ON m.domain = 'dispensings' AND m.code = d.atc
    WHERE d.reject_reason IS NULL
        AND list_contains($dispensing_codelists, m.codelist)
),
evidence_days AS (
    -- a day holding both a code and a dispensing is a code's day ('code' < 'dispensing')
    SELECT person_id, date, min(found_by) AS found_by FROM evidence_rows GROUP BY person_id, date
),
numbered AS (
    SELECT
        person_id,
        date,
        found_by,
        row_number() OVER (PARTITION BY person_id ORDER BY date) AS day_number
    FROM evidence_days
),
repeated AS (
    SELECT last_day.person_id, last_day.date, last_day.found_by
    FROM numbered AS last_day
    JOIN numbered AS first_day
        ON first_day.person_id = last_day.person_id
        AND first_day.day_number = last_day.day_number - (CAST($min_count AS INTEGER) - 1)
    WHERE $repeated_finds
        AND ($within_days IS NULL
            OR date_diff('day', first_day.date, last_day.date) <= CAST($within_days AS INTEGER))
),
found AS (
    SELECT person_id, date, end_date, 'code' AS found_by FROM coded WHERE finds
    UNION ALL
    SELECT person_id, date, date, found_by FROM repeated
),
found_persons AS (
    SELECT DISTINCT person_id FROM found
),
dated AS (
    SELECT person_id, date, end_date, found_by FROM found WHERE $dated_at = 'finding'
    UNION ALL
    SELECT c.person_id, c.date, c.end_date, 'code'
    FROM coded AS c
    WHERE $dated_at = 'first_evidence' AND c.person_id IN (SELECT f.person_id FROM found_persons AS f)
    UNION ALL
    SELECT e.person_id, e.date, e.date, e.found_by
    FROM evidence_days AS e
    WHERE $dated_at = 'first_evidence' AND e.person_id IN (SELECT f.person_id FROM found_persons AS f)
),
excluded AS (
    SELECT DISTINCT d.person_id
    FROM screened_diagnoses AS d
    JOIN codelist_matches AS m
        ON m.domain = 'diagnoses' AND m.code = d.code AND m.codelist = $exclusion_codelist
    WHERE d.reject_reason IS NULL AND list_contains($exclusion_settings, d.setting)
)
SELECT person_id, date, max(end_date) AS end_date, min(found_by) AS found_by
FROM dated
WHERE person_id NOT IN (SELECT x.person_id FROM excluded AS x)
GROUP BY person_id, date
