-- stage: treatments/treatment_episodes
-- creates: treatment_episodes
-- purpose: what lines are made of: the eras of line classes (role 'line'), except that a
--          course class contributes its courses (each course is an episode). Rescue
--          classes (role 'rescue') never appear, so they never open or join a line.
-- inputs: exposures, courses, treatment_classes
CREATE OR REPLACE TEMP TABLE treatment_episodes AS
SELECT e.person_id, e.class, e.start_date, e.end_date
FROM exposures AS e
JOIN treatment_classes AS k ON k.class = e.class
WHERE k.role = 'line' AND k.kind <> 'course'
UNION ALL
SELECT c.person_id, c.class, c.start_date, c.end_date
FROM courses AS c
JOIN treatment_classes AS k ON k.class = c.class
WHERE k.role = 'line'
