"""The treatment part of a cohort definition: classes, eras, courses, lines, phases,
switches and summaries (docs/treatments.md describes every rule with a worked example).

Each class has a kind that fixes its duration rule:

- dispensing: each dispensing covers days_supply days when given (> 0), else
  quantity x days_per_box; windows merge into eras across at most grace_days uncovered days.
- administration: each administration covers effect_days; merged like dispensings.
- course: administrations less than course_gap_days apart form a course, which covers
  course_effect_days from its first administration.
- point: a one-off act (splenectomy): exposed from its date to the end of follow-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import Field, model_validator

from pharmacoepi.definition.types import (
    Bool,
    CodelistUse,
    Days,
    Int,
    PositiveDays,
    Reference,
    Requirement,
    Section,
    StrictModel,
)

ClassKind = Literal["dispensing", "administration", "course", "point"]
Role = Literal["line", "rescue"]

# Which settings each kind takes, and the default for those that have one.
_KIND_FIELDS: dict[str, frozenset[str]] = {
    "dispensing": frozenset({"days_per_box", "grace_days", "stockpiling"}),
    "administration": frozenset({"effect_days", "grace_days", "stockpiling"}),
    "course": frozenset({"course_gap_days", "course_effect_days", "induction"}),
    "point": frozenset(),
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "dispensing": ("days_per_box",),
    "administration": ("effect_days",),
    "course": ("course_gap_days", "course_effect_days"),
    "point": (),
}


class Induction(StrictModel):
    """An induction regimen (cladribine, alemtuzumab: two courses a year apart, nothing in
    years 3 and 4; the year-2 course may be delayed up to 6 months, Mavenclad SmPC 4.2):
    a course starting at most max_delay_days after the previous one's covered days
    continues the regimen (one era), and an era holding `courses` courses that nothing
    follows is a completed induction, not a discontinuation."""

    courses: Int = Field(default=2, ge=1, le=100, description="courses of the full regimen")
    max_delay_days: Days = Field(
        default=183, description="uncovered days before a late course still continues it"
    )


class TreatmentClass(StrictModel):
    codelist: str = Field(description="dispensings (or, for a point class, procedures) codelist")
    kind: ClassKind
    role: Role = Field(default="line", description="rescue classes never start a line")
    days_per_box: PositiveDays | None = None
    effect_days: PositiveDays | None = None
    grace_days: Days | None = Field(
        default=None, description="uncovered days allowed between windows of one era (default 30)"
    )
    stockpiling: Bool | None = Field(
        default=None, description="an early refill starts when the current supply runs out"
    )
    course_gap_days: PositiveDays | None = None
    course_effect_days: PositiveDays | None = None
    efficacy_group: str | None = Field(default=None, description="for switch classification")
    induction: Induction | None = Field(default=None, description="course classes only")

    @model_validator(mode="after")
    def _fields_fit_kind(self) -> TreatmentClass:
        allowed = _KIND_FIELDS[self.kind]
        for name in ("days_per_box", "effect_days", "grace_days", "stockpiling",
                     "course_gap_days", "course_effect_days", "induction"):  # fmt: skip
            if getattr(self, name) is not None and name not in allowed:
                takes = ", ".join(sorted(allowed)) or "no duration settings"
                raise ValueError(f"{name} does not apply to kind {self.kind!r} (it takes {takes})")
        for name in _REQUIRED[self.kind]:
            if getattr(self, name) is None:
                raise ValueError(f"kind {self.kind!r} needs {name}")
        return self

    @property
    def grace(self) -> int:
        return 30 if self.grace_days is None else self.grace_days


class Treatments(Section):
    lookback_days: Days = Field(
        default=183, description="records in [index_date - N, follow_up_end] build the eras"
    )
    convention: Literal["standard", "ohdsi"] = Field(
        default="standard",
        description="ohdsi: the OMOP drug_era rules (days_supply or 1 day, end = start + "
        "days, merged when the next start is at most the persistence window after an end)",
    )
    ohdsi_persistence_days: PositiveDays = 30
    classes: dict[str, TreatmentClass] = Field(min_length=1)

    @model_validator(mode="after")
    def _class_names(self) -> Treatments:
        for name in self.classes:
            if not name.replace("_", "").isalnum() or not name[0].isalpha() or "+" in name:
                raise ValueError(
                    f"class name {name!r}: use letters, digits and underscores, starting "
                    "with a letter (names are joined with '+' in regimens)"
                )
            if name == "none":
                raise ValueError("class name 'none' is the regimen of a line without classes")
        return self

    def codelist_uses(self, path: str) -> Iterable[CodelistUse]:
        for name, cls in self.classes.items():
            domains = ("procedures", "dispensings") if cls.kind == "point" else ("dispensings",)
            yield CodelistUse(f"{path}.classes.{name}.codelist", cls.codelist, domains)

    def references(self, path: str) -> Iterable[Reference]:
        # a line class's efficacy group is checked when switches are classified
        for name, cls in self.classes.items():
            if cls.role == "line":
                where = f"{path}.classes.{name}.efficacy_group"
                yield Reference(where, (cls.efficacy_group,), "efficacy_group")


class Lines(StrictModel):
    combination_window_days: Days = Field(
        default=30, description="classes starting in [line start, line start + N] join it"
    )


class RepeatedRecords(StrictModel):
    """A class whose records are evidence of activity only in a run of at least
    min_records dates, each at most max_gap_days after the previous (FAITH counted IVIg
    as maintenance, not rescue, with 3 monthly dispensings)."""

    min_records: Int = Field(ge=2, le=1000, description="dates in the run")
    max_gap_days: PositiveDays = Field(description="days from one date of the run to the next")


class Phase(Section):
    persistent_after_days: Days = Field(
        default=90, description="evidence dated in [index + N + 1, index + chronic_after_days]"
    )
    chronic_after_days: Days = Field(
        default=365, description="evidence dated in [index + N + 1, follow_up_end]"
    )
    evidence_classes: tuple[str, ...] | None = Field(
        default=None,
        description="classes whose record dates are evidence of activity (default all)",
    )
    repeated_classes: dict[str, RepeatedRecords] = Field(
        default_factory=dict,
        description="evidence classes counted only in runs of repeated records",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Phase:
        if self.chronic_after_days <= self.persistent_after_days:
            raise ValueError(
                f"chronic_after_days ({self.chronic_after_days}) must exceed "
                f"persistent_after_days ({self.persistent_after_days})"
            )
        return self

    def references(self, path: str) -> Iterable[Reference]:
        if self.evidence_classes is not None:
            where = f"{path}.evidence_classes"
            yield Reference(where, self.evidence_classes, "treatment_class", listed=True)
        if self.repeated_classes:
            where = f"{path}.repeated_classes"
            yield Reference(where, tuple(self.repeated_classes), "treatment_class", listed=True)

    def requirements(self, path: str) -> Iterable[Requirement]:
        yield Requirement(path, "treatments", "its classes")


class PersistentTreatment(Section):
    """FAITH protocol steps 6-7 (EU PAS EUPAS4574): keep the cohort members treated for
    persistent ITP and re-index them there: the new index_date is the first record of one
    of these classes dated from index_date + after_days + 1; a member without one, or
    followed fewer than min_follow_up_days from it (inclusive), leaves the cohort."""

    classes: tuple[str, ...] = Field(min_length=1, description="treatments of persistent ITP")
    after_days: Days = Field(default=90, description="records from index_date + N + 1")
    min_follow_up_days: Days = Field(
        default=365, description="days of follow-up from the new index_date, inclusive"
    )

    def references(self, path: str) -> Iterable[Reference]:
        yield Reference(f"{path}.classes", self.classes, "treatment_class", listed=True)

    def requirements(self, path: str) -> Iterable[Requirement]:
        yield Requirement(path, "treatments", "its classes")


class Switches(Section):
    gap_days: Days = Field(
        default=90, description="a new class starting at most N days after an era's end"
    )
    efficacy_order: tuple[str, ...] = Field(
        min_length=2, description="efficacy groups from lowest to highest"
    )

    def requirements(self, path: str) -> Iterable[Requirement]:
        yield Requirement(path, "treatments", "its classes")


class Summaries(StrictModel):
    exposed_at_days: tuple[Days, ...] = Field(
        default=(91, 182, 365), description="days after index at which exposure is counted"
    )

    @model_validator(mode="after")
    def _distinct(self) -> Summaries:
        if len(set(self.exposed_at_days)) != len(self.exposed_at_days):
            raise ValueError("exposed_at_days lists a day twice (each would be counted twice)")
        return self
