"""The cohort's files: the members, the incident cases, the attrition, the secondary causes
and the rows set aside (sql/cohort/, sql/screen/rejected_rows.sql; docs/glossary.md)."""

from __future__ import annotations

from pharmacoepi.data.contract import TABLES
from pharmacoepi.outputs.dictionary.model import (
    BINARY,
    BOOLEAN,
    DATE,
    FLOAT64,
    INT32,
    INT64,
    MIN_CELL_COUNT,
    PERSON_ID,
    PROPORTION,
    SEX,
    STRING,
    Column,
    Table,
)

# The person and case columns cohort.parquet and incident_cases.parquet share.
_SEX = Column("sex", STRING, "sex as the persons table gives it", values=SEX)
_BIRTH = Column(
    "birth_date", DATE,
    "date of birth (OMOP: a missing month read as July, a missing day as the 15th; SNDS: "
    "the 15th of the month of birth)",
)  # fmt: skip
_DEATH = Column(
    "death_date", DATE,
    "date of death in the source, null when none is recorded (may fall after follow_up_end)",
)  # fmt: skip
_CODE_DATE = Column(
    "code_date", DATE,
    "the first qualifying date in the study period: a qualifying code, the day repeated "
    "evidence finds the case, or with `dated_at: first_evidence` the earliest evidence",
)  # fmt: skip
_INDEX_SOURCE = Column(
    "index_source", STRING,
    "what dated the diagnosis (rules 1-3): `dispensing`, the earliest dispensing of the "
    "diagnosis-date codelist in [code_date - lookback_days, code_date]; `code`, none, so "
    "code_date",
    values=("code", "dispensing"),
)  # fmt: skip
_OBSERVATION_START = Column(
    "observation_start", DATE,
    "first day (inclusive) of the observation spell holding code_date; null when the "
    "definition asks no prior observation and no spell holds code_date",
)  # fmt: skip
_OBSERVATION_END = Column(
    "observation_end", DATE,
    "last day (inclusive) of that observation spell; null as observation_start",
)  # fmt: skip
_AGE = Column(
    "age_at_index", INT32,
    "completed years at index_date: the birthday counts from the day itself, a 29 February "
    "birthday from 1 March in common years",
    "years",
)  # fmt: skip

COHORT = Table(
    "cohort.parquet",
    "one per cohort member: the persons who pass every rule of the attrition",
    "by every build",
    (
        PERSON_ID,
        _SEX,
        _BIRTH,
        Column(
            "age_at_index",
            INT32,
            "completed years at diagnosis_date (equal to index_date unless a "
            "persistent_treatment rule re-indexes): the birthday counts from the day itself",
            "years",
        ),
        _CODE_DATE,
        Column(
            "diagnosis_date",
            DATE,
            "the index date of rules 1-3: the earliest dispensing of the diagnosis-date "
            "codelist in [code_date - lookback_days, code_date], else code_date",
        ),
        Column(
            "index_date",
            DATE,
            "day 0 of follow-up (inclusive): diagnosis_date, or with a persistent_treatment "
            "rule the first persistent-treatment record in [diagnosis_date + after_days + 1, "
            "follow_up_end]",
        ),
        _INDEX_SOURCE,
        _OBSERVATION_START,
        _OBSERVATION_END,
        _DEATH,
        Column(
            "follow_up_end",
            DATE,
            "last day of follow-up (inclusive): the earliest of death_date, observation_end "
            "and follow_up.administrative_end",
        ),
        Column(
            "end_reason",
            STRING,
            "which end set follow_up_end; on a tie death wins, then administrative_end (a "
            "coverage stopping on the administrative end is not a loss to follow-up)",
            values=("death", "administrative_end", "end_of_observation"),
        ),
        Column(
            "follow_up_days",
            INT32,
            "follow_up_end - index_date + 1: both ends counted (1 to 3 March is 3 days)",
            "days",
        ),
        Column(
            "phase",
            STRING,
            "disease phase from dated evidence of activity: chronic, evidence in "
            "[index_date + chronic_after_days + 1, follow_up_end]; else insufficient_follow_up "
            "when follow-up ends before index_date + chronic_after_days + 1; else persistent, "
            "evidence in [index_date + persistent_after_days + 1, index_date + "
            "chronic_after_days]; else newly_diagnosed (docs/treatments.md)",
            values=("newly_diagnosed", "persistent", "chronic", "insufficient_follow_up"),
            only_with="phase",
        ),
        Column(
            "persistent_or_chronic",
            BOOLEAN,
            "FAITH's persistence or chronicity: true with evidence in [index_date + "
            "persistent_after_days + 1, follow_up_end], false without once the phase is "
            "decided, null before",
            only_with="phase",
        ),
    ),
)

