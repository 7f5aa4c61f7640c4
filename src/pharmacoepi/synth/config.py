"""Run configuration of the synthetic generator and the YAML presets that name one."""

from __future__ import annotations

import dataclasses
import importlib.resources
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

MODEL_NAME = "france_model"


@dataclass(frozen=True)
class SynthConfig:
    """What to generate. Model parameters (pyramid, rates, code pools) live in the
    model YAML (``model``), not here: a config only says how many, when and which seed."""

    persons: int
    start: date
    end: date
    seed: int
    itp_multiplier: float = 1.0
    ms_multiplier: float = 1.0
    chunk_size: int = 50_000
    model: str = MODEL_NAME

    def __post_init__(self) -> None:
        if isinstance(self.persons, bool) or not isinstance(self.persons, int):
            raise ValueError(f"persons must be an integer, got {self.persons!r}")
        if self.persons <= 0:
            raise ValueError(f"persons must be > 0, got {self.persons}")
        if self.persons >= 2**40:
            raise ValueError(f"persons too large: {self.persons}")
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, date):
                raise ValueError(f"{name} must be a datetime.date, got {value!r}")
        if not self.start < self.end:
            raise ValueError(f"start ({self.start}) must be before end ({self.end})")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")
        mult = self.itp_multiplier
        if isinstance(mult, bool) or not isinstance(mult, (int, float)) or not mult > 0:
            raise ValueError(f"itp_multiplier must be a number > 0, got {mult!r}")
        if mult > 10_000:
            raise ValueError(f"itp_multiplier must be <= 10000, got {mult}")
        mult = self.ms_multiplier
        if isinstance(mult, bool) or not isinstance(mult, (int, float)) or not mult >= 0:
            raise ValueError(f"ms_multiplier must be a number >= 0, got {mult!r}")
        if mult > 10_000:
            raise ValueError(f"ms_multiplier must be <= 10000, got {mult}")
        if isinstance(self.chunk_size, bool) or not isinstance(self.chunk_size, int):
            raise ValueError(f"chunk_size must be an integer, got {self.chunk_size!r}")
        if self.chunk_size <= 0:
            raise ValueError(f"chunk_size must be > 0, got {self.chunk_size}")
        if not isinstance(self.model, str) or not self.model:
            raise ValueError(f"model must be a model name or file, got {self.model!r}")

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["start"] = self.start.isoformat()
        out["end"] = self.end.isoformat()
        out["itp_multiplier"] = float(self.itp_multiplier)
        out["ms_multiplier"] = float(self.ms_multiplier)
        return out


def presets_dir() -> Path:
    """Installed wheels ship synthetic_data/presets as pharmacoepi/synthetic_presets;
    a source checkout keeps them at the repository top."""
    try:
        packaged = importlib.resources.files("pharmacoepi") / "synthetic_presets"
        if packaged.is_dir():
            return Path(str(packaged))
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - namespace edge cases
        pass
    return Path(__file__).resolve().parents[3] / "synthetic_data" / "presets"


def preset_names() -> list[str]:
    """The shipped presets (the model file beside them is not one)."""
    return sorted(p.stem for p in presets_dir().glob("*.yaml") if p.stem != MODEL_NAME)


def read_preset_yaml(spec: str) -> dict[str, Any]:
    """A shipped preset or model by name (synthetic_data/presets/NAME.yaml), or a YAML
    file by path (`--preset my_preset.yaml`, `--model my_model.yaml`)."""
    given = Path(spec) if spec else None
    if given is not None and (given.suffix in (".yaml", ".yml") or given.parent != Path(".")):
        path = given
        if not path.is_file():
            raise ValueError(f"no such file: {path}")
    else:
        if not spec or spec.startswith("."):
            raise ValueError(f"invalid preset name {spec!r}")
        path = presets_dir() / f"{spec}.yaml"
        if not path.is_file():
            raise ValueError(
                f"unknown preset {spec!r}: the shipped ones are {', '.join(preset_names())} "
                "(or give a YAML file's path)"
            )
    try:
        with path.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a YAML mapping of keys")
    return data


def _as_date(value: Any, key: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError(f"preset field {key!r}: not an ISO date: {value!r}") from exc


def load_preset(name: str) -> SynthConfig:
    """Read ``synthetic_data/presets/NAME.yaml`` (or a preset file by path) into a
    validated SynthConfig."""
    data = read_preset_yaml(name)
    fields = {f.name for f in dataclasses.fields(SynthConfig)}
    unknown = sorted(set(data) - fields)
    if "model_version" in data:
        raise ValueError(
            f"{name!r} is a model (rates, code pools), not a preset: give it with --model"
        )
    if unknown:
        raise ValueError(
            f"preset {name!r}: unknown fields {', '.join(unknown)} "
            f"(a preset has {', '.join(sorted(fields))})"
        )
    missing = sorted({"persons", "start", "end", "seed"} - set(data))
    if missing:
        raise ValueError(f"preset {name!r}: missing fields {missing}")
    data["start"] = _as_date(data["start"], "start")
    data["end"] = _as_date(data["end"], "end")
    return SynthConfig(**data)
