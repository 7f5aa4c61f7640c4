"""Standardized mean differences (SMD) between two groups, from their summaries.

- continuous: (m1 - m2) / sqrt((s1^2 + s2^2) / 2), s the sample standard deviations;
- binary: (p1 - p2) / sqrt((p1 (1 - p1) + p2 (1 - p2)) / 2);
- categorical with k levels: one multivariate SMD, sqrt(T' S^-1 T), T the differences of
  the proportions of k - 1 levels and S the mean of the two groups' covariance matrices of
  those proportions (Yang D, Dalton JE. A unified approach to measuring the effect size
  between two groups using SAS. SAS Global Forum 2012, paper 335).
Zero variance on both sides: 0 when the summaries agree, else None (undefined; not an
error, not infinity). Austin PC, Stat Med 2009;28:3083-107 reviews the formulas.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

# below this, a variance (or a determinant) is zero: proportions come from counts, so
# true variances are far larger or exactly 0
_ZERO = 1e-12


def _ratio(difference: float, variance: float) -> float | None:
    if variance <= _ZERO:
        return 0.0 if abs(difference) <= _ZERO else None
    return difference / math.sqrt(variance)


def continuous(m1: float, s1: float | None, m2: float, s2: float | None) -> float | None:
    """None when a standard deviation is unknown (a group of one)."""
    if s1 is None or s2 is None or math.isnan(s1) or math.isnan(s2):
        return None
    return _ratio(m1 - m2, (s1 * s1 + s2 * s2) / 2)


def binary(p1: float, p2: float) -> float | None:
    return _ratio(p1 - p2, (p1 * (1 - p1) + p2 * (1 - p2)) / 2)


def categorical(p1: Sequence[float], p2: Sequence[float]) -> float | None:
    """p1, p2: each group's proportion in every level, in the same order (each adds up to
    1). Levels absent from both groups carry nothing and are dropped; one level of the
    rest is left out (the covariance of all k sums to zero); which one does not change
    the distance."""
    kept = [(a, b) for a, b in zip(p1, p2, strict=True) if a > 0 or b > 0]
    if len(kept) <= 1:
        return 0.0  # both groups wholly in one level
    a = np.array([k[0] for k in kept[1:]])
    b = np.array([k[1] for k in kept[1:]])
    t = a - b
    s = ((np.diag(a) - np.outer(a, a)) + (np.diag(b) - np.outer(b, b))) / 2
    if abs(np.linalg.det(s)) <= _ZERO**2:
        return 0.0 if np.all(np.abs(t) <= _ZERO) else None
    return float(math.sqrt(max(float(t @ np.linalg.solve(s, t)), 0.0)))


def pooled_rest(n_all: int, mean_all: float, sd_all: float | None, n: int, mean: float,
                sd: float | None) -> tuple[int, float, float | None]:  # fmt: skip
    """(n, mean, sd) of the persons of a whole group who are not in one of its levels,
    from the two summaries (sums and sums of squares recovered from them)."""
    rest = n_all - n
    if rest <= 0:
        return 0, math.nan, None
    total = n_all * mean_all - n * mean
    squares = ((n_all - 1) * (sd_all or 0.0) ** 2 + n_all * mean_all**2) - (
        (n - 1) * (sd or 0.0) ** 2 + n * mean**2
    )
    rest_mean = total / rest
    if rest < 2:
        return rest, rest_mean, None
    variance = max((squares - rest * rest_mean**2) / (rest - 1), 0.0)
    return rest, rest_mean, math.sqrt(variance)
