"""Background claims of every person (ITP or not): community and hospital dispensings,
hospital stays with their diagnoses and acts, ALD registrations, outpatient codes.
All dates are drawn uniformly over covered days, so nothing falls outside coverage."""

from __future__ import annotations

import numpy as np

from . import events as ev
from .coverage import Coverage
from .model import (
    COMMUNITY,
    HOSP_ASSOCIATED,
    HOSP_PRIMARY,
    HOSP_RELATED,
    HOSPITAL,
    LONG_TERM_DISEASE,
    OUTPATIENT,
    Model,
)
from .population import DAYS_PER_YEAR, Population


def generate_background(
    rng: np.random.Generator, model: Model, pop: Population, cov: Coverage
) -> dict[str, ev.Events]:
    n = len(pop)
    years = cov.total_days / DAYS_PER_YEAR
    # age at the middle of the person's coverage drives the person's care intensity
    age_mid = ((cov.entry + cov.exit) / 2 - pop.birth) / DAYS_PER_YEAR
    # a person-level frailty (gamma, mean 1) shared by drugs and stays: heavy users
    # of pharmacies are also the ones admitted to hospital
    frailty = rng.gamma(model.frailty_shape, 1.0 / model.frailty_shape, size=n)

    disp = [
        _dispensings(rng, model, cov, model.dispensing_rate(age_mid) * years * frailty, COMMUNITY)
    ]
    disp.append(_dispensings(rng, model, cov, model.hospital_disp_per_py * years, HOSPITAL))
    stays, diags, procs = _stays(rng, model, cov, model.stay_rate(age_mid) * years * frailty)
    diags.append(_ald(rng, model, pop, cov, age_mid))
    diags.append(_outpatient(rng, model, cov, model.outpatient_per_py * years))
    return {
        "dispensings": ev.concat(disp, ev.DISPENSING_COLS),
        "diagnoses": ev.concat(diags, ev.DIAGNOSIS_COLS),
        "procedures": procs,
        "hospital_stays": stays,
    }


def _who(rng: np.random.Generator, mean: np.ndarray) -> np.ndarray:
    counts = rng.poisson(mean)
    return np.repeat(np.arange(len(mean), dtype=np.int64), counts)


def _dispensings(rng, model: Model, cov: Coverage, mean: np.ndarray, setting: int) -> ev.Events:
    """Background dispensings of one setting: who, when (inside coverage), what, how much."""
    atc_pool, quantity = (
        (model.community_atc, model.boxes)
        if setting == COMMUNITY
        else (model.hospital_atc, model.hospital_quantity)
    )
    who = _who(rng, mean)
    date, _ = cov.sample_dates(rng, who)
    atc = atc_pool.sample(rng, len(who))
    return ev.make(
        ev.DISPENSING_COLS,
        person=who,
        date=date,
        atc=atc,
        product=model.product_for(rng, atc, setting),
        setting=setting,
        quantity=quantity.sample(rng, len(who)),
    )


def _stays(rng, model: Model, cov: Coverage, mean: np.ndarray):
    who = _who(rng, mean)
    m = len(who)
    admission, seg = cov.sample_dates(rng, who)
    los = rng.geometric(1.0 / (model.mean_los + 1.0), size=m) - 1
    # a stay never outlives the coverage segment (death or leaving the scheme)
    discharge = np.minimum(admission + los, cov.end[seg])
    stay = np.arange(m, dtype=np.int64)
    stays = ev.make(ev.STAY_COLS, stay=stay, person=who, admission=admission, discharge=discharge)

    diags = [
        ev.make(
            ev.DIAGNOSIS_COLS,
            person=who,
            date=admission,
            code=model.primary_codes.sample(rng, m),
            setting=HOSP_PRIMARY,
            stay=stay,
            end=ev.OPEN,
        )
    ]
    rel = rng.random(m) < model.related_prob
    diags.append(
        ev.make(
            ev.DIAGNOSIS_COLS,
            person=who[rel],
            date=admission[rel],
            code=model.secondary_codes.sample(rng, int(rel.sum())),
            setting=HOSP_RELATED,
            stay=stay[rel],
            end=ev.OPEN,
        )
    )
    k = model.associated_count.sample(rng, m).astype(np.int64)
    idx = np.repeat(stay, k)
    diags.append(
        ev.make(
            ev.DIAGNOSIS_COLS,
            person=who[idx],
            date=admission[idx],
            code=model.secondary_codes.sample(rng, len(idx)),
            setting=HOSP_ASSOCIATED,
            stay=idx,
            end=ev.OPEN,
        )
    )
    has_act = rng.random(m) < model.procedure_prob
    procs = ev.make(
        ev.PROCEDURE_COLS,
        person=who[has_act],
        date=admission[has_act],
        code=model.procedure_codes.sample(rng, int(has_act.sum())),
        stay=stay[has_act],
    )
    return stays, diags, procs


def _ald(rng, model: Model, pop: Population, cov: Coverage, age_mid: np.ndarray) -> ev.Events:
    """ALD registrations: intervals [date, end] (end OPEN = open-ended). Most start on a
    covered day; a share of those of persons born before their first covered day started
    before it (up to ald_before_entry_max_days earlier) and still hold on it."""
    n = len(age_mid)
    has = rng.random(n) < model.ald_prob(age_mid)
    count = has.astype(np.int64) + (has & (rng.random(n) < model.ald_second_prob))
    who = np.repeat(np.arange(n, dtype=np.int64), count)
    date, _ = cov.sample_dates(rng, who)
    duration = model.ald_duration.sample(rng, len(who)).astype(np.int64)  # 0 = open
    entry = cov.entry[who]
    early = (rng.random(len(who)) < model.ald_before_entry) & (pop.birth[who] < entry)
    # a start in [entry - reach, entry - 1] so that the registration holds on entry
    reach = np.where(duration > 0, duration - 1, model.ald_before_entry_max_days)
    reach = np.minimum(np.minimum(reach, model.ald_before_entry_max_days), entry - pop.birth[who])
    early &= reach >= 1
    before = entry - 1 - np.floor(rng.random(len(who)) * np.maximum(reach, 1)).astype(np.int64)
    date = np.where(early, before, date)
    end = np.where(duration > 0, date + duration - 1, ev.OPEN)
    return ev.make(
        ev.DIAGNOSIS_COLS,
        person=who,
        date=date,
        code=model.ald_codes.sample(rng, len(who)),
        setting=LONG_TERM_DISEASE,
        stay=-1,
        end=end,
    )


def _outpatient(rng, model: Model, cov: Coverage, mean: np.ndarray) -> ev.Events:
    who = _who(rng, mean)
    date, _ = cov.sample_dates(rng, who)
    return ev.make(
        ev.DIAGNOSIS_COLS,
        person=who,
        date=date,
        code=model.outpatient_codes.sample(rng, len(who)),
        setting=OUTPATIENT,
        stay=-1,
        end=ev.OPEN,
    )
