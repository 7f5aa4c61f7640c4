-- stage: sources/snds/settings
-- creates: snds_settings
-- purpose: the SNDS layout's conventions as a one-row table. DuckDB cannot bind parameters
--          into a view, and the canonical views must stay views (read once by the
--          screening), so they read these values from here instead.
-- param missing_date: DATE, SNDS's "no date" value (1600-01-01)
-- param history_start: DATE, first day of the extract's history: where the coverage of a beneficiary inserted before 2012 (BEN_DTE_INS = missing_date) starts
-- param birth_day: INTEGER, imputed day of the month of birth (15)
-- param unknown_birth_month: INTEGER, imputed month when BEN_NAI_MOI is not 1-12 (7)
-- param unknown_birth_year: INTEGER, BEN_NAI_ANN of an unknown year of birth (1600)
-- param stay_day: INTEGER, imputed day of discharge of a stay known by its month only (15)
-- param first_dated_pmsi_year: INTEGER, first PMSI year whose T_MCOaaC holds EXE_SOI_DTD (2009)
-- param normal_nir: VARCHAR, BEN_CDI_NIR of a real NIR ('00'); another code is fictitious
-- param placeholder_ids: VARCHAR[], NIR_ANO_17 values that stand for no usable patient id
-- param error_ghm_prefix: VARCHAR, GRG_GHM prefix of the grouper's error stays (CMD 90)
-- param info_only_qualifier: INTEGER, DPN_QLF / PRS_DPN_QLP of lines sent for information only (71)
-- param ald_exonerations: INTEGER[], IMB_ETM_NAT values of an ALD registration (41, 43, 45)
-- param ucd_digits: INTEGER, length of a UCD code, zero-padded on the left (13)
-- param inter_establishment_stay: VARCHAR, SEJ_TYP of a stay given for another hospital ('B')
-- param unvalued_ghs: INTEGER, GHS_NUM of a stay the grouper could not value (9999)
-- param duplicate_finess: VARCHAR[], geographic FINESS whose stays also come under their legal entity's
-- param duplicate_finess_until: INTEGER, last PMSI year in which they do (2017)
-- param coverage_end: VARCHAR, 'end_of_data' or 'last_claim': how a beneficiary's coverage ends
CREATE OR REPLACE TEMP TABLE snds_settings AS
SELECT
    CAST($missing_date AS DATE) AS missing_date,
    CAST($history_start AS DATE) AS history_start,
    CAST($birth_day AS INTEGER) AS birth_day,
    CAST($unknown_birth_month AS INTEGER) AS unknown_birth_month,
    CAST($unknown_birth_year AS INTEGER) AS unknown_birth_year,
    CAST($stay_day AS INTEGER) AS stay_day,
    CAST($first_dated_pmsi_year AS INTEGER) AS first_dated_pmsi_year,
    CAST($normal_nir AS VARCHAR) AS normal_nir,
    CAST($placeholder_ids AS VARCHAR[]) AS placeholder_ids,
    CAST($error_ghm_prefix AS VARCHAR) AS error_ghm_prefix,
    CAST($info_only_qualifier AS INTEGER) AS info_only_qualifier,
    CAST($ald_exonerations AS INTEGER[]) AS ald_exonerations,
    CAST($ucd_digits AS INTEGER) AS ucd_digits,
    CAST($inter_establishment_stay AS VARCHAR) AS inter_establishment_stay,
    CAST($unvalued_ghs AS INTEGER) AS unvalued_ghs,
    CAST($duplicate_finess AS VARCHAR[]) AS duplicate_finess,
    CAST($duplicate_finess_until AS INTEGER) AS duplicate_finess_until,
    CAST($coverage_end AS VARCHAR) AS coverage_end
