"""Shared building blocks of the definition models: strict frozen models, day counts, and
what a section declares of the names it uses (codelists, other sections' names)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt

# Numbers and flags are strict: `washout_days: true` is refused, not read as 1, and
# `include_descendants: 1` is not read as true (YAML gives ints and booleans as such).
Int = StrictInt
Bool = StrictBool
# A window length in days: 0 .. 100 years (larger values are typos, and would overflow).
Days = Annotated[StrictInt, Field(ge=0, le=36_525)]
# A duration that must cover at least one day (a box, an administration's effect, a course).
PositiveDays = Annotated[StrictInt, Field(ge=1, le=36_525)]


# A name the definition gives (the definition, an outcome, an analysis): it names files
# and rows, so letters, digits and '_.-' only.
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")]


def _distinct_days(days: tuple[int, ...]) -> tuple[int, ...]:
    if any(d < 0 for d in days) or len(set(days)) < len(days):
        raise ValueError("report_days must be distinct days >= 0")
    return days


# Days from a curve's origin at which it is read (survival, outcome_survival).
REPORT_DAYS = (91, 182, 365, 730, 1095, 1461, 1826)
ReportDays = Annotated[tuple[StrictInt, ...], Field(min_length=1), AfterValidator(_distinct_days)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class CodelistUse:
    """A codelist named at `path`, which must be declared with one of `domains`."""

    path: str  # "case_finding.codelist"
    codelist: str
    domains: tuple[str, ...]


@dataclass(frozen=True)
class Reference:
    """Names written at `path` that must be among the names of `kind` the definition
    declares elsewhere (definition/root.py says which names each kind has)."""

    path: str  # "analyses.survival.course_class"
    names: tuple[str | None, ...]
    kind: str  # "treatment_class" | "course_class" | "efficacy_group"
    listed: bool = False  # the key holds a list of names (told together when unknown)


@dataclass(frozen=True)
class Requirement:
    """The section at `path` needs another top-level section to be present."""

    path: str  # "phase"
    section: str  # "treatments"
    why: str  # "its classes"


class Section(StrictModel):
    """A part of the definition that says which names it uses, so the root can check them
    all alike without knowing any section's fields."""

    def codelist_uses(self, path: str) -> Iterable[CodelistUse]:
        return ()

    def references(self, path: str) -> Iterable[Reference]:
        return ()

    def requirements(self, path: str) -> Iterable[Requirement]:
        return ()
