"""Chronic comorbidities and background drug use (generator 1.7): the Charlson conditions
(Quan 2005 ICD-10 codes), hypertension, and autoimmune conditions in excess among primary
ITP cases, each with an onset date, recorded as French claims record them (associated
diagnoses on hospital stays, extra stays, open-ended ALD registrations), and the drugs
that treat them dispensed month after month. Everything is drawn from the chunk's own
comorbidity stream after every other draw, so no earlier row or truth moves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import events as ev
from .vocabulary import (
    COMMUNITY,
    DAYS_PER_YEAR,
    HOSP_ASSOCIATED,
    HOSP_PRIMARY,
    LONG_TERM_DISEASE,
    Pool,
    day_number,
)

REPORT_BANDS = (0, 18, 40, 60, 75)  # age bands (at the reference date) of the ground truth


@dataclass
class Condition:
    name: str
    charlson: list[str]
    lowers: np.ndarray  # age band lowers
    prevalence: np.ndarray  # bands x sex
    prevalent_share: float
    codes: Pool
    code_ids: np.ndarray
    das_prob: float
    stays_per_py: float
    ald_prob: float
    itp_rate_ratio: float

    def prob(self, age: np.ndarray, sex: np.ndarray) -> np.ndarray:
        band = np.searchsorted(self.lowers, np.maximum(age, 0.0), side="right") - 1
        return self.prevalence[band, sex]


@dataclass
class Drug:
    name: str
    atc: np.ndarray  # vocabulary indices of the alternatives
    weight: np.ndarray
    market: np.ndarray  # first day each alternative may start
    indications: list[tuple[int, float]]  # (condition index, share treated)
    by_age: tuple[np.ndarray, np.ndarray] | None
    interval: tuple[int, int]
    persistence_days: float
    prevalent_share: float


@dataclass
class ComorbidityModel:
    raw: dict[str, Any]
    conditions: list[Condition] = field(default_factory=list)
    drugs: list[Drug] = field(default_factory=list)

    @classmethod
    def build(cls, raw: dict[str, Any], model) -> ComorbidityModel:
        out = cls(raw)
        out.lookback_days = round(float(raw["onset_lookback_years"]) * DAYS_PER_YEAR)
        out.stay_primary = Pool.build(model.dx, raw["stay_primary_codes"])
        out.stay_mean_los = float(raw["stay_mean_los"])
        out.ald_delay = tuple(int(x) for x in raw["ald_delay_days"])
        out.drug_lag = tuple(int(x) for x in raw["drug_lag_days"])
        names = {}
        for name, c in raw["conditions"].items():
            prev = np.array(c["prevalence"], dtype=np.float64)
            if prev[0, 0] != 0 or (np.diff(prev[:, 0]) <= 0).any():
                raise ValueError(f"comorbidity {name}: age bands must start at 0 and increase")
            if (prev[:, 1:] < 0).any() or (prev[:, 1:] > 1).any():
                raise ValueError(f"comorbidity {name}: prevalences must be in [0, 1]")
            pool = Pool.build(model.dx, c["codes"])
            names[name] = len(out.conditions)
            out.conditions.append(
                Condition(
                    name=str(name),
                    charlson=[str(x) for x in c.get("charlson", [])],
                    lowers=prev[:, 0],
                    prevalence=prev[:, 1:3],
                    prevalent_share=float(c["prevalent_share"]),
                    codes=pool,
                    code_ids=np.unique(pool.items),
                    das_prob=float(c["das_prob"]),
                    stays_per_py=float(c["stays_per_py"]),
                    ald_prob=float(c["ald_prob"]),
                    itp_rate_ratio=float(c.get("itp_rate_ratio", 1.0)),
                )
            )
        for name, d in raw["drugs"].items():
            atc = [model.atc.add(str(a)) for a, _, _ in d["atc"]]
            for i, (a, _, _) in enumerate(d["atc"]):
                model.products.register(atc[i], str(a), COMMUNITY, 2)
            by_age = None
            if "by_age" in d:
                rows = np.array(d["by_age"], dtype=np.float64)
                by_age = (rows[:, 0], rows[:, 1])
            out.drugs.append(
                Drug(
                    name=str(name),
                    atc=np.array(atc, dtype=np.int32),
                    weight=np.array([float(w) for _, w, _ in d["atc"]]),
                    market=np.array([day_number(m) for _, _, m in d["atc"]], dtype=np.int64),
                    indications=[(names[c], float(s)) for c, s in d.get("indications", [])],
                    by_age=by_age,
                    interval=(int(d["interval_days"][0]), int(d["interval_days"][1])),
                    persistence_days=float(d["persistence_years"]) * DAYS_PER_YEAR,
                    prevalent_share=float(d.get("prevalent_share", 0.7)),
                )
            )
        return out

    def emitted_dx(self, model) -> list[str]:
        codes = {model.dx.codes[i] for c in self.conditions for i in c.code_ids}
        codes |= {model.dx.codes[i] for i in self.stay_primary.items}
        return sorted(codes)

    def emitted_atc(self, model) -> list[str]:
        return sorted({model.atc.codes[i] for d in self.drugs for i in d.atc})


def reference_day(start: int, end: int) -> int:
    """The reference date of the ground truth: the period's middle day."""
    return start + (end - start) // 2


