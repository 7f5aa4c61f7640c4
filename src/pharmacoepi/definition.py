"""Cohort definitions: YAML + codelists, validated into frozen pydantic models.

Every rule parameter lives in the YAML; `--set key=value` overrides any of them. Errors
name the file, the field and give a hint (DefinitionError, exit code 2).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import typing
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pharmacoepi.analyses.definition import Analyses
from pharmacoepi.codelists import Codelist, Domain, MatchKind, Vocabulary, read_codelist
from pharmacoepi.errors import DefinitionError
from pharmacoepi.fields import Days, StrictModel
from pharmacoepi.resources import resource_dir
from pharmacoepi.treatments.definition import Lines, Phase, Summaries, Switches, Treatments

DiagnosisSetting = Literal[
    "hospital_primary", "hospital_related", "hospital_associated", "long_term_disease", "outpatient"
]
ALL_DIAGNOSIS_SETTINGS: tuple[str, ...] = DiagnosisSetting.__args__  # type: ignore[attr-defined]


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
    include_descendants: bool = Field(
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
    min_count: int = Field(default=2, ge=1, le=1000)
    within_days: Days = Field(default=365, description="first to last of the min_count days")


class CaseFinding(_Model):
    codelist: str | None = Field(default=None, description="diagnoses codelist (or dispensings)")
    settings: tuple[DiagnosisSetting, ...] = Field(default=ALL_DIAGNOSIS_SETTINGS, min_length=1)
    dispensings: DispensingCaseFinding | None = None

    @model_validator(mode="after")
    def _something_finds_cases(self) -> CaseFinding:
        if self.codelist is None and self.dispensings is None:
            raise ValueError("give a diagnoses codelist, dispensings, or both")
        return self


class Incident(_Model):
    washout_days: Days = Field(description="no qualifying code in [code_date - N, code_date - 1]")
    prior_observation_days: Days | None = Field(
        description="an observation period covers [code_date - N, code_date]; null: no "
        "observation requirement (follow-up then ends at death or the administrative end "
        "unless an observation period holds code_date)"
    )


class DiagnosisDate(_Model):
    codelist: str
    lookback_days: Days = Field(description="dispensings in [code_date - N, code_date]")


class Primary(_Model):
    codelist: str
    settings: tuple[DiagnosisSetting, ...] = Field(default=ALL_DIAGNOSIS_SETTINGS, min_length=1)
    days_before: Days
    days_after: Days


class Adult(_Model):
    min_age: int = Field(ge=0, le=150, description="completed years at index_date, inclusive")


class SexRule(_Model):
    include: tuple[Literal["M", "F"], ...] = Field(min_length=1, description="sexes kept")


class FollowUp(_Model):
    administrative_end: dt.date = Field(description="last day of follow-up, inclusive")


class Privacy(_Model):
    min_cell_count: int = Field(
        default=11, ge=1, le=1_000_000, description="counts 1..N-1 are masked"
    )


class Definition(_Model):
    """The validated cohort definition; rule order is fixed (see docs/cohort-definitions.md)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
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
    privacy: Privacy = Privacy()
    treatments: Treatments | None = None
    lines: Lines = Lines()
    phase: Phase | None = None
    switches: Switches | None = None
    summaries: Summaries = Summaries()
    analyses: Analyses = Analyses()

    @model_validator(mode="after")
    def _consistent(self) -> Definition:
        for rule, name, domains in self._codelist_uses():
            if name not in self.codelists:
                known = ", ".join(sorted(self.codelists))
                raise ValueError(f"{rule} {name!r} is not declared in codelists ({known})")
            if self.codelists[name].domain not in domains:
                raise ValueError(
                    f"{rule} {name!r} has domain {self.codelists[name].domain!r}; "
                    f"it needs a {' or '.join(domains)} codelist"
                )
        self._check_treatments()
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

    def _codelist_uses(self) -> list[tuple[str, str, tuple[str, ...]]]:
        uses = []
        if self.case_finding.codelist is not None:
            uses.append(("case_finding.codelist", self.case_finding.codelist, ("diagnoses",)))
        if self.case_finding.dispensings is not None:
            uses += [
                ("case_finding.dispensings.codelists", name, ("dispensings",))
                for name in self.case_finding.dispensings.codelists
            ]
        if self.diagnosis_date is not None:
            uses.append(("diagnosis_date.codelist", self.diagnosis_date.codelist, ("dispensings",)))
        if self.primary is not None:
            uses.append(("primary.codelist", self.primary.codelist, ("diagnoses",)))
        survival = self.analyses.survival
        if survival is not None and survival.bleeding_codelist is not None:
            uses.append(
                ("analyses.survival.bleeding_codelist", survival.bleeding_codelist, ("diagnoses",))
            )
        for name, cls in self.treatments.classes.items() if self.treatments else ():
            domains = ("procedures", "dispensings") if cls.kind == "point" else ("dispensings",)
            uses.append((f"treatments.classes.{name}.codelist", cls.codelist, domains))
        return uses

    def _check_treatments(self) -> None:
        survival = self.analyses.survival
        if survival is not None:
            if self.treatments is None:
                raise ValueError("analyses.survival needs a treatments section (lines, courses)")
            course = survival.course_class
            if course is not None and (
                course not in self.treatments.classes
                or self.treatments.classes[course].kind != "course"
            ):
                courses = [n for n, c in self.treatments.classes.items() if c.kind == "course"]
                raise ValueError(
                    f"analyses.survival.course_class {course!r} is not a course class "
                    f"({', '.join(courses) or 'none declared'})"
                )
        if self.treatments is None:
            for section in ("phase", "switches"):
                if getattr(self, section) is not None:
                    raise ValueError(f"{section} needs a treatments section (its classes)")
            return
        unknown = (
            set(self.phase.evidence_classes or ()) - set(self.treatments.classes)
            if (self.phase is not None)
            else set()
        )
        if unknown:
            known = ", ".join(self.treatments.classes)
            raise ValueError(
                f"phase.evidence_classes names {', '.join(sorted(unknown))}, not a treatment "
                f"class ({known})"
            )
        if self.switches is not None:
            for name, cls in self.treatments.classes.items():
                if cls.role == "line" and cls.efficacy_group not in self.switches.efficacy_order:
                    order = ", ".join(self.switches.efficacy_order)
                    raise ValueError(
                        f"treatments.classes.{name}.efficacy_group {cls.efficacy_group!r} is "
                        f"not one of switches.efficacy_order ({order})"
                    )


