"""Neuromyelitis optica spectrum disorder (NMOSD, ICD-10 G36): a near miss for multiple
sclerosis. A few persons alive at the period start (never MS cases) with G36 hospital
stays, some of which also carry G35 as an associated diagnosis (coding confusion). They
never get an MS ALD nor an MS DMT: the published SNDS MS algorithm excludes NMOSD stays
(review L20). Runs on its own random stream (generate.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import events as ev
from .coverage import Coverage
from .events import OPEN
from .model import HOSP_ASSOCIATED, HOSP_PRIMARY, Model
from .population import DAYS_PER_YEAR, Population


@dataclass
class NmosdPerson:
    person: int  # local index
    with_g35: bool  # G35 coded (associated) in some of the person's stays


def sample_nmosd(
    rng: np.random.Generator,
    model: Model,
    multiplier: float,
    pop: Population,
    start: int,
    excluded: np.ndarray,
) -> np.ndarray:
    """Persons with NMOSD: alive at ``start`` with the age-sex prevalence (x multiplier),
    never among ``excluded`` (the MS cases)."""
    n = len(pop)
    age = np.maximum((start - pop.birth) / DAYS_PER_YEAR, 0.0)
    band = model.itp_band(age)
    p = np.minimum(model.nmosd_prevalence_per_100k[band, pop.sex] * float(multiplier) / 1e5, 1.0)
    return (rng.random(n) < p) & (pop.birth < start) & ~excluded


def generate_nmosd_claims(
    rng: np.random.Generator,
    model: Model,
    pop: Population,
    cov: Coverage,
    persons: np.ndarray,
    start: int,
) -> tuple[dict[str, ev.Events], list[NmosdPerson]]:
    """G36 stays (primary) from a first one within first_stay_within_days of ``start``,
    then every stay_interval_days to the end of coverage; for g35_share of the persons,
    G35 associated in the first stay and in each later one with probability g35_per_stay.
    Rows are not yet filtered by coverage."""
    p = model.nmosd
    stays: list[tuple] = []
    dx: list[tuple] = []
    out = []
    lo, hi = (int(x) for x in p["stay_interval_days"])
    for person in np.flatnonzero(persons).tolist():
        with_g35 = bool(rng.random() < p["g35_share"])
        out.append(NmosdPerson(person, with_g35))
        horizon = int(cov.exit[person])
        d = start + int(rng.integers(0, int(p["first_stay_within_days"])))
        first = True
        while d <= horizon:
            sid = len(stays)
            stays.append((sid, person, d, d + int(rng.geometric(0.4) - 1)))
            dx.append((person, d, model.nmosd_codes.one(rng), HOSP_PRIMARY, sid, OPEN))
            if with_g35 and (first or rng.random() < p["g35_per_stay"]):
                dx.append((person, d, model.ms_code, HOSP_ASSOCIATED, sid, OPEN))
            first = False
            d += int(rng.integers(lo, hi + 1))
    return ev.claim_tables(rng, model, [], dx, [], stays), out
