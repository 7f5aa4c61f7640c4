-- stage: sources/snds/observation_periods
-- creates: raw_observation_periods
-- purpose: SNDS has no coverage table. Each pseudonym (an IR_BEN_R row) is taken as one
--          affiliation span: from its insertion in the referential (BEN_DTE_INS) to the
--          last claim processed under it (MAX_TRT_DTD). A person's spans are the rows of
--          its pseudonyms; touching or overlapping ones merge into one spell downstream.
--          A pseudonym with no processed claim (MAX_TRT_DTD null or k.missing_date) gives
--          no span. Dates are passed as read: the screening types and checks them.
-- inputs: src_ir_ben_r, snds_settings
CREATE OR REPLACE TEMP VIEW raw_observation_periods AS
SELECT
    CAST(b.ben_idt_ano AS VARCHAR) AS person_id,
    b.ben_dte_ins AS start_date,
    b.max_trt_dtd AS end_date
FROM src_ir_ben_r AS b
CROSS JOIN snds_settings AS k
WHERE b.max_trt_dtd IS NOT NULL
    AND TRY_CAST(b.max_trt_dtd AS DATE) IS DISTINCT FROM k.missing_date
