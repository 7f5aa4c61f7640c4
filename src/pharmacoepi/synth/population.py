"""Persons of one chunk: sex and birth date from the French pyramid (or born during the
period), and a death date drawn from a Gompertz hazard given age at entry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .vocabulary import DAYS_PER_YEAR

NO_DATE = np.iinfo(np.int32).max  # "no death" sentinel; written as null


@dataclass
class Population:
    person_id: np.ndarray  # int64, sequential within the chunk
    sex: np.ndarray  # int8, 0 = M, 1 = F
    birth: np.ndarray  # int64 days since 1970-01-01
    death: np.ndarray  # int64 days, NO_DATE when alive at the end of the period
    born_in_period: np.ndarray  # bool

    def __len__(self) -> int:
        return len(self.person_id)

    def age_at(self, day: np.ndarray | int, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        return (np.asarray(day) - self.birth[idx]) / DAYS_PER_YEAR


def sample_population(
    rng: np.random.Generator, model: Any, first_id: int, n: int, start: int, end: int
) -> Population:
    period_years = (end - start + 1) / DAYS_PER_YEAR
    # births during the period relative to the population present at start
    b = model.births_per_py * period_years
    born = rng.random(n) < b / (1.0 + b)

    # present at start: (band, sex) cell from the pyramid, age uniform in the band,
    # a decreasing triangle over 90+ (few centenarians)
    cells = rng.choice(model.pyramid.size, size=n, p=model.pyramid.ravel())
    band, sex = cells // 2, (cells % 2).astype(np.int8)
    u = rng.random(n)
    lower, width = model.band_lower[band], model.band_upper[band] - model.band_lower[band]
    last = band == len(model.band_lower) - 1
    age = np.where(last, lower + width * (1.0 - np.sqrt(1.0 - u)), lower + width * u)
    birth = start - np.floor(age * DAYS_PER_YEAR).astype(np.int64) - 1

    # newborns: uniform birth date in the period
    sex_born = (rng.random(n) >= model.male_at_birth).astype(np.int8)
    birth_born = start + (rng.random(n) * (end - start + 1)).astype(np.int64)
    sex = np.where(born, sex_born, sex)
    birth = np.where(born, birth_born, birth)
    birth = on_the_15th(birth, born, start, end)

    death = sample_death(rng, model, sex, birth, np.maximum(birth, start))
    death = np.where(death <= end, death, NO_DATE)
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    return Population(ids, sex, birth, death, born)


def on_the_15th(birth: np.ndarray, born: np.ndarray, start: int, end: int) -> np.ndarray:
    """Birth dates moved to the 15th of their month: SNDS records only the year and month
    of birth, and its adapter imputes the 15th, so the claims and SNDS layouts of one
    dataset hold the same birth dates. A person present at `start` stays born before it,
    a newborn inside [start, end]: the 15th of the next or previous month when needed
    (the original day is kept only when the period holds no 15th at all)."""
    month = birth.astype("datetime64[D]").astype("datetime64[M]")

    def fifteenth(shift: int) -> np.ndarray:
        first = (month + np.timedelta64(shift, "M")).astype("datetime64[D]")
        return (first + np.timedelta64(14, "D")).astype(np.int64)

    moved, previous, following = fifteenth(0), fifteenth(-1), fifteenth(1)
    present = np.where(moved < start, moved, previous)
    newborn = np.where(moved < start, following, np.where(moved > end, previous, moved))
    newborn = np.where((newborn >= start) & (newborn <= end), newborn, birth)
    return np.where(born, newborn, present).astype(birth.dtype)


def sample_death(
    rng: np.random.Generator, model: Any, sex: np.ndarray, birth: np.ndarray, entry: np.ndarray
) -> np.ndarray:
    """Inverse cumulative Gompertz hazard, conditional on being alive at ``entry``:
    H(x) = a/b (exp(b x) - 1), so x_death = log(exp(b x0) + E b / a) / b, E ~ Exp(1)."""
    a, b = model.gompertz_a[sex], model.gompertz_b[sex]
    x0 = (entry - birth) / DAYS_PER_YEAR
    e = rng.standard_exponential(len(sex))
    x = np.log(np.exp(b * x0) + e * b / a) / b
    return entry + np.floor((x - x0) * DAYS_PER_YEAR).astype(np.int64)
