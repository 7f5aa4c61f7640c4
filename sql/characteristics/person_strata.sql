-- stage: characteristics/person_strata
-- creates: person_strata
-- purpose: the groups Table 1 describes, one row per person and stratum: every person in
--          'overall' ('all'), and in one level of each stratum the definition asks for. A
--          member without a first line is in level 'none' of first_line and
--          first_efficacy_group; a phase not yet known is 'undetermined'.
-- inputs: characteristic_persons, characteristic_strata, first_lines, person_phases
CREATE OR REPLACE TEMP TABLE person_strata AS
WITH levels AS (
    SELECT p.person_id, 'overall' AS stratum, 'all' AS level FROM characteristic_persons AS p
    UNION ALL
    SELECT p.person_id, 'sex', p.sex FROM characteristic_persons AS p
    UNION ALL
    SELECT p.person_id, 'age_band', p.age_band FROM characteristic_persons AS p
    UNION ALL
    SELECT p.person_id, 'index_year', p.index_year FROM characteristic_persons AS p
    UNION ALL
    SELECT p.person_id, 'end_reason', p.end_reason FROM characteristic_persons AS p
    UNION ALL
    SELECT p.person_id, 'first_line', coalesce(f.regimen, 'none')
    FROM characteristic_persons AS p
    LEFT JOIN first_lines AS f ON f.person_id = p.person_id
    UNION ALL
    SELECT p.person_id, 'first_efficacy_group', coalesce(f.efficacy_group, 'none')
    FROM characteristic_persons AS p
    LEFT JOIN first_lines AS f ON f.person_id = p.person_id
    UNION ALL
    SELECT p.person_id, 'phase', coalesce(h.phase, 'undetermined')
    FROM characteristic_persons AS p
    LEFT JOIN person_phases AS h ON h.person_id = p.person_id
)
SELECT l.person_id, l.stratum, l.level
FROM levels AS l
WHERE l.stratum = 'overall' OR l.stratum IN (SELECT s.stratum FROM characteristic_strata AS s)
