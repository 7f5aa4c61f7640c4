-- stage: sources/snds/settings
-- creates: snds_settings
-- purpose: the SNDS layout's conventions as a one-row table. DuckDB cannot bind parameters
--          into a view, and the canonical views must stay views (read once by the
--          screening), so they read these values from here instead.
-- param missing_date: DATE, SNDS's "no date" value (1600-01-01)
-- param birth_day: INTEGER, imputed day of the month of birth (15)
-- param unknown_birth_month: INTEGER, imputed month when BEN_NAI_MOI is not 1-12 (7)
-- param placeholder_ids: VARCHAR[], NIR_ANO_17 values that stand for no usable patient id
-- param error_ghm_prefix: VARCHAR, GRG_GHM prefix of the grouper's error stays (CMD 90)
-- param info_only_qualifier: INTEGER, DPN_QLF of lines sent for information only (71)
-- param ald_exonerations: INTEGER[], IMB_ETM_NAT values of an ALD registration (41, 43, 45)
-- param ucd_digits: INTEGER, length of a UCD code, zero-padded on the left (13)
-- param coverage_end: VARCHAR, 'end_of_data' or 'last_claim': how a beneficiary's coverage ends
CREATE OR REPLACE TEMP TABLE snds_settings AS
SELECT
    CAST($missing_date AS DATE) AS missing_date,
    CAST($birth_day AS INTEGER) AS birth_day,
    CAST($unknown_birth_month AS INTEGER) AS unknown_birth_month,
    CAST($placeholder_ids AS VARCHAR[]) AS placeholder_ids,
    CAST($error_ghm_prefix AS VARCHAR) AS error_ghm_prefix,
    CAST($info_only_qualifier AS INTEGER) AS info_only_qualifier,
    CAST($ald_exonerations AS INTEGER[]) AS ald_exonerations,
    CAST($ucd_digits AS INTEGER) AS ucd_digits,
    CAST($coverage_end AS VARCHAR) AS coverage_end
