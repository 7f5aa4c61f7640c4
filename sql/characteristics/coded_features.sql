-- stage: characteristics/coded_features
-- creates: coded_features
-- purpose: who has each coded feature in each window (a row per person, feature and
--          window it holds in; absent = not seen). A diagnosis of the feature's codelist,
--          in any setting, holds from its date to holds_until (a long-term disease status
--          over its whole span), and counts when that span shares a day with the window; a
--          dispensing of a drug codelist counts when dated in the window; a treatment
--          class when one of its exposure eras shares a day with the window. Both ends
--          inclusive. Charlson components are coded features too (their codelists).
-- inputs: characteristic_windows, characteristic_features, screened_diagnoses, screened_dispensings, codelist_matches, exposures
CREATE OR REPLACE TEMP TABLE coded_features AS
WITH evidence AS (
    SELECT f.feature, f.window_name, d.person_id, d.date AS first_day, d.holds_until AS last_day
    FROM screened_diagnoses AS d
    JOIN codelist_matches AS m ON m.domain = 'diagnoses' AND m.code = d.code
    JOIN characteristic_features AS f
        ON f.source IN ('condition', 'charlson_component') AND f.codelist = m.codelist
    WHERE d.reject_reason IS NULL
    UNION ALL
    SELECT f.feature, f.window_name, d.person_id, d.date, d.date
    FROM screened_dispensings AS d
    JOIN codelist_matches AS m ON m.domain = 'dispensings' AND m.code = d.atc
    JOIN characteristic_features AS f ON f.source = 'drug_codelist' AND f.codelist = m.codelist
    WHERE d.reject_reason IS NULL
    UNION ALL
    SELECT f.feature, f.window_name, e.person_id, e.start_date, e.end_date
    FROM exposures AS e
    JOIN characteristic_features AS f ON f.source = 'drug_class' AND f.class = e.class
)
SELECT DISTINCT x.person_id, x.feature, x.window_name
FROM evidence AS x
JOIN characteristic_windows AS w ON w.person_id = x.person_id AND w.window_name = x.window_name
WHERE x.first_day <= w.end_date AND x.last_day >= w.start_date
