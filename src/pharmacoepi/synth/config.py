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
            raise ValueError(f"model must be a preset name, got {self.model!r}")

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


def read_preset_yaml(name: str) -> dict[str, Any]:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"invalid preset name {name!r}")
    path = presets_dir() / f"{name}.yaml"
    if not path.is_file():
        available = sorted(p.stem for p in presets_dir().glob("*.yaml"))
        raise ValueError(f"unknown preset {name!r} (looked for {path}; available: {available})")
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"preset {path} is not a mapping")
    return data


def _as_date(value: Any, key: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError(f"preset field {key!r}: not an ISO date: {value!r}") from exc


def load_preset(name: str) -> SynthConfig:
    """Read ``synthetic_data/presets/NAME.yaml`` into a validated SynthConfig."""
    data = read_preset_yaml(name)
    fields = {f.name for f in dataclasses.fields(SynthConfig)}
    unknown = sorted(set(data) - fields)
    if unknown:
        raise ValueError(f"preset {name!r}: unknown fields {unknown}")
    missing = sorted({"persons", "start", "end", "seed"} - set(data))
    if missing:
        raise ValueError(f"preset {name!r}: missing fields {missing}")
    data["start"] = _as_date(data["start"], "start")
    data["end"] = _as_date(data["end"], "end")
    return SynthConfig(**data)
