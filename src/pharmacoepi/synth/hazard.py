"""Incidence hazards (ITP, multiple sclerosis): piecewise constant by 5-year age band and
sex, times an optional seasonal factor 1 + a cos(2 pi (t - peak) / 365.25) of calendar
time (ITP), their integrals, and first-onset sampling by thinning a Poisson process."""

from __future__ import annotations

import numpy as np

from .model import Model
from .population import DAYS_PER_YEAR


class SeasonGrid:
    """The seasonal factor integrated day by day over [first, last + 1): cum[k, m] is the
    integral of s(t) over [first, first + k) restricted to calendar month m + 1 (in days).
    Within a day the factor is taken as its mean over that day (the error is of the order
    of a * (2 pi / 365.25)^2, far below sampling noise)."""

    def __init__(self, first: int, last: int, amplitude: float, peak: float):
        days = np.arange(first, last + 1, dtype=np.int64)
        w = 2 * np.pi / DAYS_PER_YEAR
        # exact integral of 1 + a cos(w (t - peak)) over [d, d + 1)
        per_day = 1.0 + amplitude / w * (np.sin(w * (days + 1 - peak)) - np.sin(w * (days - peak)))
        month = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12
        self.first = first
        self.day_month = np.zeros((len(days), 12))
        self.day_month[np.arange(len(days)), month] = per_day
        self.cum = np.vstack([np.zeros(12), np.cumsum(self.day_month, axis=0)])

    def at(self, t: np.ndarray) -> np.ndarray:
        """Integral from ``first`` to each continuous day t (clipped to the grid), by month."""
        x = np.clip(np.asarray(t, dtype=float) - self.first, 0.0, float(len(self.day_month)))
        k = np.minimum(np.floor(x).astype(np.int64), len(self.day_month) - 1)
        return self.cum[k] + (x - k)[:, None] * self.day_month[k]


class AgeSexHazard:
    def __init__(
        self,
        band_lower: np.ndarray,
        rate_per_100k: np.ndarray,
        multiplier: float,
        amplitude: float = 0.0,
        peak: float = 0.0,
    ):
        self.lower = band_lower
        self.upper = np.append(self.lower[1:], np.inf)
        # rate per person-year, band x sex, after the run's multiplier
        self.rate = rate_per_100k * float(multiplier) / 1e5
        widths = np.diff(self.lower)
        self.cum_at_lower = np.vstack([np.zeros(2), np.cumsum(self.rate[:-1] * widths[:, None], 0)])
        self.amplitude, self.peak = float(amplitude), float(peak)
        # per sex, the thinning envelope (the seasonal factor is at most 1 + amplitude)
        self.max_rate = self.rate.max(axis=0) * (1.0 + self.amplitude)

    def season(self, t: np.ndarray) -> np.ndarray:
        """The seasonal factor at continuous day t (days since 1970); mean 1 over a year."""
        if not self.amplitude:
            return np.ones(np.shape(t))
        phase = 2 * np.pi * (np.asarray(t) - self.peak) / DAYS_PER_YEAR
        return 1.0 + self.amplitude * np.cos(phase)

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
        rate = self.rate_at(age, sex[p])
        if self.amplitude:
            rate = rate * self.season(t)
        keep = rng.random(len(idx)) * env[idx] < rate
        onset = np.full(n_persons, np.inf)
        np.minimum.at(onset, p[keep], t[keep])
        return onset

    def expected_seasonal(
        self,
        t0: np.ndarray,
        t1: np.ndarray,
        birth: np.ndarray,
        sex: np.ndarray,
        grid: SeasonGrid,
        window: tuple[int, int] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Expected onsets over the continuous day intervals [t0, t1) under the seasonal
        hazard: by (band, sex), person-years at risk by (band, sex), expected onsets by
        calendar month (12), and by calendar month inside ``window`` (days [w0, w1],
        inclusive; zeros when None)."""
        n_bands = len(self.lower)
        expected, py = np.zeros((n_bands, 2)), np.zeros((n_bands, 2))
        by_month, in_window = np.zeros(12), np.zeros(12)
        a0, a1 = (t0 - birth) / DAYS_PER_YEAR, (t1 - birth) / DAYS_PER_YEAR
        for b in range(n_bands):
            x0, x1 = np.maximum(a0, self.lower[b]), np.minimum(a1, self.upper[b])
            sel = np.flatnonzero(x1 > x0)
            if not len(sel):
                continue
            s0 = birth[sel] + x0[sel] * DAYS_PER_YEAR
            s1 = birth[sel] + x1[sel] * DAYS_PER_YEAR
            rate = self.rate[b, sex[sel]] / DAYS_PER_YEAR  # per day
            months = (grid.at(s1) - grid.at(s0)) * rate[:, None]
            by_month += months.sum(axis=0)
            for s in (0, 1):
                mine = sex[sel] == s
                py[b, s] = (x1[sel][mine] - x0[sel][mine]).sum()
                expected[b, s] = months[mine].sum()
            if window is not None:
                w0, w1 = np.maximum(s0, window[0]), np.minimum(s1, window[1] + 1)
                w1 = np.maximum(w1, w0)
                in_window += ((grid.at(w1) - grid.at(w0)) * rate[:, None]).sum(axis=0)
        return expected, py, by_month, in_window


class ItpHazard(AgeSexHazard):
    def __init__(self, model: Model, multiplier: float):
        super().__init__(
            model.band_lower,
            model.itp_rate_per_100k,
            multiplier,
            model.itp_season_amplitude,
            model.itp_season_peak,
        )
