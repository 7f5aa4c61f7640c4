"""The definitions, examples and studies that ship with pharmacoepi (`pharmacoepi list`):
what each is called on the command line and its title, read from the files themselves."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from pharmacoepi.resources import resource_dir


@dataclass(frozen=True)
class Shipped:
    kind: str  # definition | example | study
    spec: str  # what build-cohort (a name) or run (a path) takes
    title: str
    path: Path


def shipped() -> list[Shipped]:
    """Every shipped YAML: the definitions by name, the examples by their name under
    examples/ (build-cohort resolves both), the studies by path."""
    cohorts = resource_dir("cohorts")
    examples = sorted(cohorts.glob("examples/*.yaml"))
    return [
        *(_read("definition", p, p.stem) for p in sorted(cohorts.glob("*.yaml"))),
        *(_read("example", p, f"examples/{p.stem}") for p in examples),
        *(_read("study", p, _shown(p)) for p in sorted(cohorts.glob("studies/*.yaml"))),
    ]


def _shown(path: Path) -> str:
    """A study is given by path: relative to the working folder when under it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _read(kind: str, path: Path, spec: str) -> Shipped:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    title = raw.get("title") or raw.get("name") or ""
    if kind == "study":  # a study has no title: its cohorts say what it is
        title = f"{raw.get('name', path.stem)}: " + ", ".join(map(str, raw.get("cohorts", [])))
    return Shipped(kind, spec, str(title), path)
