"""The cohort sections of a definition: study period, codelists, case finding, the rules
in attrition order (incident, diagnosis date, primary, adult, sex), follow-up and the
disclosure threshold (docs/cohort-definitions.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal

from pydantic import Field, field_validator, model_validator

from pharmacoepi.data.contract import DIAGNOSIS_SETTINGS, DiagnosisSetting
from pharmacoepi.definition.codelists import Domain, MatchKind, Vocabulary
from pharmacoepi.definition.types import Bool, CodelistUse, Days, Int, Section, StrictModel

_Model = StrictModel


class Period(_Model):
    start: dt.date = Field(description="first day, inclusive")
    end: dt.date = Field(description="last day, inclusive")

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class CodelistRef(_Model):
    file: str = Field(description="CSV with columns code,label; relative to the YAML file")
    match: MatchKind = Field(
        default="exact", description="exact: whole code; prefix: code starts with an entry"
    )
    domain: Domain = Field(description="which table's codes it matches")
    vocabulary: Vocabulary = Field(
        default="source", description="source: codes as in the data; omop: OMOP concept ids"
    )
    include_descendants: Bool = Field(
        default=False, description="omop: also every descendant concept (concept_ancestor)"
    )

    @model_validator(mode="after")
    def _concepts(self) -> CodelistRef:
        if self.include_descendants and self.vocabulary != "omop":
            raise ValueError("include_descendants needs vocabulary: omop")
        if self.vocabulary == "omop" and self.match == "prefix":
            raise ValueError("OMOP concept ids match exactly (or with include_descendants)")
        return self

    @property
    def matching(self) -> str:
        if self.vocabulary == "omop":
            return "concept_descendants" if self.include_descendants else "concept"
        return self.match


class DispensingCaseFinding(_Model):
    """A case is also found by repeated dispensings: the date of the min_count-th
    dispensing day of these codelists within within_days (inclusive) is a qualifying date."""

    codelists: tuple[str, ...] = Field(min_length=1)
    min_count: Int = Field(default=2, ge=1, le=1000)
    within_days: Days = Field(default=365, description="first to last of the min_count days")


class RepeatedEvidence(_Model):
    """A case is also found by repeated evidence of mixed kinds: min_count distinct days
    holding a case-finding code in these settings or a dispensing of these codelists (the
    published SNDS MS algorithm: two G35 stays, two DMT days, or one of each)."""

    settings: tuple[DiagnosisSetting, ...] = Field(
        default=(), description="settings in which a case-finding code is one piece of evidence"
    )
    dispensing_codelists: tuple[str, ...] = Field(
        default=(), description="dispensings codelists whose days are evidence"
    )
    min_count: Int = Field(default=2, ge=1, le=1000, description="distinct evidence days")
    within_days: Days | None = Field(
        default=None, description="first to last of the min_count days; null: any time apart"
    )
    finds: Bool = Field(
        default=True,
        description="false: this evidence only dates cases found otherwise (with dated_at: "
        "first_evidence; the specific SNDS MS definition)",
    )

    @model_validator(mode="after")
    def _some_evidence(self) -> RepeatedEvidence:
        if not self.settings and not self.dispensing_codelists:
            raise ValueError("give settings, dispensing_codelists, or both")
        return self


class ExcludedPersons(_Model):
    """Persons with a code of this codelist, in these settings, at any date, are not cases
    (the published SNDS MS algorithm leaves out anyone with a neuromyelitis optica stay)."""

    codelist: str
    settings: tuple[DiagnosisSetting, ...] = Field(default=DIAGNOSIS_SETTINGS, min_length=1)


class CaseFinding(Section):
    codelist: str | None = Field(default=None, description="diagnoses codelist (or dispensings)")
    settings: tuple[DiagnosisSetting, ...] = Field(
        default=DIAGNOSIS_SETTINGS, description="one code in these settings finds a case"
    )
    dispensings: DispensingCaseFinding | None = None
    repeated: RepeatedEvidence | None = None
    dated_at: Literal["finding", "first_evidence"] = Field(
        default="finding",
        description="finding: a case's qualifying dates are the days it is found (a code, "
        "the min_count-th day); first_evidence: once found at any date, every piece of its "
        "evidence (codes in settings or repeated.settings, evidence dispensings) is a "
        "qualifying date, so code_date is the earliest evidence",
    )
    exclude_persons: ExcludedPersons | None = None

    @model_validator(mode="after")
    def _something_finds_cases(self) -> CaseFinding:
        if self.codelist is None and self.dispensings is None and self.repeated is None:
            raise ValueError("give a diagnoses codelist, dispensings, repeated, or some of them")
        if self.dispensings is not None and self.repeated is not None:
            raise ValueError(
                "give dispensings or repeated, not both (repeated with only "
                "dispensing_codelists is the same rule)"
            )
        if self.repeated is not None and self.repeated.settings and self.codelist is None:
            raise ValueError("repeated.settings needs the case-finding codelist")
        if self.repeated is not None and not self.repeated.finds:
            if self.dated_at != "first_evidence":
                raise ValueError("repeated.finds: false needs dated_at: first_evidence")
            if self.codelist is None or not self.settings:
                raise ValueError("repeated.finds: false leaves nothing to find cases")
        if (
            self.codelist is not None
            and not self.settings
            and not (self.repeated and self.repeated.settings)
        ):
            raise ValueError("settings is empty: no code of the case-finding codelist counts")
        return self

    @property
    def evidence_dispensings(self) -> tuple[str, ...]:
        if self.dispensings is not None:
            return self.dispensings.codelists
        return self.repeated.dispensing_codelists if self.repeated else ()

    def codelist_uses(self, path: str) -> Iterable[CodelistUse]:
        if self.codelist is not None:
            yield CodelistUse(f"{path}.codelist", self.codelist, ("diagnoses",))
        if self.dispensings is not None:
            for name in self.dispensings.codelists:
                yield CodelistUse(f"{path}.dispensings.codelists", name, ("dispensings",))
        if self.repeated is not None:
            for name in self.repeated.dispensing_codelists:
                yield CodelistUse(f"{path}.repeated.dispensing_codelists", name, ("dispensings",))
        if self.exclude_persons is not None:
            yield CodelistUse(
                f"{path}.exclude_persons.codelist", self.exclude_persons.codelist, ("diagnoses",)
            )


class Incident(_Model):
    washout_days: Days | Literal["all"] = Field(
        description="no qualifying evidence in [code_date - N, code_date - 1] (an ALD "
        "counts on every day of its status); all: none at any earlier date"
    )
    prior_observation_days: Days | None = Field(
        description="an observation period covers [code_date - N, code_date]; null: no "
        "observation requirement (follow-up then ends at death or the administrative end "
        "unless an observation period holds code_date)"
    )

    @field_validator("washout_days", mode="before")
    @classmethod
    def _days_or_all(cls, value: object) -> object:
        # one clear message, not the union's two (an integer's and a literal's)
        whole = isinstance(value, int) and not isinstance(value, bool)
        if value != "all" and not (whole and 0 <= value <= 36_525):
            raise ValueError(f"{value!r} is not a whole number of days (0..36525) or 'all'")
        return value

    @property
    def washout_window(self) -> int | None:
        """Days the washout looks back; None: the whole history (as bound to the SQL)."""
        return None if self.washout_days == "all" else self.washout_days


class DiagnosisDate(Section):
    codelist: str
    lookback_days: Days = Field(description="dispensings in [code_date - N, code_date]")

    def codelist_uses(self, path: str) -> Iterable[CodelistUse]:
        yield CodelistUse(f"{path}.codelist", self.codelist, ("dispensings",))


class Primary(Section):
    codelist: str
    settings: tuple[DiagnosisSetting, ...] = Field(default=DIAGNOSIS_SETTINGS, min_length=1)
    days_before: Days
    days_after: Days

    def codelist_uses(self, path: str) -> Iterable[CodelistUse]:
        yield CodelistUse(f"{path}.codelist", self.codelist, ("diagnoses",))


class Adult(_Model):
    min_age: Int = Field(ge=0, le=150, description="completed years at index_date, inclusive")


class SexRule(_Model):
    include: tuple[Literal["M", "F"], ...] = Field(min_length=1, description="sexes kept")


class FollowUp(_Model):
    administrative_end: dt.date = Field(description="last day of follow-up, inclusive")
    snds_coverage: Literal["end_of_data", "last_claim"] = Field(
        default="end_of_data",
        description="SNDS layout only: a beneficiary is covered from BEN_DTE_INS to the end "
        "of the data (the extract's latest processed claim: coverage is near universal, so "
        "follow-up ends at death or the administrative end) or to their own last processed "
        "claim (MAX_TRT_DTD: who stops using care looks like a leaver)",
    )
    snds_history_start: dt.date = Field(
        default=dt.date(2006, 1, 1),
        description="SNDS layout only: the first day of the extract's history. A "
        "beneficiary inserted in the referential before 2012 has BEN_DTE_INS 1600-01-01 "
        "(CNAM): their coverage starts here",
    )


class Privacy(_Model):
    min_cell_count: Int = Field(
        default=11, ge=1, le=1_000_000, description="counts 1..N-1 are masked"
    )
