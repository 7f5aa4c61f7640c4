"""The generator's vocabulary: sexes, settings, code vocabularies and weighted code pools,
shared by the model and the samplers built on it (comorbidities)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

DAYS_PER_YEAR = 365.25
SEXES = ("M", "F")  # sex index 0 = M, 1 = F everywhere in the generator
DX_SETTINGS = (
    "hospital_primary",
    "hospital_related",
    "hospital_associated",
    "long_term_disease",
    "outpatient",
)
HOSP_PRIMARY, HOSP_RELATED, HOSP_ASSOCIATED, LONG_TERM_DISEASE, OUTPATIENT = range(5)
DISP_SETTINGS = ("community", "hospital")
COMMUNITY, HOSPITAL = 0, 1
ITP_CODE = "D693"
DMT_GROUPS = ("platform", "high")
DMT_MODES = ("monthly", "administration", "course")
EPOCH = date(1970, 1, 1)
NEVER = 10**9  # a day no dispensing reaches (a code that never changes)


def day_number(value: Any) -> int:
    """Days since 1970-01-01 of a date (or ISO text) read from the model YAML."""
    if not isinstance(value, date):
        value = date.fromisoformat(str(value))
    return (value - EPOCH).days


class Vocabulary:
    """An append-only list of codes with a code -> index map (indices are stable)."""

    def __init__(self) -> None:
        self.codes: list[str] = []
        self.index: dict[str, int] = {}

    def add(self, code: str) -> int:
        code = str(code)
        if code not in self.index:
            self.index[code] = len(self.codes)
            self.codes.append(code)
        return self.index[code]

    def __getitem__(self, code: str) -> int:
        return self.index[code]

    def __len__(self) -> int:
        return len(self.codes)


@dataclass
class Pool:
    """A weighted pool of vocabulary indices, sampled by inverse CDF (vectorised)."""

    items: np.ndarray
    cum: np.ndarray

    @classmethod
    def build(cls, vocab: Vocabulary, rows: list[Any]) -> Pool:
        items = np.array([vocab.add(r[0]) for r in rows], dtype=np.int32)
        w = np.array([float(r[1]) for r in rows], dtype=np.float64)
        if (w < 0).any() or w.sum() <= 0:
            raise ValueError(f"pool weights must be positive: {rows!r}")
        cum = np.cumsum(w / w.sum())
        cum[-1] = 1.0
        return cls(items, cum)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        pos = np.searchsorted(self.cum, rng.random(n), side="right")
        return self.items[np.minimum(pos, len(self.items) - 1)]

    def one(self, rng: np.random.Generator) -> int:
        return int(self.sample(rng, 1)[0])