def _band(age: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.array(REPORT_BANDS, dtype=float), np.maximum(age, 0), "right") - 1


@dataclass
class ChunkComorbidities:
    claims: dict[str, ev.Events]  # dispensings, diagnoses (stay = global id or -1)
    new_stays: ev.Events  # stays to number at the end (stay = chunk-local index)
    new_stay_dx: ev.Events  # their diagnoses (stay = chunk-local index)
    has: np.ndarray  # persons x conditions
    onset: np.ndarray  # persons x conditions (valid where has)
    prob: np.ndarray  # persons x conditions, probability without the ITP excess
    prob_itp: np.ndarray  # persons x conditions, probability used
    on_drug: np.ndarray  # persons x drugs: episode [start, stop]
    drug_start: np.ndarray
    drug_stop: np.ndarray


def generate_comorbidities(
    rng: np.random.Generator,
    cm: ComorbidityModel,
    model,
    pop,
    cov,
    primary_itp: np.ndarray,
    stays: ev.Events,
    start: int,
    end: int,
) -> ChunkComorbidities:
    n, k = len(pop), len(cm.conditions)
    ref = reference_day(start, end)
    age_ref = (ref - pop.birth) / DAYS_PER_YEAR
    sex = pop.sex.astype(np.int64)
    u = rng.random((n, k))
    v = rng.random((n, k))
    w = rng.random((n, k))
    prob = np.column_stack([c.prob(age_ref, sex) for c in cm.conditions])
    rr = np.array([c.itp_rate_ratio for c in cm.conditions])
    prob_itp = np.where(primary_itp[:, None], np.minimum(prob * rr, 1.0), prob)
    has = u < prob_itp
    share = np.array([c.prevalent_share for c in cm.conditions])
    before = start - 1 - np.floor(w * cm.lookback_days).astype(np.int64)
    during = start + np.floor(w * (end - start + 1)).astype(np.int64)
    onset = np.maximum(np.where(v < share, before, during), pop.birth[:, None])

    person, cond = np.nonzero(has)  # person-major order
    t0 = onset[person, cond]
    diags = []

    # (a) associated diagnoses on the person's existing stays after onset
    order = np.argsort(person, kind="stable")
    p_sorted = person[order]
    lo = np.searchsorted(p_sorted, stays["person"], "left")
    hi = np.searchsorted(p_sorted, stays["person"], "right")
    count = hi - lo
    s_idx = np.repeat(np.arange(len(count)), count)
    pair = order[
        np.repeat(lo, count) + (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count))
    ]
    das = np.array([c.das_prob for c in cm.conditions])
    keep = (stays["admission"][s_idx] >= t0[pair]) & (rng.random(len(pair)) < das[cond[pair]])
    s_idx, pair = s_idx[keep], pair[keep]
    diags.append(
        ev.make(
            ev.DIAGNOSIS_COLS,
            person=person[pair],
            date=stays["admission"][s_idx],
            code=_codes(rng, cm, cond[pair]),
            setting=HOSP_ASSOCIATED,
            stay=stays["stay"][s_idx],
            end=ev.OPEN,
        )
    )

    # (b) extra stays after onset: thinning of a rate over the person's covered time
    rate = np.array([c.stays_per_py for c in cm.conditions])
    years = cov.total_days[person] / DAYS_PER_YEAR
    m = rng.poisson(rate[cond] * years)
    pair = np.repeat(np.arange(len(person)), m)
    admission, seg = cov.sample_dates(rng, person[pair])
    keep = admission >= t0[pair]
    los = rng.geometric(1.0 / (cm.stay_mean_los + 1.0), size=len(pair)) - 1
    discharge = np.minimum(admission + los, cov.end[seg])
    primary = cm.stay_primary.sample(rng, len(pair))
    assoc = _codes(rng, cm, cond[pair])
    pair, admission, discharge = pair[keep], admission[keep], discharge[keep]
    primary, assoc = primary[keep], assoc[keep]
    local = np.arange(len(pair), dtype=np.int64)
    new_stays = ev.make(
        ev.STAY_COLS, stay=local, person=person[pair], admission=admission, discharge=discharge
    )
    new_dx = ev.concat(
        [
            ev.make(
                ev.DIAGNOSIS_COLS,
                person=person[pair],
                date=admission,
                code=code,
                setting=setting,
                stay=local,
                end=ev.OPEN,
            )
            for code, setting in ((primary, HOSP_PRIMARY), (assoc, HOSP_ASSOCIATED))
        ],
        ev.DIAGNOSIS_COLS,
    )

    # (c) open-ended ALD registrations of the ALD-eligible conditions
    ald = np.array([c.ald_prob for c in cm.conditions])
    gets = rng.random(len(person)) < ald[cond]
    delay = rng.integers(cm.ald_delay[0], cm.ald_delay[1] + 1, size=len(person))
    a_date = t0 + delay
    a_code = _codes(rng, cm, cond)
    entry = cov.entry[person]
    held = (a_date < entry) & (entry < np.iinfo(np.int64).max)
    ok = gets & (a_date <= end) & (cov.covered(person, np.minimum(a_date, end)) | held)
    diags.append(
        ev.make(
            ev.DIAGNOSIS_COLS,
            person=person[ok],
            date=a_date[ok],
            code=a_code[ok],
            setting=LONG_TERM_DISEASE,
            stay=-1,
            end=ev.OPEN,
        )
    )

    # (d) drugs
    disp, on_drug, d_start, d_stop = _drugs(
        rng, cm, model, pop, cov, has, onset, age_ref, start, end
    )
    return ChunkComorbidities(
        claims={
            "dispensings": disp,
            "diagnoses": ev.concat(diags, ev.DIAGNOSIS_COLS),
        },
        new_stays=new_stays,
        new_stay_dx=new_dx,
        has=has,
        onset=onset,
        prob=prob,
        prob_itp=prob_itp,
        on_drug=on_drug,
        drug_start=d_start,
        drug_stop=d_stop,
    )


