"""The treatment files: eras, courses, lines, switches and their summaries (sql/treatments/,
sql/summaries/, disclosure/tables.py; docs/treatments.md)."""

from __future__ import annotations

from pharmacoepi.outputs.dictionary.model import (
    DATE,
    FLOAT64,
    INT32,
    INT64,
    MIN_CELL_COUNT,
    PERSON_ID,
    PROPORTION,
    STRING,
    Column,
    Table,
)

_CLASS = "a class of `treatments.classes`"
_REGIMEN = "line classes joined with `+` in name order (`rituximab+tpo_ra`), or `none`"
_TRANSITIONS = ("escalation", "lateral", "de-escalation", "induction_completed",
                "discontinuation")  # fmt: skip

EXPOSURES = Table(
    "exposures.parquet",
    "one per exposure era: a person's windows of one class merged across at most grace_days "
    "uncovered days",
    "with a `treatments:` block",
    (
        PERSON_ID,
        Column("class", STRING, "the treatment class", values=_CLASS),
        Column("era_number", INT32, "1, 2, ... per person and class, in date order"),
        Column(
            "start_date",
            DATE,
            "first day of the era (inclusive): its first window's start; records are read from "
            "index_date - lookback_days, so it may precede index_date",
        ),
        Column(
            "end_date",
            DATE,
            "last covered day of the era (inclusive; grace not added), truncated at "
            "follow_up_end (`convention: ohdsi`: the latest record end, the source's end_date or "
            "date + days_supply)",
        ),
        Column(
            "n_dispensings",
            INT32,
            "records merged into the era: dispensings, administrations (a course class: its "
            "courses' administrations) or point acts",
            "records",
        ),
        Column(
            "days_supplied",
            INT32,
            "the windows' days summed before truncation (days_supply, else quantity x "
            "days_per_box; effect_days; a course: course_effect_days); null for a point class",
            "days",
        ),
    ),
)

COURSES = Table(
    "courses.parquet",
    "one per course: administrations of a course class less than course_gap_days apart",
    "with a `treatments:` block",
    (
        PERSON_ID,
        Column("class", STRING, "the course class", values="a class of kind `course`"),
        Column("course_number", INT32, "1, 2, ... per person and class, in date order"),
        Column("start_date", DATE, "the course's first administration (inclusive)"),
        Column(
            "end_date",
            DATE,
            "last day the course covers (inclusive): start_date + course_effect_days - 1, "
            "truncated at follow_up_end",
        ),
        Column("last_administration_date", DATE, "the course's last administration"),
        Column("n_administrations", INT32, "administrations in the course", "administrations"),
        Column(
            "next_course_date",
            DATE,
            "start of the same class's next course; null when none before follow_up_end",
        ),
        Column(
            "next_line_date",
            DATE,
            "start of the first treatment line (line 2 or later) starting after start_date; "
            "null when none",
        ),
        Column("next_treatment_date", DATE, "the earlier of next_course_date and next_line_date"),
        Column(
            "next_treatment",
            STRING,
            "which came first (`course` when both fall on one day); null when neither did "
            "before follow-up ended",
            values=("course", "line"),
        ),
        Column(
            "days_to_next_treatment",
            INT32,
            "next_treatment_date - start_date (the course's first day is day 0); null "
            "without a next treatment",
            "days",
        ),
        Column(
            "follow_up_end",
            DATE,
            "the member's last day of follow-up (inclusive): the censoring day",
        ),
        Column(
            "days_to_follow_up_end",
            INT32,
            "follow_up_end - start_date (day 0 = the course's first day): the censoring time",
            "days",
        ),
    ),
)

LINES = Table(
    "lines.parquet",
    "one per treatment line; a member's lines partition [index_date, follow_up_end]",
    "with a `treatments:` block",
    (
        PERSON_ID,
        Column("line_number", INT32, "1 (starting at index_date), 2, ..."),
        Column(
            "regimen",
            STRING,
            "the line's classes: episodes starting in [start_date, start_date + "
            "combination_window_days] (line 1: also those covering index_date)",
            values=_REGIMEN,
        ),
        Column("start_date", DATE, "first day of the line (inclusive)"),
        Column(
            "end_date",
            DATE,
            "last day of the line (inclusive): the day before the next line starts, or "
            "follow_up_end",
        ),
    ),
)

