"""Observation periods (insurance coverage) of one chunk, and the lookups that keep
every generated event inside them: uniform dates over covered days, coverage tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import Model
from .population import Population

_KEY_SHIFT = 1 << 22  # days per person slot in the (person, date) search key


@dataclass
class Coverage:
    """Covered segments [start, end] (inclusive days), sorted by person then start."""

    person: np.ndarray  # local person index (0..n-1), int64
    start: np.ndarray
    end: np.ndarray
    n_persons: int
    origin: int  # period start day; keys are relative to it so they stay positive

    def __post_init__(self) -> None:
        self._refresh()

    def _refresh(self) -> None:
        length = self.end - self.start + 1
        self.cum_end = np.cumsum(length)
        self.cum_start = self.cum_end - length
        self.first_seg = np.searchsorted(self.person, np.arange(self.n_persons), side="left")
        self.total_days = np.bincount(self.person, weights=length, minlength=self.n_persons)
        self.total_days = self.total_days.astype(np.int64)
        self.entry = np.full(self.n_persons, np.iinfo(np.int64).max)
        np.minimum.at(self.entry, self.person, self.start)
        self.exit = np.full(self.n_persons, np.iinfo(np.int64).min)
        np.maximum.at(self.exit, self.person, self.end)
        self._key = self.person * _KEY_SHIFT + (self.start - self.origin)

    def sample_dates(
        self, rng: np.random.Generator, who: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """A uniform covered day for each entry of ``who``; returns (date, segment)."""
        offset = (rng.random(len(who)) * self.total_days[who]).astype(np.int64)
        g = self.cum_start[self.first_seg[who]] + offset
        seg = np.searchsorted(self.cum_end, g, side="right")
        return self.start[seg] + (g - self.cum_start[seg]), seg

    def locate(self, who: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Segment index containing (person, day), or -1 when the day is not covered."""
        who, day = np.asarray(who, dtype=np.int64), np.asarray(day, dtype=np.int64)
        rel = np.clip(day - self.origin, -1, _KEY_SHIFT - 1)
        seg = np.searchsorted(self._key, who * _KEY_SHIFT + rel, side="right") - 1
        ok = (seg >= 0) & (rel >= 0)
        seg_c = np.maximum(seg, 0)
        ok &= (self.person[seg_c] == who) & (day <= self.end[seg_c])
        return np.where(ok, seg, -1)

    def covered(self, who: np.ndarray, day: np.ndarray) -> np.ndarray:
        return self.locate(who, day) >= 0

    def truncate_at(self, last_day: np.ndarray) -> None:
        """End coverage at a per-person last day (a death moved earlier)."""
        end = np.minimum(self.end, last_day[self.person])
        keep = self.start <= end
        self.person, self.start, self.end = self.person[keep], self.start[keep], end[keep]
        self._refresh()

    def person_days(self, lo: int | None = None, hi: int | None = None) -> np.ndarray:
        """Covered days per person, optionally restricted to [lo, hi]."""
        s = self.start if lo is None else np.maximum(self.start, lo)
        e = self.end if hi is None else np.minimum(self.end, hi)
        return np.bincount(self.person, weights=np.maximum(e - s + 1, 0), minlength=self.n_persons)


def build_coverage(
    rng: np.random.Generator,
    model: Model,
    pop: Population,
    start: int,
    end: int,
    protected: np.ndarray,
) -> Coverage:
    """Coverage from max(start, birth) to min(end, death), with late entries, early
    leavers, one gap, and adjacent splits. ``protected`` persons (prevalent ITP cases)
    get neither late entry nor a gap, so a washout rule sees their whole history."""
    p = model.coverage
    n = len(pop)
    entry = np.maximum(pop.birth, start)
    exit_ = np.minimum(pop.death, end)
    span = exit_ - entry

    late = (rng.random(n) < p["late_entry"]) & ~pop.born_in_period & ~protected
    entry = entry + np.where(late, np.floor(rng.random(n) * 0.7 * span), 0).astype(np.int64)
    early = rng.random(n) < p["early_leave"]
    exit_ = exit_ - np.where(early, np.floor(rng.random(n) * 0.7 * (exit_ - entry)), 0).astype(
        np.int64
    )

    lo, hi = p["gap_days"]
    gap_len = rng.integers(lo, hi + 1, size=n)
    room = exit_ - entry + 1 - gap_len - 60
    gap = (rng.random(n) < p["gap"]) & ~protected & (room > 0)
    gap_start = entry + 30 + np.floor(rng.random(n) * np.maximum(room, 0)).astype(np.int64)
    first_end = np.where(gap, gap_start - 1, exit_)

    # split the first segment into two touching rows
    first_len = first_end - entry
    split = (rng.random(n) < p["adjacent_split"]) & (first_len >= 2)
    cut = entry + 1 + np.floor(rng.random(n) * np.maximum(first_len - 1, 0)).astype(np.int64)

    ids = np.arange(n, dtype=np.int64)
    g, s = ids[gap], ids[split]
    person = np.concatenate([ids, g, s])
    seg_start = np.concatenate([entry, (gap_start + gap_len)[gap], cut[split]])
    seg_end = np.concatenate([np.where(split, cut - 1, first_end), exit_[gap], first_end[split]])
    order = np.lexsort((seg_start, person))
    return Coverage(person[order], seg_start[order], seg_end[order], n, start)
