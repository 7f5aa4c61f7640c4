"""`characteristics:`, the cohort at its index date (Table 1): demographics, conditions and
drugs in windows around the index date, hospital use, the Charlson comorbidity index, by
strata, with standardized differences. docs/cohort-definitions.md gives every key;
docs/methods.md every formula."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Literal

from pydantic import Field, model_validator

from pharmacoepi.definition.types import (
    Bool,
    CodelistUse,
    Name,
    Reference,
    Requirement,
    Section,
    StrictModel,
)

# Days relative to the index date (day 0), both ends inclusive; a null start is the
# start of the observation spell holding the index date.
Offset = Annotated[int, Field(strict=True, ge=-36_525, le=36_525)]
Window = tuple[Offset | None, Offset]

Demographic = Literal["age", "age_band", "sex", "index_year"]
Utilisation = Literal["hospital_stays", "hospital_days", "distinct_atc4"]
Score = Literal["charlson"]
# What a stratum may be: a cohort column, or the first treatment line's regimen or
# efficacy group (docs/cohort-definitions.md, "characteristics").
Stratum = Literal[
    "sex", "age_band", "index_year", "end_reason", "first_line", "first_efficacy_group", "phase"
]
# Table 1's usual bands (lower bounds, years): 18-39, 40-59, 60-74, 75+ for adults.
AGE_BANDS = (0, 18, 40, 60, 75)


class ConditionFeature(StrictModel):
    """A diagnoses codelist: a person has it in a window when a row of the codelist (any
    setting) holds on a day of the window (a long-term disease status over its span)."""

    codelist: str
    windows: tuple[Name, ...] = Field(min_length=1)


class DrugFeature(StrictModel):
    """A treatment class (exposed on any day of the window, from its exposure eras) or a
    dispensings codelist (a dispensing dated in the window): one of them."""

    class_: str | None = Field(default=None, alias="class")
    codelist: str | None = None
    windows: tuple[Name, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_source(self) -> DrugFeature:
        if (self.class_ is None) == (self.codelist is None):
            raise ValueError("a drug is a treatment `class` or a dispensings `codelist`, one")
        return self

    @property
    def name(self) -> str:
        return self.class_ or self.codelist or ""


class Characteristics(Section):
    windows: dict[Name, Window] = Field(min_length=1)
    demographics: tuple[Demographic, ...] = ("age", "age_band", "sex", "index_year")
    age_bands: tuple[Annotated[int, Field(strict=True, ge=0, le=120)], ...] = AGE_BANDS
    conditions: tuple[ConditionFeature, ...] = ()
    drugs: tuple[DrugFeature, ...] = ()
    utilisation: tuple[Utilisation, ...] = ()  # in every window, continuous
    scores: tuple[Score, ...] = ()
    windows_for_scores: tuple[Name, ...] = ()
    strata: tuple[Stratum, ...] = ()  # each gives one column per level beside the overall
    covariates_file: Bool = False  # also write covariates.parquet (person x feature)

    @model_validator(mode="after")
    def _consistent(self) -> Characteristics:
        for name, (start, end) in self.windows.items():
            if start is not None and start > end:
                raise ValueError(f"window {name!r} starts after it ends ({start} > {end})")
        used = [(f"conditions[{i}]", c.windows) for i, c in enumerate(self.conditions)]
        used += [(f"drugs[{i}]", c.windows) for i, c in enumerate(self.drugs)]
        used.append(("windows_for_scores", self.windows_for_scores))
        for where, names in used:
            unknown = [w for w in names if w not in self.windows]
            if unknown:
                raise ValueError(
                    f"{where} names window {unknown[0]!r}, not one of windows "
                    f"({', '.join(self.windows)})"
                )
        if self.scores and not self.windows_for_scores:
            raise ValueError("scores need windows_for_scores: the windows they are computed in")
        bands = self.age_bands
        if not bands or bands[0] != 0 or list(bands) != sorted(set(bands)):
            raise ValueError("age_bands are increasing lower bounds starting at 0")
        features = [("condition", c.codelist, w) for c in self.conditions for w in c.windows]
        features += [("drug", c.name, w) for c in self.drugs for w in c.windows]
        twice = {f for f in features if features.count(f) > 1}
        if twice:
            kind, name, window = sorted(twice)[0]
            raise ValueError(f"{kind} {name!r} is declared twice in window {window!r}")
        return self

    def codelist_uses(self, path: str) -> Iterable[CodelistUse]:
        for i, c in enumerate(self.conditions):
            yield CodelistUse(f"{path}.conditions[{i}].codelist", c.codelist, ("diagnoses",))
        for i, c in enumerate(self.drugs):
            if c.codelist is not None:
                yield CodelistUse(f"{path}.drugs[{i}].codelist", c.codelist, ("dispensings",))

    def references(self, path: str) -> Iterable[Reference]:
        classes = tuple(c.class_ for c in self.drugs if c.class_ is not None)
        if classes:
            yield Reference(f"{path}.drugs.class", classes, "treatment_class", listed=True)

    def requirements(self, path: str) -> Iterable[Requirement]:
        if any(c.class_ is not None for c in self.drugs):
            yield Requirement(f"{path}.drugs.class", "treatments", "its classes' eras")
        if "first_line" in self.strata or "first_efficacy_group" in self.strata:
            yield Requirement(f"{path}.strata", "treatments", "the first line")
        if "phase" in self.strata:
            yield Requirement(f"{path}.strata", "phase", "the disease phase of each person")