SWITCHES = Table(
    "switches.parquet",
    "one per era of a line class, with what followed it",
    "with a `switches:` block",
    (
        PERSON_ID,
        Column("from_class", STRING, "the era's class", values="a class of role `line`"),
        Column(
            "from_group",
            STRING,
            "the class's efficacy_group; null when it has none",
            values="the groups of `switches.efficacy_order`",
        ),
        Column("from_start_date", DATE, "first day of the era (inclusive), as exposures.parquet"),
        Column("from_end_date", DATE, "last day of the era (inclusive), as exposures.parquet"),
        Column(
            "to_class",
            STRING,
            "the class switched to: the earliest-starting era of another class that goes on "
            "past from_end_date and starts by from_end_date + gap_days; null unless "
            "escalation, lateral or de-escalation",
            values="a class of role `line`",
        ),
        Column(
            "to_group",
            STRING,
            "to_class's efficacy_group",
            values="the groups of `switches.efficacy_order`",
        ),
        Column(
            "to_start_date",
            DATE,
            "first day of to_class's era (inclusive; may precede from_end_date: a drug taken "
            "alongside that continues alone)",
        ),
        Column(
            "transition",
            STRING,
            "the first rule that applies, in this order, with gap_days (default 90) after "
            "from_end_date (docs/treatments.md)",
            values=("continuation", *_TRANSITIONS, "ongoing"),
        ),
    ),
)

EXPOSED_AT = Table(
    "exposed_at.parquet",
    "one per treatment class and day of `summaries.exposed_at_days`",
    "with a `treatments:` block",
    (
        Column("class", STRING, "the treatment class", values=_CLASS),
        Column("days_after_index", INT32, "the day counted: index_date + days_after_index", "days"),
        Column(
            "persons_in_follow_up",
            INT64,
            "cohort members still followed that day (follow_up_end on or after it)",
            "persons",
        ),
        Column(
            "persons_exposed",
            INT64,
            "of those, members with an era of the class covering that day",
            "persons",
        ),  # fmt: skip
        Column("persons_not_exposed", INT64, "persons_in_follow_up - persons_exposed", "persons"),
        Column(
            "share_exposed",
            FLOAT64,
            "persons_exposed / persons_in_follow_up (4 decimals)",
            PROPORTION,
        ),
        MIN_CELL_COUNT,
    ),
)

PATHWAYS = Table(
    "pathways.parquet",
    "one per line number and pair of regimens, most persons first",
    "with a `treatments:` block",
    (
        Column("from_line", INT32, "the line number n (1 = the line from index_date)"),
        Column("from_regimen", STRING, "the regimen of line n", values=_REGIMEN),
        Column("to_regimen", STRING, "the regimen of line n + 1", values=_REGIMEN),
        Column(
            "persons",
            INT64,
            "members whose line n of from_regimen is followed by a line n + 1 of to_regimen",
            "persons",
        ),  # fmt: skip
        MIN_CELL_COUNT,
    ),
)

RETREATMENT = Table(
    "retreatment.parquet",
    "one per course class and course number",
    "with a `treatments:` block",
    (
        Column("class", STRING, "the course class", values="a class of kind `course`"),
        Column("course_number", INT32, "the course number n"),
        Column("persons", INT64, "members with a course n of the class", "persons"),
        Column(
            "next_course",
            INT64,
            "of those, members whose next treatment was course n + 1",
            "persons",
        ),
        Column(
            "next_line", INT64, "of those, members whose next treatment was a new line", "persons"
        ),
        Column(
            "no_next_treatment",
            INT64,
            "of those, members with neither before follow-up ended",
            "persons",
        ),
        Column("share_retreated", FLOAT64, "next_course / persons (4 decimals)", PROPORTION),
        MIN_CELL_COUNT,
    ),
)

PHASES = Table(
    "phases.parquet",
    "one per disease phase, then the persistent_or_chronic row",
    "with a `phase:` block",
    (
        Column(
            "phase",
            STRING,
            "the phase (cohort.parquet's), or `persistent_or_chronic`: members with evidence "
            "after the newly diagnosed phase, not a phase",
            values=(
                "newly_diagnosed",
                "persistent",
                "chronic",
                "insufficient_follow_up",
                "persistent_or_chronic",
            ),
        ),  # fmt: skip
        Column(
            "persons", INT64, "cohort members in the phase (or persistent or chronic)", "persons"
        ),
        Column(
            "share_of_decided",
            FLOAT64,
            "persons / members whose phase is decided (newly diagnosed + persistent + "
            "chronic), null for insufficient_follow_up; persistent_or_chronic: over newly "
            "diagnosed + it (4 decimals)",
            PROPORTION,
        ),
        MIN_CELL_COUNT,
    ),
)

SWITCH_TYPES_BY_YEAR = Table(
    "switch_types_by_year.parquet",
    "one per calendar year and transition",
    "with a `switches:` block",
    (
        Column(
            "year",
            INT32,
            "calendar year in which the era followed ends (from_end_date's year)",
        ),
        Column("transition", STRING, "the transition, as switches.parquet", values=_TRANSITIONS),
        Column(
            "episodes", INT64, "eras followed by that transition (switches.parquet rows)", "eras"
        ),
        Column("persons", INT64, "distinct members with one", "persons"),
        MIN_CELL_COUNT,
    ),
)

TABLES = (
    EXPOSURES, COURSES, LINES, SWITCHES, EXPOSED_AT, PATHWAYS, RETREATMENT, PHASES,
    SWITCH_TYPES_BY_YEAR,
)  # fmt: skip
