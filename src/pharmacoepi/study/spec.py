"""A study file: several cohort definitions and their sensitivity variants, built on one
data extract into one output folder (docs/batch.md).

Relative paths in the file (data, out, cohort definitions) are read from the study file's
folder, so a scheduler may start the run from anywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pharmacoepi.errors import DefinitionError

MAIN = "main"  # the variant name of a definition as written


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StudyData(_Model):
    path: str | None = Field(
        default=None, description="the extract's folder; default: the synthetic dataset"
    )
    source: Literal["claims", "omop", "snds"] = "claims"


class StudyEngine(_Model):
    name: Literal["duckdb", "spark"] = "duckdb"
    threads: int | None = Field(default=None, ge=1)
    memory_limit: str | None = None
    spark_master: str | None = None


class Study(_Model):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    data: StudyData = Field(default_factory=StudyData)
    out: str
    cohorts: list[str] = Field(min_length=1)
    # cohort (as listed, or its definition name) -> variant name -> {dotted key: value}
    variants: dict[str, dict[str, dict[str, Any]]] = Field(default_factory=dict)
    engine: StudyEngine = Field(default_factory=StudyEngine)

    @field_validator("variants")
    @classmethod
    def _variant_names(cls, value: dict[str, dict[str, dict[str, Any]]]):
        for cohort, variants in value.items():
            for name in variants:
                if name == MAIN:
                    raise ValueError(f"{cohort}: '{MAIN}' is the definition as written")
                if not name.replace("_", "").replace("-", "").isalnum():
                    raise ValueError(f"{cohort}: variant {name!r}: letters, digits, _ and - only")
        return value


def load_study(path: Path) -> tuple[Study, Path]:
    """The study and the folder its relative paths are read from."""
    if not path.is_file():
        raise DefinitionError(
            "study file not found", where=str(path), hint="give the path of a study YAML"
        )
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise DefinitionError(f"not valid YAML: {exc}", where=str(path)) from None
    try:
        study = Study.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()
        )
        raise DefinitionError(
            f"invalid study file: {problems}",
            where=str(path),
            hint="keys: name, data {path, source}, out, cohorts, variants, engine (docs/batch.md)",
        ) from None
    return study, path.resolve().parent


def resolve(base: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path
