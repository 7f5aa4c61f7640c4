"""The `analyses` part of a cohort definition."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from pharmacoepi.fields import StrictModel


class Incidence(StrictModel):
    per: int = Field(default=100_000, ge=1, le=1_000_000_000, description="rates per N years")
    standards: tuple[Literal["esp2013", "who_world"], ...] = Field(
        default=("esp2013", "who_world"), description="standard populations for the DSR"
    )
    population_file: str | None = Field(
        default=None,
        description="external denominator: CSV year,sex,age_band,population (relative to "
        "the data directory); absent: internal person-time",
    )


class Survival(StrictModel):
    report_days: tuple[int, ...] = Field(
        default=(91, 182, 365, 730, 1095, 1461, 1826),
        min_length=1,
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

    @model_validator(mode="after")
    def _days(self) -> Survival:
        if any(d < 0 for d in self.report_days) or len(set(self.report_days)) < len(
            self.report_days
        ):
            raise ValueError("report_days must be distinct days >= 0")
        return self


class Analyses(StrictModel):
    incidence: Incidence | None = Field(
        default=None, description="incidence over internal person-time (incidence.parquet)"
    )
    survival: Survival | None = Field(
        default=None, description="time-to-event analyses (survival.parquet)"
    )