class LoadedDefinition(BaseModel):
    """A definition with its codelists read, and the provenance the manifest records."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    definition: Definition
    codelists: dict[str, Codelist]
    path: Path
    file_sha256: str
    overrides: dict[str, Any]

    def resolved_sha256(self) -> str:
        """Hash of the definition after overrides: two runs with equal hashes ran the same rules."""
        payload = self.definition.model_dump(mode="json")
        payload["codelist_sha256"] = {n: c.sha256 for n, c in sorted(self.codelists.items())}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text (pydantic parses them and names the field) and
    refuses a key given twice (YAML would silently keep the last)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise DefinitionError(
                    f"key {key!r} is given twice",
                    where=f"line {key_node.start_mark.line + 1}",
                    hint="each key may appear once per block",
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def resolve_definition_path(spec: str) -> Path:
    """A path to a YAML file, or the name of a definition shipped with pharmacoepi."""
    path = Path(spec)
    if path.is_file():
        return path
    for candidate in (resource_dir("cohorts") / spec, resource_dir("cohorts") / f"{spec}.yaml"):
        if candidate.is_file():
            return candidate
    shipped = sorted(p.stem for p in resource_dir("cohorts").glob("*.yaml"))
    raise DefinitionError(
        f"cohort definition {spec!r} not found",
        hint=f"give a path to a YAML file, or one of the shipped names: {', '.join(shipped)}",
    )


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """`key.sub=value` strings -> {dotted key: YAML-parsed value}."""
    overrides: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise DefinitionError(
                f"--set {item!r} is not key=value",
                hint="for example --set incident.washout_days=365",
            )
        try:
            overrides[key.strip()] = yaml.load(value, Loader=_Loader) if value.strip() else None
        except (yaml.YAMLError, DefinitionError) as exc:
            raise DefinitionError(f"--set {item!r}: value is not valid YAML ({exc})") from None
    return overrides


def _apply_override(raw: dict[str, Any], dotted: str, value: Any, path: Path) -> None:
    node: Any = raw
    parts = dotted.split(".")
    for depth, part in enumerate(parts[:-1]):
        if not isinstance(node, dict) or part not in node:
            prefix = ".".join(parts[: depth + 1])
            raise DefinitionError(
                f"--set {dotted}: {prefix!r} is not in the definition",
                where=str(path),
                hint="override keys are dotted paths of keys present in the YAML",
            )
        node = node[part]
    if not isinstance(node, dict):
        raise DefinitionError(
            f"--set {dotted}: {'.'.join(parts[:-1])!r} is a value, not a block of keys",
            where=str(path),
            hint="override keys are dotted paths of keys present in the YAML",
        )
    # A key the YAML leaves at its default may be set too (stockpiling of a class);
    # a misspelt one is refused by validation, which lists the keys allowed there.
    node[parts[-1]] = value


def _describe(error: dict[str, Any]) -> tuple[str, str]:
    field = ".".join(str(p) for p in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return field, f"unknown key {field!r}"
    if error["type"] == "missing":
        return field, f"missing key {field!r}"
    message = error["msg"].removeprefix("Value error, ")
    return field, f"{field}: {message}"


def load_definition(spec: str | Path, overrides: dict[str, Any] | None = None) -> LoadedDefinition:
    """Read a definition YAML, apply overrides, validate it, and read its codelists."""
    path = resolve_definition_path(str(spec))
    overrides = dict(overrides or {})
    raw_bytes = path.read_bytes()
    try:
        raw = yaml.load(raw_bytes, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise DefinitionError(f"not valid YAML: {exc}", where=str(path)) from None
    except DefinitionError as exc:
        exc.where = f"{path}, {exc.where}"
        raise
    if not isinstance(raw, dict):
        raise DefinitionError("a definition is a YAML mapping of keys", where=str(path))
    for key, value in overrides.items():
        _apply_override(raw, key, value, path)
    try:
        definition = Definition.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field, message = _describe(first)
        more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
        allowed = ", ".join(_allowed_keys(first["loc"][:-1]))
        hint = (
            f"allowed keys here: {allowed}"
            if first["type"] == "extra_forbidden"
            else "see docs/cohort-definitions.md for every key and its meaning"
        )
        raise DefinitionError(message + more, where=f"{path}: {field}", hint=hint) from None
    codelists = {
        name: read_codelist(
            name,
            path.parent / ref.file,
            domain=ref.domain,
            match=ref.matching,
            declared_in=f"{path}: codelists.{name}.file",
        )
        for name, ref in definition.codelists.items()
    }
    return LoadedDefinition(
        definition=definition,
        codelists=codelists,
        path=path,
        file_sha256=hashlib.sha256(raw_bytes).hexdigest(),
        overrides=overrides,
    )


def _model_in(annotation: Any) -> tuple[Any, bool]:
    """The model an annotation holds: (model, keyed) for `Model`, `Model | None` and
    `dict[str, Model]` (keyed: the next location part is a dict key, not a field)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    args = typing.get_args(annotation)
    keyed = typing.get_origin(annotation) is dict
    for arg in args:
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg, keyed
    return None, False


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    model: Any = Definition
    skip_key = False
    for part in loc:
        if skip_key:  # a name the user chose (a codelist, a class): the model stays
            skip_key = False
            continue
        field = model.model_fields.get(part)
        inner, keyed = _model_in(field.annotation) if field is not None else (None, False)
        if inner is None:
            break
        model, skip_key = inner, keyed
    return sorted(model.model_fields)
