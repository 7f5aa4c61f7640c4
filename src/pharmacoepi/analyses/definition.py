"""The `analyses` part of a cohort definition."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pharmacoepi.fields import StrictModel


class Incidence(StrictModel):
    per: int = Field(default=100_000, ge=1, le=1_000_000_000, description="rates per N years")
    standards: tuple[Literal["esp2013", "who_world"], ...] = Field(
        default=("esp2013", "who_world"), description="standard populations for the DSR"
    )


class Analyses(StrictModel):
    incidence: Incidence | None = Field(
        default=None, description="incidence over internal person-time (incidence.parquet)"
    )
