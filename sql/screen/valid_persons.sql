-- stage: screen/valid_persons
-- creates: persons_valid
-- purpose: the persons every other table is checked against (unknown person, event after death).
-- inputs: screened_persons
CREATE OR REPLACE TEMP TABLE persons_valid AS
SELECT person_id, sex, birth_date, death_date
FROM screened_persons
WHERE reject_reason IS NULL
