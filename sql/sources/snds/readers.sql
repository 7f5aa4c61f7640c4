-- stage: sources/snds/readers
-- creates: snds_date
-- purpose: how an SNDS value is read, whatever type the extract gave it (parquet types
--          follow the schema; CSV exports from SAS are text). snds_date: a DATE or
--          TIMESTAMP, ISO text, SAS datetime text as the schema writes EXE_SOI_DTD
--          ('10MAR2010:00:00:00', %d%b%Y:%H:%M:%S), SAS DATE9 text ('10MAR2010') or the
--          schema's %d%m%Y ('10032010'; a number that lost its leading zero is padded
--          back). A %d%m%Y reading before 1600 is refused: '20100310' is not 20/10/0310.
--          Anything else is NULL, and the screening sets the row aside. snds_key: the
--          join key of ETA_NUM / RSA_NUM, integer in T_MCOaaB/C and text in the other
--          PMSI tables (schema-snds): the number's digits without leading zeros, or the
--          trimmed upper-case text when not a number (Corsican FINESS 2A..., 2B...).
--          snds_nir_code: BEN_CDI_NIR as its two-character code (an integer 0 is '00').
--          snds_return_ok: a T_MCOaaC return code saying "correct" (0; the schema types
--          most of them boolean: false). snds_file_year: a PMSI file's year, four digits.
CREATE OR REPLACE TEMP MACRO snds_date(x) AS coalesce(
    TRY_CAST(CAST(x AS VARCHAR) AS DATE),
    CAST(TRY_CAST(CAST(x AS VARCHAR) AS TIMESTAMP) AS DATE),
    CAST(try_strptime(trim(CAST(x AS VARCHAR)), ['%d%b%Y:%H:%M:%S', '%d%b%Y']) AS DATE),
    CASE
        WHEN year(try_strptime(lpad(trim(CAST(x AS VARCHAR)), 8, '0'), '%d%m%Y')) >= 1600
            THEN CAST(try_strptime(lpad(trim(CAST(x AS VARCHAR)), 8, '0'), '%d%m%Y') AS DATE)
    END
);
CREATE OR REPLACE TEMP MACRO snds_key(x) AS coalesce(
    CAST(TRY_CAST(trim(CAST(x AS VARCHAR)) AS HUGEINT) AS VARCHAR),
    upper(trim(CAST(x AS VARCHAR)))
);
CREATE OR REPLACE TEMP MACRO snds_nir_code(x) AS
    lpad(trim(CAST(x AS VARCHAR)), 2, '0');
CREATE OR REPLACE TEMP MACRO snds_return_ok(x) AS coalesce(
    TRY_CAST(x AS DOUBLE) = 0, lower(trim(CAST(x AS VARCHAR))) = 'false', FALSE
);
CREATE OR REPLACE TEMP MACRO snds_file_year(yy) AS
    CASE WHEN CAST(yy AS INTEGER) < 50 THEN 2000 ELSE 1900 END + CAST(yy AS INTEGER);
