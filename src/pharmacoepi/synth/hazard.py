"""Incidence hazards (ITP, multiple sclerosis): piecewise constant by 5-year age band and
sex, their cumulative integral over age, and first-onset sampling by thinning a Poisson
process."""

from __future__ import annotations

import numpy as np

from .model import Model
from .population import DAYS_PER_YEAR


class AgeSexHazard:
    def __init__(self, band_lower: np.ndarray, rate_per_100k: np.ndarray, multiplier: float):
        self.lower = band_lower
        self.upper = np.append(self.lower[1:], np.inf)
        # rate per person-year, band x sex, after the run's multiplier
        self.rate = rate_per_100k * float(multiplier) / 1e5
        widths = np.diff(self.lower)
        self.cum_at_lower = np.vstack([np.zeros(2), np.cumsum(self.rate[:-1] * widths[:, None], 0)])
        self.max_rate = self.rate.max(axis=0)  # per sex, the thinning envelope

    def rate_at(self, age: np.ndarray, sex: np.ndarray) -> np.ndarray:
        band = np.searchsorted(self.lower, age, side="right") - 1
        return self.rate[band, sex]

    def cumulative(self, age: np.ndarray, sex: np.ndarray) -> np.ndarray:
        """Integral of the hazard from age 0 to ``age`` (years)."""
        age = np.maximum(age, 0.0)
        band = np.searchsorted(self.lower, age, side="right") - 1
        return self.cum_at_lower[band, sex] + self.rate[band, sex] * (age - self.lower[band])

    def age_at_cumulative(self, target: np.ndarray, sex: np.ndarray) -> np.ndarray:
        """Inverse of ``cumulative``: the age (years) at which the integral of the hazard
        from age 0 reaches ``target`` (>= 0)."""
        cum = self.cum_at_lower[:, sex].T  # persons x bands
        band = (cum <= target[:, None]).sum(axis=1) - 1
        rate = self.rate[band, sex]
        return self.lower[band] + (target - self.cum_at_lower[band, sex]) / np.where(
            rate > 0, rate, np.inf
        )

    def expected_by_band(
        self, a0: np.ndarray, a1: np.ndarray, sex: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Expected onsets and person-years at risk per (band, sex) over age intervals
        [a0, a1) in years."""
        expected = np.zeros((len(self.lower), 2))
        py = np.zeros((len(self.lower), 2))
        for b in range(len(self.lower)):
            t = np.clip(np.minimum(a1, self.upper[b]) - np.maximum(a0, self.lower[b]), 0, None)
            for s in (0, 1):
                py[b, s] = t[sex == s].sum()
            expected[b] = py[b] * self.rate[b]
        return expected, py

    def first_onset(
        self,
        rng: np.random.Generator,
        who: np.ndarray,
        lo: np.ndarray,
        hi: np.ndarray,
        birth: np.ndarray,
        sex: np.ndarray,
        n_persons: int,
    ) -> np.ndarray:
        """First event of the age-dependent Poisson process over the (disjoint, per
        person) day intervals [lo, hi); returns a continuous day or inf per person.
        Candidates at the envelope rate are kept with probability rate(age)/envelope."""
        env = self.max_rate[sex[who]]
        k = rng.poisson(env * np.maximum(hi - lo, 0) / DAYS_PER_YEAR)
        idx = np.repeat(np.arange(len(who)), k)
        t = lo[idx] + rng.random(len(idx)) * (hi - lo)[idx]
        p = who[idx]
        age = (t - birth[p]) / DAYS_PER_YEAR
        keep = rng.random(len(idx)) * env[idx] < self.rate_at(age, sex[p])
        onset = np.full(n_persons, np.inf)
        np.minimum.at(onset, p[keep], t[keep])
        return onset


class ItpHazard(AgeSexHazard):
    def __init__(self, model: Model, multiplier: float):
        super().__init__(model.band_lower, model.itp_rate_per_100k, multiplier)
