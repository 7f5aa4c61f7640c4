"""Shared building blocks of the definition models: strict frozen models, day counts."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

# A window length in days: 0 .. 100 years (larger values are typos, and would overflow).
Days = Annotated[int, Field(ge=0, le=36_525)]
# A duration that must cover at least one day (a box, an administration's effect, a course).
PositiveDays = Annotated[int, Field(ge=1, le=36_525)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
