-- stage: sources/snds/source_problems
-- creates: source_problems
-- purpose: one row per documented data problem or convention of the SNDS layout
--          (docs/sources.md, SNDS), with the rule that handles it and how many rows it
--          touched (0 included). The stays' problems come from snds_stays (each stay
--          counted once, under its first problem); the others read one or two columns of
--          their table, each rule counted on its own (a line can count under two).
-- inputs: snds_beneficiaries, src_er_prs_f, src_er_pha_f, src_er_ucd_f, src_ir_pha_r, src_ir_imb_r, src_t_mcoaab, snds_pseudonyms, snds_stays, snds_settings
CREATE OR REPLACE TEMP TABLE source_problems AS
WITH persons AS (
    SELECT
        b.ben_idt_ano AS person_id,
        count(*) AS pseudonyms,
        count(DISTINCT CAST(b.ben_sex_cod AS VARCHAR)) AS sexes,
        count(DISTINCT CAST(b.ben_nai_ann AS VARCHAR) || '-' || CAST(b.ben_nai_moi AS VARCHAR))
            AS births
    FROM snds_beneficiaries AS b
    WHERE b.ben_idt_ano IS NOT NULL AND NOT b.fictitious
    GROUP BY b.ben_idt_ano
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
            ('T_MCOaaB', 'unvalued GHS', 'GHS_NUM 9999 (the grouper could not value the stay): stay left out'),
            ('T_MCOaaB', 'inter-establishment stay', 'SEJ_TYP B (care given for another hospital''s stay, which that hospital sends too): stay left out'),
            ('T_MCOaaB', 'duplicate FINESS', 'a geographic FINESS of AP-HP, AP-HM or HCL whose stays also come under the legal entity: stay left out'),
            ('T_MCOaaB', 'no T_MCOaaC row', 'stay without its patient and dates: left out'),
            ('T_MCOaaC', 'no T_MCOaaB row', 'stay without its summary: left out'),
            ('T_MCOaaC', 'unknown pseudonym', 'NIR_ANO_17 not in IR_BEN_R (or a fictitious identifier): stay left out'),
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
FROM snds_beneficiaries AS b
WHERE NOT b.fictitious AND NOT b.valid_birth_month
UNION ALL
SELECT 'IR_BEN_R', 'birth year unknown',
    'BEN_NAI_ANN 1600 (unknown): no birth date, the person is set aside by the screening',
    CAST(count(*) AS BIGINT)
FROM snds_beneficiaries AS b
CROSS JOIN snds_settings AS k
WHERE NOT b.fictitious AND TRY_CAST(b.ben_nai_ann AS INTEGER) = k.unknown_birth_year
UNION ALL
SELECT 'IR_BEN_R', 'no processed claim',
    'MAX_TRT_DTD missing: the pseudonym gives no observation span',
    CAST(count(*) AS BIGINT)
FROM snds_beneficiaries AS b
CROSS JOIN snds_settings AS k
WHERE NOT b.fictitious AND (b.max_trt_dtd_as_read IS NULL OR b.max_trt_dtd = k.missing_date)
UNION ALL
SELECT 'IR_BEN_R', 'registered before 2012',
    'BEN_DTE_INS 1600-01-01 (inserted in the referential before 2012): covered from the start of the history (follow_up.snds_history_start)',
    CAST(count(*) AS BIGINT)
FROM snds_beneficiaries AS b
CROSS JOIN snds_settings AS k
WHERE b.ben_dte_ins = k.missing_date
UNION ALL
SELECT 'IR_BEN_R', 'fictitious identifier',
    'BEN_CDI_NIR other than 00 (a provisional or fictitious NIR): not a person, no span; its claims are set aside',
    CAST(count(*) AS BIGINT)
FROM snds_beneficiaries AS b
WHERE b.fictitious
UNION ALL
SELECT 'IR_BEN_R_ARC', 'archived beneficiary',
    'a beneficiary archived since 2013 (IR_BEN_R_ARC): read with IR_BEN_R (a pseudonym in both from IR_BEN_R)',
    CAST(count(*) AS BIGINT)
FROM snds_beneficiaries
WHERE archived
UNION ALL
SELECT 'ER_PRS_F', 'fictitious identifier line',
    'BEN_CDI_NIR other than 00: the line is left out',
    CAST(count(*) AS BIGINT)
FROM src_er_prs_f AS p
CROSS JOIN snds_settings AS k
WHERE NOT coalesce(lpad(trim(CAST(p.ben_cdi_nir AS VARCHAR)), 2, '0') = k.normal_nir, TRUE)
UNION ALL
SELECT 'ER_PHA_F', 'CIP7 line',
    'PHA_PRS_C13 empty or 0: the 7-digit PHA_PRS_IDE read through IR_PHA_R.PHA_PRS_IDE to its CIP13',
    CAST(count(*) AS BIGINT)
FROM src_er_pha_f AS h
WHERE coalesce(TRY_CAST(h.pha_prs_c13 AS BIGINT), 0) = 0
    AND coalesce(TRY_CAST(h.pha_prs_ide AS BIGINT), 0) <> 0
UNION ALL
SELECT 'ER_PHA_F', 'CIP7 not in IR_PHA_R',
    'a 7-digit PHA_PRS_IDE with no IR_PHA_R row: kept as read, with no ATC',
    CAST(count(*) AS BIGINT)
FROM src_er_pha_f AS h
WHERE coalesce(TRY_CAST(h.pha_prs_c13 AS BIGINT), 0) = 0
    AND coalesce(TRY_CAST(h.pha_prs_ide AS BIGINT), 0) <> 0
    AND TRY_CAST(h.pha_prs_ide AS BIGINT) NOT IN (
        SELECT TRY_CAST(r.pha_prs_ide AS BIGINT) FROM src_ir_pha_r AS r
        WHERE TRY_CAST(r.pha_prs_ide AS BIGINT) IS NOT NULL
    )
UNION ALL
SELECT 'T_MCOaaB', 'stay dated by month',
    'a PMSI file before 2009 (no EXE_SOI_DTD): discharged on the 15th of SOR_MOI/SOR_ANN, admitted SEJ_NBJ days before',
    CAST(count(*) AS BIGINT)
FROM src_t_mcoaab AS b
CROSS JOIN snds_settings AS k
WHERE TRY_CAST(b.file_calendar_year AS INTEGER) < k.first_dated_pmsi_year
UNION ALL
SELECT 'ER_PHA_F', 'reversal line',
    'negative PHA_ACT_QSN: identical lines (pseudonym, day, product) summed, the total kept when positive',
    CAST(count(*) AS BIGINT)
FROM src_er_pha_f AS h WHERE TRY_CAST(h.pha_act_qsn AS DOUBLE) < 0
UNION ALL
SELECT 'ER_UCD_F', 'liste en sus line',
    'UCD_TOP_UCD 1: a costly drug billed on top of a hospital stay or visit (0: a retroceded drug); both read as hospital dispensings',
    CAST(count(*) AS BIGINT)
FROM src_er_ucd_f AS u WHERE TRY_CAST(u.ucd_top_ucd AS INTEGER) = 1
UNION ALL
SELECT 'ER_UCD_F', 'reversal line',
    'negative UCD_DLV_NBR: handled as in ER_PHA_F',
    CAST(count(*) AS BIGINT)
FROM src_er_ucd_f AS u WHERE TRY_CAST(u.ucd_dlv_nbr AS DOUBLE) < 0
UNION ALL
SELECT 'ER_PRS_F', 'information line',
    'DPN_QLF or PRS_DPN_QLP = 71 (sent for information, not a claim): left out',
    CAST(count(*) AS BIGINT)
FROM src_er_prs_f AS p
CROSS JOIN snds_settings AS k
WHERE TRY_CAST(p.dpn_qlf AS INTEGER) = k.info_only_qualifier
    OR TRY_CAST(p.prs_dpn_qlp AS INTEGER) = k.info_only_qualifier
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
