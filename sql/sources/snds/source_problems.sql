-- stage: sources/snds/source_problems
-- creates: source_problems
-- purpose: one row per documented data problem of the SNDS layout (docs/sources-snds.md),
--          with the rule that handles it and how many rows it touched (0 included). The
--          stays' problems come from snds_stays (each stay counted once, under its first
--          problem); the others read one or two columns of their table.
-- inputs: src_ir_ben_r, src_er_prs_f, src_er_pha_f, src_er_ucd_f, src_ir_pha_r, src_ir_imb_r, snds_pseudonyms, snds_stays, snds_settings
CREATE OR REPLACE TEMP TABLE source_problems AS
WITH persons AS (
    SELECT
        CAST(b.ben_idt_ano AS VARCHAR) AS person_id,
        count(*) AS pseudonyms,
        count(DISTINCT CAST(b.ben_sex_cod AS VARCHAR)) AS sexes,
        count(DISTINCT CAST(b.ben_nai_ann AS VARCHAR) || '-' || CAST(b.ben_nai_moi AS VARCHAR))
            AS births
    FROM src_ir_ben_r AS b
    WHERE b.ben_idt_ano IS NOT NULL
    GROUP BY CAST(b.ben_idt_ano AS VARCHAR)
),
stay_problems AS (
    SELECT problem, count(*) AS n FROM snds_stays WHERE problem IS NOT NULL GROUP BY problem
),
stays AS (
    SELECT k.source_table, k.problem, k.handling, coalesce(s.n, 0) AS n
    FROM (
        VALUES
            ('T_MCOaaC', 'return code', 'a return code other than 0 (NIR_RET, NAI_RET, SEX_RET, SEJ_RET, FHO_RET, PMS_RET, DAT_RET, COH_NAI_RET, COH_SEX_RET): stay left out'),
            ('T_MCOaaC', 'placeholder id', 'NIR_ANO_17 missing or a placeholder (no usable patient id): stay left out'),
            ('T_MCOaaB', 'error GHM', 'GRG_GHM in CMD 90 (grouping error): stay left out'),
            ('T_MCOaaB', 'no T_MCOaaC row', 'stay without its patient and dates: left out'),
            ('T_MCOaaC', 'no T_MCOaaB row', 'stay without its summary: left out'),
            ('T_MCOaaC', 'unknown pseudonym', 'NIR_ANO_17 not in IR_BEN_R: stay left out'),
            ('T_MCOaaC', 'ambiguous pseudonym', 'NIR_ANO_17 of several persons (BEN_IDT_ANO): stay left out')
    ) AS k (source_table, problem, handling)
    LEFT JOIN stay_problems AS s ON s.problem = k.problem
),
codes AS (
    SELECT 'CIP13' AS kind, CAST(TRY_CAST(r.pha_cip_c13 AS BIGINT) AS VARCHAR) AS code,
        count(DISTINCT r.pha_atc_c07) AS atcs
    FROM src_ir_pha_r AS r
    GROUP BY CAST(TRY_CAST(r.pha_cip_c13 AS BIGINT) AS VARCHAR)
    UNION ALL
    SELECT 'UCD', CAST(TRY_CAST(r.pha_cip_ucd AS BIGINT) AS VARCHAR), count(DISTINCT r.pha_atc_c07)
    FROM src_ir_pha_r AS r
    WHERE TRY_CAST(r.pha_cip_ucd AS BIGINT) IS NOT NULL
    GROUP BY CAST(TRY_CAST(r.pha_cip_ucd AS BIGINT) AS VARCHAR)
)
SELECT source_table, problem, handling, CAST(n AS BIGINT) AS rows FROM stays
UNION ALL
SELECT 'IR_BEN_R', 'several pseudonyms',
    'one person (BEN_IDT_ANO) with several BEN_NIR_PSA + BEN_RNG_GEM: unified, each pseudonym an observation span',
    CAST(count(*) AS BIGINT)
FROM persons WHERE pseudonyms > 1
UNION ALL
SELECT 'IR_BEN_R', 'pseudonyms disagree',
    'pseudonyms of one person differ in sex or birth year/month: the row updated last (BEN_DTE_MAJ) is used',
    CAST(count(*) AS BIGINT)
FROM persons WHERE sexes > 1 OR births > 1
UNION ALL
SELECT 'IR_BEN_R', 'pseudonym of several persons',
    'BEN_NIR_PSA + BEN_RNG_GEM listed under several BEN_IDT_ANO: linked to none, its claims set aside (null person)',
    CAST(count(*) AS BIGINT)
FROM snds_pseudonyms WHERE n_persons > 1
UNION ALL
SELECT 'IR_BEN_R', 'birth month unknown',
    'BEN_NAI_MOI missing or not a month: imputed July, with the imputed day (the 15th)',
    CAST(count(*) AS BIGINT)
FROM src_ir_ben_r AS b
WHERE TRY_CAST('2000-' || CAST(TRY_CAST(b.ben_nai_moi AS INTEGER) AS VARCHAR) || '-01' AS DATE) IS NULL
UNION ALL
SELECT 'IR_BEN_R', 'no processed claim',
    'MAX_TRT_DTD missing: the pseudonym gives no observation span',
    CAST(count(*) AS BIGINT)
FROM src_ir_ben_r AS b
CROSS JOIN snds_settings AS k
WHERE b.max_trt_dtd IS NULL OR TRY_CAST(b.max_trt_dtd AS DATE) = k.missing_date
UNION ALL
SELECT 'ER_PHA_F', 'reversal line',
    'negative PHA_ACT_QSN: cancels one line of the same pseudonym, day, CIP13 and opposite quantity; both left out (an unmatched reversal too)',
    CAST(count(*) AS BIGINT)
FROM src_er_pha_f AS h WHERE TRY_CAST(h.pha_act_qsn AS DOUBLE) < 0
UNION ALL
SELECT 'ER_UCD_F', 'reversal line',
    'negative UCD_DLV_NBR: handled as in ER_PHA_F',
    CAST(count(*) AS BIGINT)
FROM src_er_ucd_f AS u WHERE TRY_CAST(u.ucd_dlv_nbr AS DOUBLE) < 0
UNION ALL
SELECT 'ER_PRS_F', 'information line',
    'DPN_QLF = 71 (sent for information, not a claim): left out',
    CAST(count(*) AS BIGINT)
FROM src_er_prs_f AS p CROSS JOIN snds_settings AS k WHERE TRY_CAST(p.dpn_qlf AS INTEGER) = k.info_only_qualifier
UNION ALL
SELECT 'IR_IMB_R', 'not an ALD exoneration',
    'IMB_ETM_NAT other than 41, 43, 45: not a long-term disease, left out',
    CAST(count(*) AS BIGINT)
FROM src_ir_imb_r AS i
CROSS JOIN snds_settings AS k
WHERE i.imb_etm_nat IS NOT NULL
    AND NOT coalesce(list_contains(k.ald_exonerations, TRY_CAST(i.imb_etm_nat AS INTEGER)), FALSE)
UNION ALL
SELECT 'IR_PHA_R', 'several ATC codes',
    'a CIP13 or UCD code with several PHA_ATC_C07: the smallest is used',
    CAST(count(*) AS BIGINT)
FROM codes WHERE atcs > 1