INCIDENT_CASES = Table(
    "incident_cases.parquet",
    "one per incident case (rules 1-3), children and secondary cases included: the "
    "numerator of the incidence",
    "by every build",
    (
        PERSON_ID,
        _SEX,
        _BIRTH,
        _DEATH,
        _CODE_DATE,
        Column(
            "index_date",
            DATE,
            "the diagnosis date (rules 1-3; never re-indexed): the earliest dispensing of the "
            "diagnosis-date codelist in [code_date - lookback_days, code_date], else code_date",
        ),
        _INDEX_SOURCE,
        _OBSERVATION_START,
        _OBSERVATION_END,
        _AGE,
        Column(
            "secondary",
            BOOLEAN,
            "a secondary case: a code of the secondary-cause codelist in the primary rule's "
            "settings, dated in [index_date - days_before, index_date + days_after] (an ALD "
            "whose status overlaps it); false for all without a `primary:` block",
        ),
        Column(
            "secondary_cause",
            STRING,
            "the codelist `group` of the earliest secondary code (ties: the first in name "
            "order); null for a primary case and for a code whose entry has no group",
            values="the groups of the secondary-cause codelist",
        ),
    ),
)

ATTRITION = Table(
    "attrition.parquet",
    "one per rule of the definition, in the order applied",
    "by every build",
    (
        Column(
            "step",
            INT32,
            "the rule's position: 0 = the persons in the extract, then each rule the "
            "definition has (case found, incident, primary, adult, sex, persistent treatment)",
        ),
        Column("description", STRING, "the rule in the definition's words and values"),
        Column("persons", INT64, "persons remaining after the rule", "persons"),
        Column(
            "excluded",
            INT64,
            "persons the rule excluded (the previous step's persons minus this one's); null "
            "on step 0",
            "persons",
        ),
        MIN_CELL_COUNT,
    ),
)

SECONDARY_CAUSES = Table(
    "secondary_causes.parquet",
    "one per cause: `primary` first, then the causes in name order",
    "with a `primary:` block",
    (
        Column(
            "cause",
            STRING,
            "`primary` (no secondary code), a group of the secondary-cause codelist, or "
            "`other` (a secondary code whose entry has no group)",
            values="`primary`, the codelist's groups, `other`",
        ),
        Column(
            "persons",
            INT64,
            "incident cases of adult.min_age or more at index_date (before the sex rule) with "
            "this cause",
            "persons",
        ),
        Column("share", FLOAT64, "persons / all those cases (4 decimals)", PROPORTION),
        MIN_CELL_COUNT,
    ),
)

REJECTED_ROWS = Table(
    "rejected_rows.parquet",
    "one per input row set aside by a row-level check (docs/data-model.md)",
    "when a row was set aside",
    (
        Column(
            "table_name",
            STRING,
            "the input table the row came from",
            values=tuple(t.name for t in TABLES),  # the data contract's tables
        ),
        Column(
            "reject_reason",
            STRING,
            "the first problem found in the row, checks in the order of docs/data-model.md",
            values=(
                "unparseable value",
                "null key",
                "duplicate key",
                "null value",
                "invalid value",
                "date out of range",
                "end before start",
                "unknown person",
                "event after death",
            ),
        ),  # fmt: skip
        Column(
            "reject_column",
            STRING,
            "the column whose value failed the check",
            values="a column of the canonical table (docs/data-model.md)",
        ),
        Column(
            "person_id",
            STRING,
            "the row's person identifier as text, whatever its type in the source; null when "
            "missing",
        ),
        Column(
            "source_record",
            BINARY,
            "the row as read, as JSON text (UTF-8; parquet logical type JSON, which polars "
            "reads as Binary)",
        ),
    ),
)

TABLES = (COHORT, INCIDENT_CASES, REJECTED_ROWS, ATTRITION, SECONDARY_CAUSES)
