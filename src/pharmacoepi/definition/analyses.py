"""The `analyses` part of a definition: incidence and time-to-event analyses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import Field, model_validator

from pharmacoepi.definition.outcomes import OutcomeIncidence, OutcomeSurvival, unique_names
from pharmacoepi.definition.types import (
    REPORT_DAYS,
    CodelistUse,
    Int,
    Reference,
    ReportDays,
    Requirement,
    Section,
    StrictModel,
)


class Incidence(StrictModel):
    per: Int = Field(default=100_000, ge=1, le=1_000_000_000, description="rates per N years")
    standards: tuple[Literal["esp2013", "who_world"], ...] = Field(
        default=("esp2013", "who_world"), description="standard populations for the DSR"
    )
    population_file: str | None = Field(
        default=None,
        description="external denominator: CSV year,sex,age_band,population (relative to "
        "the data directory); absent: internal person-time",
    )
    dated_at: Literal["index_date", "code_date"] = Field(
        default="index_date",
        description="the day an incident case counts (its year, month and age band): the "
        "index date (FAITH's drug-refined diagnosis date) or the first qualifying code",
    )


class Survival(Section):
    report_days: ReportDays = Field(
        default=REPORT_DAYS,
        description="days from the origin at which cumulative incidence is reported",
    )
    bleeding_codelist: str | None = Field(
        default=None, description="diagnoses codelist of bleeding (primary diagnosis of a stay)"
    )
    course_class: str | None = Field(
        default=None, description="course class whose courses 1 and 2 are followed"
    )
    cox_covariates: tuple[Literal["sex", "age_at_index", "secondary"], ...] = Field(
        default=(), description="cohort columns for cause-specific Cox models (cox.parquet)"
    )

    def codelist_uses(self, path: str) -> Iterable[CodelistUse]:
        if self.bleeding_codelist is not None:
            yield CodelistUse(f"{path}.bleeding_codelist", self.bleeding_codelist, ("diagnoses",))

    def references(self, path: str) -> Iterable[Reference]:
        if self.course_class is not None:
            yield Reference(f"{path}.course_class", (self.course_class,), "course_class")

    def requirements(self, path: str) -> Iterable[Requirement]:
        yield Requirement(path, "treatments", "lines, courses")


class Analyses(Section):
    incidence: Incidence | None = Field(
        default=None, description="incidence over internal person-time (incidence.parquet)"
    )
    survival: Survival | None = Field(
        default=None, description="time-to-event analyses (survival.parquet)"
    )
    outcome_incidence: tuple[OutcomeIncidence, ...] = Field(
        default=(),
        description="rates of named outcomes over time-at-risk windows (outcome_incidence.parquet)",
    )
    outcome_survival: tuple[OutcomeSurvival, ...] = Field(
        default=(),
        description="cumulative incidence of named outcomes from a time-at-risk "
        "start, death competing (outcome_survival.parquet)",
    )

    @model_validator(mode="after")
    def _names(self) -> Analyses:
        unique_names(
            (*self.outcome_incidence, *self.outcome_survival),
            "analyses.outcome_incidence and outcome_survival",
        )
        return self

    def _sections(self, path: str) -> Iterable[tuple[str, Section]]:
        if self.survival is not None:
            yield f"{path}.survival", self.survival
        for key in ("outcome_incidence", "outcome_survival"):
            for i, entry in enumerate(getattr(self, key)):
                yield f"{path}.{key}[{i}]", entry

    def codelist_uses(self, path: str) -> Iterable[CodelistUse]:
        for where, section in self._sections(path):
            yield from section.codelist_uses(where)

    def references(self, path: str) -> Iterable[Reference]:
        for where, section in self._sections(path):
            yield from section.references(where)

    def requirements(self, path: str) -> Iterable[Requirement]:
        for where, section in self._sections(path):
            yield from section.requirements(where)
