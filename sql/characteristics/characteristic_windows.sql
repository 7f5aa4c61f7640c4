-- stage: characteristics/characteristic_windows
-- creates: characteristic_windows
-- purpose: each person's windows as dates, both ends inclusive: [index_date + start,
--          index_date + end]; a null start is the person's observation start. A window
--          ending before it starts (observation starting after its end) is kept: it
--          holds no day, so no record falls in it.
-- inputs: characteristic_persons, characteristic_window_defs
CREATE OR REPLACE TEMP TABLE characteristic_windows AS
SELECT
    p.person_id,
    w.window_name,
    CASE WHEN w.start_offset IS NULL THEN p.observation_start
        ELSE p.index_date + CAST(w.start_offset AS INTEGER) END AS start_date,
    p.index_date + CAST(w.end_offset AS INTEGER) AS end_date
FROM characteristic_persons AS p
CROSS JOIN characteristic_window_defs AS w
