"""What every relation reads: the run's raw and published frames (rows matched by their
labels), the facts of the definition the relations need, and the addresses of counts
several relations share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from pharmacoepi.disclosure.model import Count
from pharmacoepi.outputs.catalogue import BY_FILE

ATTRITION = "attrition.parquet"
EXPOSED = "exposed_at.parquet"
SURVIVAL = "survival.parquet"
PHASES = "phases.parquet"
RETREATMENT = "retreatment.parquet"
PATHWAYS = "pathways.parquet"
INCIDENCE = "incidence.parquet"
CAUSES = "secondary_causes.parquet"
SWITCHES = "switch_types_by_year.parquet"
CURVE = ("cumulative_incidence", "ci_lower", "ci_upper")


@dataclass(frozen=True)
class Facts:
    """What the relations need to know of the definition (disclosure reads none)."""

    min_cell: int
    standards: Mapping[str, pl.DataFrame] = field(default_factory=dict)  # measure -> standard
    chronic_after_days: int | None = None  # the phase block's, when there is one
    course_class: str | None = None  # the class the next_after_course analyses follow
    # Table 1's relations (relations/characteristics.py): off in a build for now. On the
    # shipped definitions they cost the audit 2 to 8 times the build (its remedies re-solve
    # large groups) and find cells Table 1's own mask leaves (ms_dmt: 103); until the mask
    # meets them by construction, tests run them on hand-made tables (docs/privacy.md).
    table1_relations: bool = False


class Tables:
    """Raw and published frames of a run, rows matched by their labels."""

    def __init__(self, raw: Mapping[str, pl.DataFrame], published: Mapping[str, pl.DataFrame]):
        self.raw, self.published = raw, published

    def files(self) -> list[str]:
        return [f for f in self.published if f in self.raw]

    def rows(self, file: str) -> list[tuple[tuple, dict, dict]]:
        """(key, raw row, published row) per published row; a raw row absent (a phase
        nobody is in) reads as zeros."""
        labels = BY_FILE[file].role("label")
        raw = {key(r, labels): r for r in self.raw[file].iter_rows(named=True)}
        return [
            (k, raw.get(k, {}), r)
            for r in self.published[file].iter_rows(named=True)
            for k in [key(r, labels)]
        ]


def key(row: Mapping, labels: Sequence[str]) -> tuple:
    return tuple((c, row[c]) for c in labels)


def lost_on(day: int) -> Count:
    """exposed_at's persons no longer followed on `day` (a latent count)."""
    return Count(EXPOSED, (("days_after_index", day),), "lost")


def phase_count(phase: str) -> Count:
    return Count(PHASES, (("phase", phase),), "persons")
