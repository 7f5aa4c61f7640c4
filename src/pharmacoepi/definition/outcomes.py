"""Safety outcomes: the `outcomes` block (named outcomes) and the time-at-risk windows of
`analyses.outcome_incidence` and `analyses.outcome_survival` (docs/methods.md, "Safety
outcomes"; every window's ends in docs/glossary.md).

An outcome occurs on days: a code of its codelist (diagnoses in the given settings,
dispensings, procedures), the death date, or a treatment event (the start of a new line,
of a course of a class). All rows of one outcome on one person-day are one occurrence.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import Field, model_validator

from pharmacoepi.data.contract import DiagnosisSetting
from pharmacoepi.definition.types import (
    REPORT_DAYS,
    Bool,
    CodelistUse,
    Days,
    Int,
    Name,
    Reference,
    ReportDays,
    Requirement,
    Section,
    StrictModel,
)

# Offsets may be negative (a window before the anchor): 100 years either way at most.
Offset = Int
_MAX_OFFSET = 36_525

AnchorName = Literal["index_date", "follow_up_end", "course_start", "era_start", "line_start"]
_TREATMENT_ANCHORS = {"course_start", "era_start", "line_start"}
Strata = Literal["sex", "age_band", "calendar_year"]


class Outcome(Section):
    """One named outcome: exactly one of codelist, death, new_line, new_course."""

    codelist: str | None = Field(
        default=None, description="diagnoses, dispensings or procedures codelist"
    )
    settings: tuple[DiagnosisSetting, ...] | None = Field(
        default=None,
        description="diagnoses: the settings a code counts in (required for diagnoses)",
    )
    death: Bool = Field(default=False, description="the death date is the outcome")
    new_line: Bool = Field(
        default=False, description="the start of every treatment line after the first"
    )
    new_course: tuple[str, ...] = Field(
        default=(), description="the start of every course of these course classes"
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Outcome:
        kinds = [
            self.codelist is not None,
            self.death,
            self.new_line or bool(self.new_course),
        ]
        if sum(kinds) != 1:
            raise ValueError(
                "an outcome is one of: codelist (with settings for diagnoses), death: true, "
                "or treatment events (new_line: true and/or new_course: [classes])"
            )
        if self.settings is not None and self.codelist is None:
            raise ValueError("settings go with a diagnoses codelist")
        return self

    @property
    def kind(self) -> str:
        if self.codelist is not None:
            return "codelist"
        return "death" if self.death else "treatment"

    def codelist_uses(self, path: str) -> Iterable[CodelistUse]:
        if self.codelist is not None:
            yield CodelistUse(
                f"{path}.codelist", self.codelist, ("diagnoses", "dispensings", "procedures")
            )

    def references(self, path: str) -> Iterable[Reference]:
        if self.new_course:
            yield Reference(f"{path}.new_course", self.new_course, "course_class", listed=True)

    def requirements(self, path: str) -> Iterable[Requirement]:
        if self.kind == "treatment":
            yield Requirement(path, "treatments", "lines and courses")


class Anchor(StrictModel):
    """A day of each person: anchor + offset days. course_start and era_start take a class
    and a number (1 = the first); line_start a number."""

    anchor: AnchorName
    offset: Offset = Field(default=0, ge=-_MAX_OFFSET, le=_MAX_OFFSET)
    class_: str | None = Field(default=None, alias="class")
    number: Int | None = Field(default=None, ge=1, le=1000)

    model_config = {**StrictModel.model_config, "populate_by_name": True}

    @model_validator(mode="after")
    def _needs(self) -> Anchor:
        if self.anchor in ("course_start", "era_start"):
            if self.class_ is None:
                raise ValueError(f"{self.anchor} needs a class")
            if self.number is None:
                raise ValueError(f"{self.anchor} needs a number (1 = the first)")
        elif self.anchor == "line_start":
            if self.number is None:
                raise ValueError("line_start needs a number (1 = the first line)")
            if self.class_ is not None:
                raise ValueError("line_start takes a number, not a class")
        elif self.class_ is not None or self.number is not None:
            raise ValueError(f"{self.anchor} takes no class or number")
        return self


class TimeAtRisk(StrictModel):
    """[start, end] (both days inclusive); or the days of follow-up during / outside the
    exposure eras of a treatment class or an efficacy group, within [start, end] when
    given (else within [index_date, follow_up_end])."""

    start: Anchor | None = None
    end: Anchor | None = None
    during: str | None = Field(default=None, description="a treatment class or efficacy group")
    outside: str | None = Field(default=None, description="a treatment class or efficacy group")

    @model_validator(mode="after")
    def _one_form(self) -> TimeAtRisk:
        if self.during is not None and self.outside is not None:
            raise ValueError("time_at_risk takes during or outside, not both")
        if (self.start is None) != (self.end is None):
            raise ValueError("time_at_risk needs both start and end")
        if self.start is None and self.exposure is None:
            raise ValueError(
                "time_at_risk is {start, end}, {during: class}, or {outside: class} "
                "(during and outside may have start and end too)"
            )
        return self

    @property
    def exposure(self) -> str | None:
        return self.during or self.outside

    def anchors(self) -> tuple[Anchor, ...]:
        return tuple(a for a in (self.start, self.end) if a is not None)


class _OutcomeAnalysis(Section):
    name: Name
    outcome: str
    time_at_risk: TimeAtRisk
    exclude_prior_days: Days | Literal["all"] | None = Field(
        default=None,
        description="persons with the outcome in [TAR start - N, TAR start - 1] are not at "
        "risk ('all': any day before)",
    )

    def references(self, path: str) -> Iterable[Reference]:
        yield Reference(f"{path}.outcome", (self.outcome,), "outcome")
        tar = self.time_at_risk
        if tar.exposure is not None:
            key = "during" if tar.during else "outside"
            yield Reference(f"{path}.time_at_risk.{key}", (tar.exposure,), "exposure")
        for which, anchor in (("start", tar.start), ("end", tar.end)):
            if anchor is None or anchor.class_ is None:
                continue
            kind = "course_class" if anchor.anchor == "course_start" else "treatment_class"
            yield Reference(f"{path}.time_at_risk.{which}.class", (anchor.class_,), kind)

    def requirements(self, path: str) -> Iterable[Requirement]:
        tar = self.time_at_risk
        if tar.exposure is not None or any(a.anchor in _TREATMENT_ANCHORS for a in tar.anchors()):
            yield Requirement(f"{path}.time_at_risk", "treatments", "exposure eras, courses, lines")


class OutcomeIncidence(_OutcomeAnalysis):
    per: Int = Field(default=100_000, ge=1, le=1_000_000_000, description="rates per N years")
    standards: tuple[Literal["esp2013", "who_world"], ...] = Field(
        default=(), description="also the age-standardised rate (5-year bands at TAR start)"
    )
    clean_window_days: Days = Field(
        default=0,
        description="each outcome day d removes [d + 1, d + N] from the time at risk; an "
        "outcome on a removed day is not counted",
    )
    first_only: Bool = Field(
        default=False, description="only the first outcome counts; time at risk ends on it"
    )
    by: tuple[Strata, ...] = Field(
        default=("sex", "age_band", "calendar_year"), description="strata beside the crude row"
    )


class OutcomeSurvival(_OutcomeAnalysis):
    origin: Anchor | None = Field(
        default=None,
        description="the day time is counted from (default: the time at risk's start)",
    )
    report_days: ReportDays = Field(
        default=REPORT_DAYS,
        description="days from the origin at which cumulative incidence is reported",
    )

    @model_validator(mode="after")
    def _window(self) -> OutcomeSurvival:
        if self.time_at_risk.exposure is not None:
            raise ValueError(
                "outcome_survival needs time_at_risk {start, end}: a curve has one origin"
            )
        return self


def unique_names(entries: Iterable[_OutcomeAnalysis], path: str) -> None:
    """Analysis names name rows of the outputs: each is used once."""
    seen: set[str] = set()
    for e in entries:
        if e.name in seen:
            raise ValueError(f"{path}: analysis name {e.name!r} is used twice")
        seen.add(e.name)
