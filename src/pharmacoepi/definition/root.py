"""The root of a definition: every section composed, and the checks that span sections,
made alike for all of them from what each section declares (definition/types.py): every
codelist named is declared with a fitting domain, every name refers to something
declared, every section another needs is present."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pydantic import Field, model_validator

from pharmacoepi.definition.analyses import Analyses
from pharmacoepi.definition.characteristics import Characteristics
from pharmacoepi.definition.cohort import (
    Adult,
    CaseFinding,
    CodelistRef,
    DiagnosisDate,
    FollowUp,
    Incident,
    Period,
    Primary,
    Privacy,
    SexRule,
)
from pharmacoepi.definition.outcomes import Outcome
from pharmacoepi.definition.treatments import (
    Lines,
    PersistentTreatment,
    Phase,
    Summaries,
    Switches,
    Treatments,
)
from pharmacoepi.definition.types import (
    CodelistUse,
    Name,
    Reference,
    Requirement,
    Section,
    StrictModel,
)

# What a Reference's kind may name, and how an unknown name is told: (names, "is not ...").
_KINDS: dict[str, Callable[[Definition], tuple[tuple[str, ...] | None, str]]] = {
    "treatment_class": lambda d: (
        tuple(d.treatments.classes) if d.treatments else None,
        "a treatment class",
    ),
    "course_class": lambda d: (
        tuple(n for n, c in d.treatments.classes.items() if c.kind == "course")
        if d.treatments
        else None,
        "a course class",
    ),
    "exposure": lambda d: (
        (*d.treatments.classes, *_efficacy_groups(d)) if d.treatments else None,
        "a treatment class or efficacy group",
    ),
    "outcome": lambda d: (tuple(d.outcomes), "an outcome declared in outcomes"),
    # efficacy groups are checked only when switches are classified
    "efficacy_group": lambda d: (
        d.switches.efficacy_order if d.switches else None,
        "one of switches.efficacy_order",
    ),
}


def _efficacy_groups(d: Definition) -> tuple[str, ...]:
    groups = (c.efficacy_group for c in d.treatments.classes.values() if c.efficacy_group)
    return tuple(dict.fromkeys(groups))


class Definition(StrictModel):
    """The validated definition; rule order is fixed (see docs/cohort-definitions.md)."""

    name: Name
    title: str = ""
    description: str = ""
    study_period: Period
    codelists: dict[str, CodelistRef] = Field(min_length=1)
    case_finding: CaseFinding
    incident: Incident
    diagnosis_date: DiagnosisDate | None = None  # absent: index_date = code_date
    primary: Primary | None = None  # absent: no case is secondary
    adult: Adult
    sex: SexRule | None = None  # absent: both sexes
    follow_up: FollowUp
    persistent_treatment: PersistentTreatment | None = None  # absent: indexed at diagnosis
    privacy: Privacy = Privacy()
    treatments: Treatments | None = None
    lines: Lines = Lines()
    phase: Phase | None = None
    switches: Switches | None = None
    summaries: Summaries = Summaries()
    outcomes: dict[Name, Outcome] = Field(default_factory=dict)
    analyses: Analyses = Analyses()
    characteristics: Characteristics | None = None  # absent: no Table 1

    def sections(self) -> Iterable[tuple[str, Section]]:
        """The sections present, by their key, in the order of the fields (each named
        outcome is a section of its own)."""
        for key in type(self).model_fields:
            value = getattr(self, key)
            if isinstance(value, Section):
                yield key, value
            elif key == "outcomes":
                for name, outcome in value.items():
                    yield f"outcomes.{name}", outcome

    def codelist_uses(self) -> list[CodelistUse]:
        return [use for key, s in self.sections() for use in s.codelist_uses(key)]

    @model_validator(mode="after")
    def _consistent(self) -> Definition:
        for use in self.codelist_uses():
            _check_codelist(self, use)
        for key, section in self.sections():
            for requirement in section.requirements(key):
                _check_requirement(self, requirement)
        for key, section in self.sections():
            for reference in section.references(key):
                _check_reference(self, reference)
        for name, outcome in self.outcomes.items():
            _check_outcome(self, name, outcome)
        _check_drug_windows(self)
        prior = self.incident.prior_observation_days
        if self.analyses.incidence is not None and prior is None:
            raise ValueError(
                "analyses.incidence needs incident.prior_observation_days (the at-risk time "
                "is observed time)"
            )
        if (
            self.diagnosis_date is not None
            and prior is not None
            and self.diagnosis_date.lookback_days > prior
        ):
            raise ValueError(
                f"diagnosis_date.lookback_days ({self.diagnosis_date.lookback_days}) exceeds "
                f"incident.prior_observation_days ({self.incident.prior_observation_days}): "
                "the index date could fall before the observed time"
            )
        if self.follow_up.administrative_end < self.study_period.end:
            raise ValueError(
                f"follow_up.administrative_end {self.follow_up.administrative_end} is before "
                f"study_period.end {self.study_period.end}"
            )
        return self


def _check_codelist(d: Definition, use: CodelistUse) -> None:
    if use.codelist not in d.codelists:
        known = ", ".join(sorted(d.codelists))
        raise ValueError(f"{use.path} {use.codelist!r} is not declared in codelists ({known})")
    if d.codelists[use.codelist].domain not in use.domains:
        raise ValueError(
            f"{use.path} {use.codelist!r} has domain {d.codelists[use.codelist].domain!r}; "
            f"it needs a {' or '.join(use.domains)} codelist"
        )


def _check_outcome(d: Definition, name: str, outcome: Outcome) -> None:
    """A diagnoses outcome says in which settings a code counts; other domains have none."""
    if outcome.codelist is None or outcome.codelist not in d.codelists:
        return
    domain = d.codelists[outcome.codelist].domain
    if domain == "diagnoses" and outcome.settings is None:
        raise ValueError(
            f"outcomes.{name} needs settings: the diagnosis settings in which a code of "
            f"{outcome.codelist!r} is the outcome (e.g. [hospital_primary])"
        )
    if domain != "diagnoses" and outcome.settings is not None:
        raise ValueError(
            f"outcomes.{name}.settings: {outcome.codelist!r} is a {domain} codelist; "
            "settings are for diagnoses"
        )


def _check_drug_windows(d: Definition) -> None:
    """A treatment class's eras begin with the records dated from index_date -
    treatments.lookback_days: a Table 1 window reaching further back would find nothing
    there, silently."""
    c, t = d.characteristics, d.treatments
    if c is None or t is None:
        return
    for i, drug in enumerate(c.drugs):
        for window in drug.windows if drug.class_ else ():
            start = c.windows[window][0]
            if start is None or start < -t.lookback_days:
                reach = "the start of observation" if start is None else f"day {start}"
                raise ValueError(
                    f"characteristics.drugs[{i}]: window {window!r} reaches back to {reach}, "
                    f"but the eras of class {drug.class_!r} start from records dated on or "
                    f"after index_date - {t.lookback_days} (treatments.lookback_days); use "
                    f"its dispensings codelist (codelist: {t.classes[drug.class_].codelist}) "
                    "or a shorter window"
                )


def _check_requirement(d: Definition, requirement: Requirement) -> None:
    if getattr(d, requirement.section) is None:
        raise ValueError(
            f"{requirement.path} needs a {requirement.section} section ({requirement.why})"
        )


def _check_reference(d: Definition, reference: Reference) -> None:
    known, noun = _KINDS[reference.kind](d)
    if known is None:  # the section naming them is absent: nothing to resolve against
        return
    unknown = [name for name in reference.names if name not in known]
    if not unknown:
        return
    among = ", ".join(known) or "none declared"
    if reference.listed:
        names = ", ".join(sorted(str(n) for n in unknown))
        raise ValueError(f"{reference.path} names {names}, not {noun} ({among})")
    raise ValueError(f"{reference.path} {unknown[0]!r} is not {noun} ({among})")