def _codes(rng, cm: ComorbidityModel, cond: np.ndarray) -> np.ndarray:
    """One code per row from its condition's pool."""
    out = np.zeros(len(cond), dtype=np.int32)
    for i, c in enumerate(cm.conditions):
        sel = np.flatnonzero(cond == i)
        if len(sel):
            out[sel] = c.codes.sample(rng, len(sel))
    return out


def _drugs(rng, cm, model, pop, cov, has, onset, age_ref, start, end):
    n = len(pop)
    parts = []
    never = np.iinfo(np.int64).max
    on_drug = np.zeros((n, len(cm.drugs)), dtype=bool)
    d_start = np.full((n, len(cm.drugs)), never, dtype=np.int64)
    d_stop = np.full((n, len(cm.drugs)), never, dtype=np.int64)
    for j, d in enumerate(cm.drugs):
        untreated = np.ones(n)
        first = np.full(n, never, dtype=np.int64)
        for c, s in d.indications:
            untreated *= 1.0 - s * has[:, c]
            first = np.where(has[:, c], np.minimum(first, onset[:, c]), first)
        if d.by_age is not None:
            lowers, shares = d.by_age
            band = np.searchsorted(lowers, np.maximum(age_ref, 0), side="right") - 1
            untreated *= 1.0 - shares[band]
        u, v, w = rng.random(n), rng.random(n), rng.random(n)
        treated = u < 1.0 - untreated
        lag = rng.integers(cm.drug_lag[0], cm.drug_lag[1] + 1, size=n)
        # without an indicating condition: a start drawn as an onset is
        before = start - 1 - np.floor(w * cm.lookback_days).astype(np.int64)
        during = start + np.floor(w * (end - start + 1)).astype(np.int64)
        other = np.maximum(np.where(v < d.prevalent_share, before, during), pop.birth)
        begin = np.where(first < never, first + lag, other)
        stop = begin + np.ceil(rng.exponential(d.persistence_days, size=n)).astype(np.int64)
        choice = rng.random(n)
        interval_phase = rng.random(n)
        who = np.flatnonzero(treated & (begin <= end) & (stop >= start))
        on_drug[who, j] = True
        d_start[who, j], d_stop[who, j] = begin[who], stop[who]
        # one alternative per person among those marketed at the start of treatment
        marketed = d.market[None, :] <= np.maximum(begin[who], 0)[:, None]
        marketed[:, 0] |= ~marketed.any(axis=1)
        cw = np.cumsum(marketed * d.weight[None, :], axis=1)
        pick = (choice[who, None] * cw[:, -1:] >= cw).sum(axis=1)
        atc = d.atc[np.minimum(pick, len(d.atc) - 1)]
        lo, hi = d.interval
        first_fill = np.maximum(
            begin[who], start + np.floor(interval_phase[who] * lo).astype(np.int64)
        )
        last = np.minimum(stop[who], end)
        fills = np.maximum((last - first_fill) // lo + 1, 0)
        rows = np.repeat(np.arange(len(who)), fills)
        gaps = rng.integers(lo, hi + 1, size=len(rows))
        group_first = np.cumsum(fills) - fills
        gaps[group_first[fills > 0]] = 0
        csum = np.cumsum(gaps)
        date = first_fill[rows] + csum - np.repeat(csum[group_first[fills > 0]], fills[fills > 0])
        p = who[rows]
        keep = (date <= last[rows]) & cov.covered(p, date)
        p, date, a = p[keep], date[keep], atc[rows][keep]
        parts.append(
            ev.make(
                ev.DISPENSING_COLS,
                person=p,
                date=date,
                atc=a,
                product=model.product_for(rng, a, COMMUNITY),
                setting=COMMUNITY,
                quantity=1.0,
            )
        )
    return ev.concat(parts, ev.DISPENSING_COLS), on_drug, d_start, d_stop


class ComorbidityTotals:
    """Counts for ground_truth/comorbidities.json, summed chunk by chunk: at the reference
    date, the persons alive and covered (the denominator) by sex and age band, those with
    each condition (onset on or before it), the expected number under the model, those
    with a recorded code (hospital or ALD row of one of the condition's codes, any source)
    in the year before or any time before; per drug, those on treatment and those with a
    dispensing (any source) in the year before; and the primary ITP cases' conditions."""

    def __init__(self, cm: ComorbidityModel):
        b, k, j = len(REPORT_BANDS), len(cm.conditions), len(cm.drugs)
        self.cm = cm
        self.persons = np.zeros((b, 2), dtype=np.int64)
        self.with_condition = np.zeros((k, b, 2), dtype=np.int64)
        self.expected = np.zeros((k, b, 2))
        self.rec_year = np.zeros((k, b, 2), dtype=np.int64)
        self.rec_ever = np.zeros((k, b, 2), dtype=np.int64)
        self.treated = np.zeros((j, b, 2), dtype=np.int64)
        self.disp_year = np.zeros((j, b, 2), dtype=np.int64)
        self.itp_cases = 0
        self.itp_observed = np.zeros(k, dtype=np.int64)
        self.itp_expected_no_excess = np.zeros(k)
        self.itp_expected = np.zeros(k)
        self.itp_recorded = np.zeros(k, dtype=np.int64)
        self.pending = None  # the last chunk's draws, until its stays are kept

    def add(self, chunk, model, pop, cov, primary_itp, dx, disp, qualifying, start, end):
        cm, n = self.cm, len(pop)
        ref = reference_day(start, end)
        local = np.arange(n)
        alive = (pop.birth <= ref) & cov.covered(local, np.full(n, ref))
        band = _band((ref - pop.birth) / DAYS_PER_YEAR)
        sex = pop.sex.astype(np.int64)
        key = (band[alive], sex[alive])
        np.add.at(self.persons, key, 1)
        p_by_ref = np.array(
            [
                c.prevalent_share + (1 - c.prevalent_share) * (ref - start + 1) / (end - start + 1)
                for c in cm.conditions
            ]
        )
        qual = qualifying[dx["setting"]]
        is_ald = dx["setting"] == LONG_TERM_DISEASE
        last = np.where(is_ald, dx["end"], dx["date"])
        for i, c in enumerate(cm.conditions):
            got = chunk.has[:, i] & (chunk.onset[:, i] <= ref) & alive
            np.add.at(self.with_condition[i], (band[got], sex[got]), 1)
            np.add.at(self.expected[i], key, chunk.prob_itp[alive, i] * p_by_ref[i])
            rows = qual & np.isin(dx["code"], c.code_ids) & (dx["date"] <= ref)
            ever = np.zeros(n, dtype=bool)
            ever[dx["person"][rows]] = True
            year = np.zeros(n, dtype=bool)
            year[dx["person"][rows & (last >= ref - 365)]] = True
            for arr, flag in ((self.rec_ever, ever), (self.rec_year, year)):
                sel = flag & alive
                np.add.at(arr[i], (band[sel], sex[sel]), 1)
            # primary ITP cases: every one, whatever their status at the reference date
            if c.itp_rate_ratio != 1.0:
                self.itp_observed[i] += int((chunk.has[:, i] & primary_itp).sum())
                self.itp_expected_no_excess[i] += float(chunk.prob[primary_itp, i].sum())
                self.itp_expected[i] += float(chunk.prob_itp[primary_itp, i].sum())
                anyrow = qual & np.isin(dx["code"], c.code_ids)
                rec = np.zeros(n, dtype=bool)
                rec[dx["person"][anyrow]] = True
                self.itp_recorded[i] += int((rec & primary_itp).sum())
        self.itp_cases += int(primary_itp.sum())
        for j, d in enumerate(cm.drugs):
            on = (chunk.drug_start[:, j] <= ref) & (chunk.drug_stop[:, j] >= ref) & alive
            np.add.at(self.treated[j], (band[on], sex[on]), 1)
            rows = np.isin(disp["atc"], d.atc) & (disp["date"] <= ref) & (disp["date"] >= ref - 365)
            got = np.zeros(n, dtype=bool)
            got[disp["person"][rows]] = True
            got &= alive
            np.add.at(self.disp_year[j], (band[got], sex[got]), 1)

    def to_json(self, model, start, end) -> dict[str, Any]:
        from datetime import date, timedelta

        cm = self.cm
        ref = reference_day(start, end)
        epoch = date(1970, 1, 1)

        def cells(fn):
            out = []
            for b, lower in enumerate(REPORT_BANDS):
                for s, sex in enumerate(("M", "F")):
                    out.append({"age_lower": lower, "sex": sex, **fn(b, s)})
            return out

        conditions = {}
        for i, c in enumerate(cm.conditions):
            conditions[c.name] = {
                "charlson": c.charlson,
                "codes": sorted(model.dx.codes[x] for x in c.code_ids),
                "itp_rate_ratio": c.itp_rate_ratio,
                "persons_with_condition": int(self.with_condition[i].sum()),
                "expected_persons_with_condition": round(float(self.expected[i].sum()), 4),
                "persons_recorded_year_before": int(self.rec_year[i].sum()),
                "persons_recorded_any_time_before": int(self.rec_ever[i].sum()),
                "by_sex_age": cells(
                    lambda b, s, i=i: {
                        "persons": int(self.persons[b, s]),
                        "with_condition": int(self.with_condition[i, b, s]),
                        "expected": round(float(self.expected[i, b, s]), 4),
                        "recorded_year_before": int(self.rec_year[i, b, s]),
                        "recorded_any_time_before": int(self.rec_ever[i, b, s]),
                    }
                ),
            }
        drugs = {}
        for j, d in enumerate(cm.drugs):
            drugs[d.name] = {
                "atc": [model.atc.codes[x] for x in d.atc],
                "persons_on_treatment": int(self.treated[j].sum()),
                "persons_dispensed_year_before": int(self.disp_year[j].sum()),
                "by_sex_age": cells(
                    lambda b, s, j=j: {
                        "persons": int(self.persons[b, s]),
                        "on_treatment": int(self.treated[j, b, s]),
                        "dispensed_year_before": int(self.disp_year[j, b, s]),
                    }
                ),
            }
        itp = {
            "primary_cases": self.itp_cases,
            "conditions": {
                c.name: {
                    "itp_rate_ratio": c.itp_rate_ratio,
                    "with_condition": int(self.itp_observed[i]),
                    "expected_without_excess": round(float(self.itp_expected_no_excess[i]), 4),
                    "expected_with_excess": round(float(self.itp_expected[i]), 4),
                    "recorded": int(self.itp_recorded[i]),
                }
                for i, c in enumerate(cm.conditions)
                if c.itp_rate_ratio != 1.0
            },
        }
        return {
            "reference_date": (epoch + timedelta(days=ref)).isoformat(),
            "age_bands_lower": list(REPORT_BANDS),
            "denominator": "persons alive and covered on the reference date, age at it",
            "recorded_settings": "hospital_primary, hospital_related, hospital_associated, "
            "long_term_disease (an ALD counts in the year before when it holds in it)",
            "persons": int(self.persons.sum()),
            "model": cm.raw,
            "conditions": conditions,
            "drugs": drugs,
            "itp_primary_cases": itp,
        }
