"""Chunked driver: for each block of ``chunk_size`` persons, sample the population,
coverage, ITP onsets and claims, enforce the ground-truth consistency rules, add the
multiple sclerosis cases and their claims (own random stream) and the NMOSD near misses
(another stream), and append the rows to the parquet tables; draw the ITP cases' safety
outcomes (a fourth stream), kept aside and written after every chunk's rows with the last
stay ids; then write the ground truth."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from . import events as ev
from .background import generate_background
from .comorbidities import ComorbidityTotals, generate_comorbidities
from .config import SynthConfig
from .coverage import build_coverage
from .ground_truth import (
    CaseTable,
    ItpTreatmentTable,
    MsTable,
    NmosdTable,
    OutcomeTable,
    completed_years,
    write_ground_truth,
)
from .hazard import ItpHazard, SeasonGrid
from .itp import generate_case_claims
from .model import DISP_SETTINGS, DX_SETTINGS, LONG_TERM_DISEASE, SEXES, Model, load_model
from .ms import generate_ms_claims, ms_hazard, recorded_episodes, sample_onsets
from .nmosd import generate_nmosd_claims, sample_nmosd
from .outcomes import OutcomeStays, inject_outcomes
from .population import DAYS_PER_YEAR, NO_DATE, sample_population
from .writer import TableWriters, categories, dates, ints

# 1.2: census; 1.3: births on the 15th; 1.4: event tables by year; 1.5: ALD intervals
# (diagnoses.end_date), ITP seasonality, background corticosteroids kept before the
# diagnosis and the back-dated index date in the truth, splenectomy ~10%, secondary
# causes after T, anti-D, MS treated ~50%, DMT market dates and ATC changes per date,
# induction regimens, NMOSD (issue 14); 1.6: ITP safety outcomes (thrombosis, serious
# infection) with known rates on and off exposure; 1.7: chronic comorbidities (Charlson
# conditions, hypertension, autoimmune excess of primary ITP cases) and background drug
# use, from a fifth stream, every earlier row and truth unchanged
GENERATOR_VERSION = "1.7.0"
EPOCH = date(1970, 1, 1)
FAITH_WINDOW = (date(2009, 7, 1), date(2011, 6, 30))
QUALIFYING = np.array([s != "outpatient" for s in DX_SETTINGS])


def day(d: date) -> int:
    return (d - EPOCH).days


class _Totals:
    """Per-run sums for summary.json (accumulated in chunk order: deterministic)."""

    def __init__(self, n_bands: int):
        self.py = 0.0
        self.py_window = 0.0
        self.onsets = 0
        self.onsets_window = 0
        self.prevalent = 0
        self.expected = np.zeros((n_bands, 2))
        self.py_at_risk = np.zeros((n_bands, 2))
        self.observed = np.zeros((n_bands, 2), dtype=np.int64)
        # seasonality: expected and observed incident onsets by calendar month (Jan first)
        self.expected_month = np.zeros(12)
        self.observed_month = np.zeros(12, dtype=np.int64)
        self.expected_month_window = np.zeros(12)
        self.observed_month_window = np.zeros(12, dtype=np.int64)
        self.itp_prevalent_ald_before_start = 0
        # multiple sclerosis
        self.ms_alive_at_start = 0
        self.ms_covered_at_start = 0
        self.ms_prevalent = 0
        self.ms_prevalent_covered_at_start = 0
        self.ms_expected_prevalent = 0.0
        self.ms_onsets = 0
        self.ms_expected = np.zeros((n_bands, 2))
        self.ms_py_at_risk = np.zeros((n_bands, 2))
        self.ms_prevalent_ald_before_start = 0


def generate(
    cfg: SynthConfig, out_dir: Path, progress: Callable[[int, int], None] | None = None
) -> dict[str, Any]:
    if not isinstance(cfg, SynthConfig):
        raise TypeError("cfg must be a SynthConfig")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = load_model(cfg.model)
    hazard = ItpHazard(model, cfg.itp_multiplier)
    ms_haz = ms_hazard(model, cfg.ms_multiplier)
    start, end = day(cfg.start), day(cfg.end)
    window = None
    if cfg.start <= FAITH_WINDOW[0] and FAITH_WINDOW[1] <= cfg.end:
        window = (day(FAITH_WINDOW[0]), day(FAITH_WINDOW[1]))
    dicts = _dictionaries(model)
    writers = TableWriters(out_dir)
    totals = _Totals(len(model.band_lower))
    grid = SeasonGrid(start, end, hazard.amplitude, hazard.peak)
    cases = CaseTable()
    itp_treatments = ItpTreatmentTable()
    ms = MsTable()
    nmosd = NmosdTable()
    outcomes = OutcomeTable()
    outcome_stays = OutcomeStays()
    comorb_stays = OutcomeStays()  # the comorbidity stays, numbered after the outcome stays
    comorb = None if model.comorbidities is None else ComorbidityTotals(model.comorbidities)
    next_stay_id = 1
    try:
        for index, first in enumerate(range(0, cfg.persons, cfg.chunk_size)):
            n = min(cfg.chunk_size, cfg.persons - first)
            rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, index]))
            # multiple sclerosis draws from its own stream: the ITP part is unchanged by it
            ms_rng = np.random.default_rng(
                np.random.SeedSequence([cfg.seed, index], spawn_key=(1,))
            )
            nmosd_rng = np.random.default_rng(
                np.random.SeedSequence([cfg.seed, index], spawn_key=(2,))
            )
            # the safety outcomes too: every other draw is as without them
            outcome_rng = np.random.default_rng(
                np.random.SeedSequence([cfg.seed, index], spawn_key=(3,))
            )
            # comorbidities and background drugs (1.7): drawn last, from a fifth stream
            comorb_rng = np.random.default_rng(
                np.random.SeedSequence([cfg.seed, index], spawn_key=(4,))
            )
            next_stay_id = _chunk(
                rng,
                ms_rng,
                nmosd_rng,
                outcome_rng,
                grid,
                model,
                hazard,
                ms_haz,
                cfg,
                first + 1,
                n,
                start,
                end,
                window,
                dicts,
                writers,
                totals,
                cases,
                itp_treatments,
                ms,
                nmosd,
                outcomes,
                outcome_stays,
                next_stay_id,
                comorb_rng,
                comorb,
                comorb_stays,
            )
            if progress is not None:
                progress(first + n, cfg.persons)
        _write_outcome_stays(writers, dicts, outcome_stays, next_stay_id)
        _write_outcome_stays(writers, dicts, comorb_stays, next_stay_id + outcome_stays.n_stays)
    finally:
        writers.close()
    summary = _finish(
        cfg, model, hazard, out_dir, writers.rows, totals, cases, itp_treatments, ms, nmosd, window
    )
    study_period = None if window is None else tuple(d.isoformat() for d in FAITH_WINDOW)
    outcomes.write(out_dir / "ground_truth", model, next_stay_id, study_period)
    if comorb is not None:
        truth = comorb.to_json(model, start, end)
        truth["comorbidity_stay_ids_from"] = next_stay_id + outcome_stays.n_stays
        with (out_dir / "ground_truth" / "comorbidities.json").open("w", encoding="utf-8") as fh:
            json.dump(truth, fh, sort_keys=True, indent=2, default=str)
            fh.write("\n")
    return summary


def _dictionaries(model: Model) -> dict[str, Any]:
    # each diagnosis code in three spellings: normalised, dotted, dotted lower-case
    # (dictionary values must be unique: a 3-character code has no dotted form, so its
    # dotted spelling maps to the normalised entry; duplicates make parquet output vary)
    spelled: dict[str, int] = {}
    spelling = np.zeros((len(model.dx.codes), 3), dtype=np.int32)
    for i, c in enumerate(model.dx.codes):
        dotted = c[:3] + "." + c[3:] if len(c) > 3 else c
        for v, text in enumerate((c, dotted, dotted.lower())):
            spelling[i, v] = spelled.setdefault(text, len(spelled))
    return {
        "dx": pa.array(list(spelled)),
        "dx_spelling": spelling,
        "atc": pa.array(model.atc.codes),
        "product": pa.array(model.products.codes),
        "ccam": pa.array(model.ccam.codes),
        "dx_setting": pa.array(DX_SETTINGS),
        "disp_setting": pa.array(DISP_SETTINGS),
        "sex": pa.array(SEXES),
    }


def _chunk(
    rng,
    ms_rng,
    nmosd_rng,
    outcome_rng,
    grid,
    model,
    hazard,
    ms_haz,
    cfg,
    first_id,
    n,
    start,
    end,
    window,
    dicts,
    writers,
    totals,
    cases,
    itp_treatments,
    ms,
    nmosd,
    outcomes,
    outcome_stays,
    next_stay_id,
    comorb_rng=None,
    comorb=None,
    comorb_stays=None,
) -> int:
    pop = sample_population(rng, model, first_id, n, start, end)
    local = np.arange(n, dtype=np.int64)

    # prevalent ITP: onset in the years before the period (same hazard), alive at start
    back = round(model.itp["prevalent_years_before_start"] * DAYS_PER_YEAR)
    before = pop.birth < start
    who = local[before]
    prev_onset = hazard.first_onset(
        rng,
        who,
        np.maximum(pop.birth[who], start - back).astype(float),
        np.full(len(who), float(start)),
        pop.birth,
        pop.sex,
        n,
    )
    prevalent = np.isfinite(prev_onset)
    prevalent_onset = np.where(prevalent, np.floor(np.where(prevalent, prev_onset, 0)), -1)
    prevalent_onset = prevalent_onset.astype(np.int64)

    cov = build_coverage(rng, model, pop, start, end, protected=prevalent)

    # incident onsets: persons without prevalent ITP, while covered and alive
    seg = np.flatnonzero(~prevalent[cov.person])
    sp = cov.person[seg]
    lo, hi = cov.start[seg].astype(float), (cov.end[seg] + 1).astype(float)
    onset_c = hazard.first_onset(rng, sp, lo, hi, pop.birth, pop.sex, n)
    incident = np.isfinite(onset_c)
    incident_onset = np.where(incident, np.floor(np.where(incident, onset_c, 0)), -1).astype(
        np.int64
    )
    # time at risk ends at onset: expected cases = integral of the (seasonal) hazard over
    # covered alive time
    stop = np.maximum(np.minimum(hi, onset_c[sp]), lo)
    exp_b, py_b, exp_m, exp_w = hazard.expected_seasonal(
        lo, stop, pop.birth[sp].astype(float), pop.sex[sp].astype(np.int64), grid, window
    )
    totals.expected += exp_b
    totals.py_at_risk += py_b
    totals.expected_month += exp_m
    totals.expected_month_window += exp_w
    inc = local[incident]
    band = (
        np.searchsorted(
            model.band_lower, (incident_onset[inc] - pop.birth[inc]) / DAYS_PER_YEAR, side="right"
        )
        - 1
    )
    np.add.at(totals.observed, (band, pop.sex[inc].astype(np.int64)), 1)
    totals.onsets += len(inc)
    totals.prevalent += int(prevalent.sum())
    month = incident_onset[inc].astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    np.add.at(totals.observed_month, month % 12, 1)
    if window is not None:
        t = incident_onset[inc]
        in_window = (t >= window[0]) & (t <= window[1])
        totals.onsets_window += int(in_window.sum())
        np.add.at(totals.observed_month_window, month[in_window] % 12, 1)

    # slightly raised mortality of elderly cases, applied before any claim is drawn
    xs = model.itp["elderly_excess_death"]
    age_t = (incident_onset[inc] - pop.birth[inc]) / DAYS_PER_YEAR
    lo_d, hi_d = xs["within_days"]
    new_death = incident_onset[inc] + rng.integers(lo_d, hi_d + 1, size=len(inc))
    dies = (
        (age_t >= xs["min_age"])
        & (rng.random(len(inc)) < xs["prob"])
        & (new_death < pop.death[inc])
        & (new_death <= end)
    )
    if dies.any():
        pop.death[inc[dies]] = new_death[dies]
        cov.truncate_at(np.minimum(pop.death, end))

    totals.py += float(cov.person_days().sum()) / DAYS_PER_YEAR
    if window is not None:
        totals.py_window += float(cov.person_days(*window).sum()) / DAYS_PER_YEAR

    bg = generate_background(rng, model, pop, cov)
    _apply_case_washouts(rng, model, bg, incident_onset)
    # multiple sclerosis cases (own random stream, so the ITP part is drawn as without MS)
    ms_onsets = _ms_onsets(ms_rng, model, ms_haz, cfg, pop, cov, start, totals)
    itp_claims, case_list, treatments = generate_case_claims(
        rng, model, pop, cov, incident_onset, prevalent_onset, start, end
    )
    is_ms = ms_onsets.prevalent | ms_onsets.incident
    # NMOSD near misses (own stream): never MS cases
    is_nmosd = sample_nmosd(nmosd_rng, model, cfg.ms_multiplier, pop, start, is_ms)
    # off-label MS DMTs (rituximab) never reach MS or NMOSD persons: not from the
    # background, and not as ITP treatment of a person who also has MS or NMOSD
    no_rituximab = is_ms | is_nmosd
    for claims in (bg, itp_claims):
        d = claims["dispensings"]
        rows = np.flatnonzero(model.atc_ms_washout[d["atc"]])
        drop = rows[no_rituximab[d["person"][rows]]]
        if len(drop):
            keep = np.ones(len(d["person"]), dtype=bool)
            keep[drop] = False
            claims["dispensings"] = ev.where(d, keep)
    r = treatments["rituximab"]
    treatments["rituximab"] = ev.where(r, ~no_rituximab[r["person"]])
    n_itp_stays = len(itp_claims["hospital_stays"]["stay"])
    itp_claims, _ = _keep_covered(cov, itp_claims)
    treatments = {
        k: ev.where(t, cov.covered(t["person"], t["date"])) for k, t in treatments.items()
    }

    # their G35 codes and DMT
    ms_claims, ms_cases, meta = generate_ms_claims(ms_rng, model, pop, cov, ms_onsets, start)
    n_ms_stays = len(ms_claims["hospital_stays"]["stay"])  # chunk-local ids, before the filter
    ms_claims, kept = _keep_covered(cov, ms_claims)
    ms_episodes = recorded_episodes(model, cov, ms_claims["dispensings"], ev.where(meta, kept))
    nmosd_claims, nmosd_persons = generate_nmosd_claims(nmosd_rng, model, pop, cov, is_nmosd, start)
    nmosd_claims, _ = _keep_covered(cov, nmosd_claims)

    # merge, renumber stays into global sequential stay_ids (chunks run in order)
    n_bg = len(bg["hospital_stays"]["stay"])
    offsets = (
        (itp_claims, n_bg),
        (ms_claims, n_bg + n_itp_stays),
        (nmosd_claims, n_bg + n_itp_stays + n_ms_stays),
    )
    for claims, offset in offsets:
        for name in ("diagnoses", "procedures", "hospital_stays"):
            s = claims[name]["stay"]
            claims[name]["stay"] = np.where(s >= 0, s + offset, -1)
    tables = {
        name: ev.concat([c[name] for c in (bg, itp_claims, ms_claims, nmosd_claims)], _COLS[name])
        for name in bg
    }
    stays = tables["hospital_stays"]
    new_id = np.full(int(stays["stay"].max(initial=0)) + 1, -1, dtype=np.int64)
    new_id[stays["stay"]] = next_stay_id + np.arange(len(stays["stay"]))
    for name in ("diagnoses", "procedures", "hospital_stays"):
        s = tables[name]["stay"]
        tables[name]["stay"] = np.where(s >= 0, new_id[s], -1)
    next_stay_id += len(stays["stay"])

    dx = tables["diagnoses"]
    recorded_itp = (dx["code"] == model.itp_code) & QUALIFYING[dx["setting"]]
    first_code = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_code, dx["person"][recorded_itp], dx["date"][recorded_itp])
    backdated = _backdated_index(model, tables["dispensings"], first_code)
    cases.add(
        case_list, pop, first_code, backdated, treatments["rituximab"], treatments["splenectomy"]
    )
    itp_treatments.add(pop, treatments)
    # safety outcomes of the ITP cases (own stream), exposure read from the recorded rows
    onset = np.full(n, -1, dtype=np.int64)
    in_group = np.zeros(n, dtype=bool)
    for c in case_list:
        onset[c.person] = c.onset
        in_group[c.person] = (
            window is not None
            and not c.prevalent
            and c.secondary_cause is None
            and completed_years(int(pop.birth[c.person]), c.onset) >= model.child_age
            and window[0] <= first_code[c.person] <= window[1]
        )
    outcomes.add(
        inject_outcomes(
            outcome_rng,
            model,
            cov,
            pop.person_id,
            onset,
            tables["dispensings"],
            dx,
            in_group,
            outcome_stays,
        )
    )
    ald = dx["setting"] == LONG_TERM_DISEASE
    early_ald = ald & (dx["date"] < start)
    itp_prevalent = np.zeros(n, dtype=bool)
    itp_prevalent[[c.person for c in case_list if c.prevalent]] = True
    hit = early_ald & (dx["code"] == model.itp_code) & itp_prevalent[dx["person"]]
    totals.itp_prevalent_ald_before_start += len(np.unique(dx["person"][hit]))
    hit = early_ald & (dx["code"] == model.ms_code) & ms_onsets.prevalent[dx["person"]]
    totals.ms_prevalent_ald_before_start += len(np.unique(dx["person"][hit]))
    recorded_ms = (dx["code"] == model.ms_code) & QUALIFYING[dx["setting"]]
    first_code = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_code, dx["person"][recorded_ms], dx["date"][recorded_ms])
    ms.add(model, pop, ms_cases, first_code, ms_episodes)
    nmosd.add(model, pop, nmosd_persons, nmosd_claims["diagnoses"])

    # ~5% of codes written dotted ('D69.3') or dotted lower-case ('d69.3'), every family;
    # drawn for the MS rows from the MS stream and for the NMOSD rows (last) from theirs
    m_nmosd = len(nmosd_claims["diagnoses"]["person"])
    m_ms = len(ms_claims["diagnoses"]["person"])
    m = len(dx["person"]) - m_ms - m_nmosd
    variant = [_spelling(rng, m, model), _spelling(ms_rng, m_ms, model)]
    variant = np.concatenate([*variant, _spelling(nmosd_rng, m_nmosd, model)])
    if comorb is not None:
        variant = _add_comorbidities(
            comorb_rng, model, pop, cov, case_list, tables, variant, start, end, comorb
        )
        _keep_comorbidity_stays(comorb_rng, model, pop, comorb, comorb_stays)
    _write(writers, dicts, pop, cov, tables, variant)
    return next_stay_id


def _add_comorbidities(rng, model, pop, cov, case_list, tables, variant, start, end, totals):
    """Comorbidities and background drugs (own stream, drawn after everything else):
    appended after every other row of the chunk, which keep their order and values; the
    extra stays are kept aside (numbered after the outcome stays)."""
    n = len(pop)
    primary_itp = np.zeros(n, dtype=bool)
    primary_itp[[c.person for c in case_list if c.secondary_cause is None]] = True
    made = generate_comorbidities(
        rng, model.comorbidities, model, pop, cov, primary_itp, tables["hospital_stays"], start, end
    )
    for name in ("diagnoses", "dispensings"):
        tables[name] = ev.concat([tables[name], made.claims[name]], _COLS[name])
    m = len(made.claims["diagnoses"]["person"])
    variant = np.concatenate([variant, _spelling(rng, m, model)])
    dx = ev.concat([tables["diagnoses"], made.new_stay_dx], ev.DIAGNOSIS_COLS)
    totals.add(
        made, model, pop, cov, primary_itp, dx, tables["dispensings"], QUALIFYING, start, end
    )
    totals.pending = made
    return variant


def _keep_comorbidity_stays(rng, model, pop, totals, stays: OutcomeStays) -> None:
    made = totals.pending
    totals.pending = None
    s, dx = made.new_stays, made.new_stay_dx
    if not len(s["stay"]):
        return
    base = stays.n_stays
    stays.person_id.append(pop.person_id[s["person"]])
    stays.admission.append(s["admission"])
    stays.discharge.append(s["discharge"])
    stays.dx_person_id.append(pop.person_id[dx["person"]])
    stays.dx_date.append(dx["date"])
    stays.dx_code.append(dx["code"])
    stays.dx_setting.append(dx["setting"])
    stays.dx_stay.append(base + dx["stay"])
    stays.dx_variant.append(_spelling(rng, len(dx["person"]), model))
    stays.n_stays += len(s["stay"])


def _write_outcome_stays(writers, dicts, stays: OutcomeStays, first_stay_id: int) -> None:
    """The outcome stays of every chunk, numbered after all the other stays of the run."""
    if not stays.n_stays:
        return
    admission = stays.arrays("admission", np.int64)
    writers.write(
        "hospital_stays",
        {
            "stay_id": ints(first_stay_id + np.arange(stays.n_stays)),
            "person_id": ints(stays.arrays("person_id", np.int64)),
            "admission_date": dates(admission),
            "discharge_date": dates(stays.arrays("discharge", np.int64)),
        },
    )
    code = stays.arrays("dx_code", np.int64)
    variant = stays.arrays("dx_variant", np.int64)
    none = np.ones(len(code), dtype=bool)
    writers.write(
        "diagnoses",
        {
            "person_id": ints(stays.arrays("dx_person_id", np.int64)),
            "date": dates(stays.arrays("dx_date", np.int64)),
            "code": categories(dicts["dx_spelling"][code, variant], dicts["dx"]),
            "setting": categories(stays.arrays("dx_setting", np.int64), dicts["dx_setting"]),
            "stay_id": ints(first_stay_id + stays.arrays("dx_stay", np.int64)),
            "end_date": dates(np.zeros(len(code)), none),
        },
    )


def _spelling(rng, m: int, model: Model) -> np.ndarray:
    """0 = normalised, 1 = dotted, 2 = dotted lower-case, for m diagnosis rows."""
    odd = rng.random(m) < model.unnormalised_fraction
    return np.where(odd, 1 + (rng.random(m) < 0.5), 0)


def _backdated_index(model: Model, disp: ev.Events, first_code: np.ndarray) -> np.ndarray:
    """FAITH's back-dating on the recorded rows: the earliest dispensing of a back-dating
    drug (four corticosteroids, IVIg, anti-D) in [first code - 183, first code], else the
    first code (NONE stays NONE)."""
    none = np.iinfo(np.int64).max
    rows = np.flatnonzero(model.atc_is_backdating[disp["atc"]])
    person, day = disp["person"][rows], disp["date"][rows]
    fc = first_code[person]
    inside = (fc != none) & (day >= fc - model.backdating_days) & (day <= fc)
    out = first_code.copy()
    np.minimum.at(out, person[inside], day[inside])
    return out


def _ms_onsets(ms_rng, model, ms_haz, cfg, pop, cov, start, totals):
    """Prevalent and incident MS cases of the chunk; adds the chunk's MS prevalence and
    incidence figures to ``totals``."""
    onsets = sample_onsets(ms_rng, model, ms_haz, cfg.ms_multiplier, pop, cov, start)
    alive = pop.birth < start
    at_start = cov.covered(np.arange(len(pop)), np.full(len(pop), start))
    prevalent = onsets.prevalent
    age = (start - pop.birth[alive]) / DAYS_PER_YEAR
    rate = model.ms_prevalence_per_100k[model.itp_band(age), pop.sex[alive]]
    totals.ms_alive_at_start += int(alive.sum())
    totals.ms_covered_at_start += int(at_start.sum())
    totals.ms_prevalent += int(prevalent.sum())
    totals.ms_prevalent_covered_at_start += int((prevalent & at_start).sum())
    totals.ms_expected_prevalent += float(
        np.minimum(rate * float(cfg.ms_multiplier) / 1e5, 1.0).sum()
    )
    totals.ms_onsets += int(onsets.incident.sum())
    totals.ms_expected += onsets.expected
    totals.ms_py_at_risk += onsets.py_at_risk
    return onsets


_COLS = {
    "dispensings": ev.DISPENSING_COLS,
    "diagnoses": ev.DIAGNOSIS_COLS,
    "procedures": ev.PROCEDURE_COLS,
    "hospital_stays": ev.STAY_COLS,
}


def _apply_case_washouts(rng, model: Model, bg: dict[str, ev.Events], onset: np.ndarray) -> None:
    """Consistency with the ground truth, cases only (non-cases are never altered):
    (a) no background non-steroid ITP drug in [T - 250, T - 1] (corticosteroids stay: an
    unrelated one may move the back-dated diagnosis date, as in real data), and no
    background TPO-RA or rituximab from T - 250 on, so that every one recorded after T
    belongs to the case's treatment episodes (ground_truth/itp_treatments);
    (b) secondary-family codes in [T - 550, T + 250] (ALD rows: whose interval meets it)
    become unrelated codes (secondary cases get their cause added by the ITP module,
    after this rule, so their recorded cause is kept)."""
    d = bg["dispensings"]
    rows = np.flatnonzero(onset[d["person"]] >= 0)  # the cases' rows (few)
    atc = d["atc"][rows]
    lag = onset[d["person"][rows]] - d["date"][rows]
    window = model.itp["case_drug_washout_days"]
    drop = (model.atc_is_itp_drug[atc] & (lag >= 1) & (lag <= window)) | (
        model.atc_is_itp_treatment[atc] & (lag <= window)
    )
    if drop.any():
        keep = np.ones(len(d["person"]), dtype=bool)
        keep[rows[drop]] = False
        bg["dispensings"] = ev.where(d, keep)
    x = bg["diagnoses"]
    t = onset[x["person"]]
    scrub = model.itp["case_secondary_washout_days"]
    # a row meets [T - before, T + after] when it starts by T + after and ends (an ALD:
    # its end, OPEN when open-ended; any other row: its date) on or after T - before
    last = np.where(x["setting"] == LONG_TERM_DISEASE, x["end"], x["date"])
    hit = (
        (t >= 0)
        & model.dx_is_secondary[x["code"]]
        & (x["date"] <= t + int(scrub["after"]))
        & (last >= t - int(scrub["before"]))
    )
    # replacement codes: resample from the setting's pool until none is secondary-family
    idx = np.flatnonzero(hit)
    while len(idx):
        x["code"][idx] = model.secondary_codes.sample(rng, len(idx))
        idx = idx[model.dx_is_secondary[x["code"][idx]]]


def _keep_covered(cov, claims):
    """Drop case claims outside coverage (gaps, after leaving, after death, after end);
    stays whose admission is uncovered go with their diagnoses and acts. An ALD
    registration is kept when its start is covered, or when it starts before the
    person's first covered day and still holds on it (IR_IMB_R holds registrations
    whatever their start). Returns the kept claims and the dispensing mask."""
    stays = claims["hospital_stays"]
    seg = cov.locate(stays["person"], stays["admission"])
    kept = seg >= 0
    stays["discharge"] = np.where(kept, np.minimum(stays["discharge"], cov.end[seg]), 0)
    alive_stay = np.zeros(len(kept) + 1, dtype=bool)
    alive_stay[stays["stay"][kept]] = True
    out = {"hospital_stays": ev.where(stays, kept)}
    for name in ("diagnoses", "procedures"):
        b = claims[name]
        ok = np.where(b["stay"] >= 0, alive_stay[b["stay"]], cov.covered(b["person"], b["date"]))
        if name == "diagnoses":
            entry = cov.entry[b["person"]]
            held = (b["setting"] == LONG_TERM_DISEASE) & (b["date"] < entry) & (b["end"] >= entry)
            ok |= held & (b["stay"] < 0) & (entry < np.iinfo(np.int64).max)
        out[name] = ev.where(b, ok)
    d = claims["dispensings"]
    kept = cov.covered(d["person"], d["date"])
    out["dispensings"] = ev.where(d, kept)
    return out, kept


def _write(writers, dicts, pop, cov, tables, variant) -> None:
    pid = pop.person_id
    alive = pop.death == NO_DATE
    writers.write(
        "persons",
        {
            "person_id": ints(pid),
            "sex": categories(pop.sex, dicts["sex"]),
            "birth_date": dates(pop.birth),
            "death_date": dates(np.where(alive, 0, pop.death), alive),
        },
    )
    writers.write(
        "observation_periods",
        {
            "person_id": ints(pid[cov.person]),
            "start_date": dates(cov.start),
            "end_date": dates(cov.end),
        },
    )

    dx = tables["diagnoses"]
    no_stay = dx["stay"] < 0
    open_ = dx["end"] == ev.OPEN
    writers.write(
        "diagnoses",
        {
            "person_id": ints(pid[dx["person"]]),
            "date": dates(dx["date"]),
            "code": categories(dicts["dx_spelling"][dx["code"], variant], dicts["dx"]),
            "setting": categories(dx["setting"], dicts["dx_setting"]),
            "stay_id": ints(np.where(no_stay, 0, dx["stay"]), no_stay),
            "end_date": dates(np.where(open_, 0, dx["end"]), open_),
        },
    )

    d = tables["dispensings"]
    m = len(d["person"])
    writers.write(
        "dispensings",
        {
            "person_id": ints(pid[d["person"]]),
            "date": dates(d["date"]),
            "atc": categories(d["atc"], dicts["atc"]),
            "product_code": categories(d["product"], dicts["product"]),
            "setting": categories(d["setting"], dicts["disp_setting"]),
            "quantity": pa.array(d["quantity"], type=pa.float64()),
            "days_supply": pa.nulls(m, pa.int32()),
        },
    )

    p = tables["procedures"]
    no_stay = p["stay"] < 0
    writers.write(
        "procedures",
        {
            "person_id": ints(pid[p["person"]]),
            "date": dates(p["date"]),
            "code": categories(p["code"], dicts["ccam"]),
            "stay_id": ints(np.where(no_stay, 0, p["stay"]), no_stay),
        },
    )

    s = tables["hospital_stays"]
    writers.write(
        "hospital_stays",
        {
            "stay_id": ints(s["stay"]),
            "person_id": ints(pid[s["person"]]),
            "admission_date": dates(s["admission"]),
            "discharge_date": dates(s["discharge"]),
        },
    )


def _finish(
    cfg, model, hazard, out_dir, rows, totals, cases, itp_treatments, ms, nmosd, window
) -> dict[str, Any]:
    gt = out_dir / "ground_truth"
    gt.mkdir(exist_ok=True)
    n_cases = write_ground_truth(gt, cases, itp_treatments, ms, nmosd, model, hazard)
    expected = float(totals.expected.sum())
    py_risk = float(totals.py_at_risk.sum())
    by_band = []
    for b, lower in enumerate(model.band_lower):
        for s, sex in enumerate(SEXES):
            by_band.append(
                {
                    "age_lower": int(lower),
                    "sex": sex,
                    "person_years_at_risk": round(float(totals.py_at_risk[b, s]), 4),
                    "expected_onsets": round(float(totals.expected[b, s]), 6),
                    "observed_onsets": int(totals.observed[b, s]),
                }
            )
    summary = {
        "generator": "pharmacoepi.synth",
        "generator_version": GENERATOR_VERSION,
        "model": cfg.model,
        "model_version": model.version,
        "config": cfg.to_dict(),
        "row_counts": dict(sorted(rows.items())),
        "person_years": round(totals.py, 4),
        "person_years_faith_window": None if window is None else round(totals.py_window, 4),
        "faith_window": [FAITH_WINDOW[0].isoformat(), FAITH_WINDOW[1].isoformat()],
        "incident_onsets": totals.onsets,
        "incident_onsets_faith_window": None if window is None else totals.onsets_window,
        "prevalent_cases": totals.prevalent,
        "itp_cases": n_cases,
        "expected_incident_onsets": round(expected, 6),
        "person_years_at_risk": round(py_risk, 4),
        "crude_injected_rate_per_100k": round(expected / py_risk * 1e5, 6) if py_risk else None,
        "injected_rate_ref_population_per_100k": round(
            float(model.itp["target_crude_per_100k"]) * float(cfg.itp_multiplier), 6
        ),
        "incidence_by_band": by_band,
        "itp": _itp_summary(model, totals, cases, window),
        "ms": _ms_summary(cfg, model, totals, ms, nmosd),
    }
    with (gt / "summary.json").open("w", encoding="utf-8") as fh:
        json.dump(summary, fh, sort_keys=True, indent=2)
        fh.write("\n")
    return summary


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def _itp_summary(model: Model, totals: _Totals, cases: CaseTable, window) -> dict[str, Any]:
    """Seasonality (expected and observed incident onsets by calendar month, January
    first), the back-dated index date against the true onset, splenectomy, and prevalent
    cases whose D693 ALD starts before the period."""
    incident = [c for c in cases.rows if not c["prevalent"]]
    coded = [c for c in incident if c["first_code_date"] is not None]
    earlier = sum(1 for c in coded if c["backdated_index_date"] < c["onset_date"])
    later = sum(1 for c in coded if c["backdated_index_date"] > c["onset_date"])
    adults = [c for c in incident if c["age_at_onset"] >= model.child_age]
    primary = [c for c in adults if not c["secondary"]]
    splenectomised = sum(1 for c in adults if c["splenectomy"])
    return {
        "seasonality": {
            "amplitude": model.itp_season_amplitude,
            "peak": str(model.itp["seasonality"]["peak"]),
            "expected_onsets_by_month": [round(float(x), 6) for x in totals.expected_month],
            "observed_onsets_by_month": [int(x) for x in totals.observed_month],
            "expected_onsets_by_month_faith_window": None
            if window is None
            else [round(float(x), 6) for x in totals.expected_month_window],
            "observed_onsets_by_month_faith_window": None
            if window is None
            else [int(x) for x in totals.observed_month_window],
        },
        "backdating": {
            "incident_cases_with_first_code": len(coded),
            "index_not_onset": earlier + later,
            "index_not_onset_share": _share(earlier + later, len(coded)),
            "index_earlier_than_onset": earlier,
            "index_later_than_onset": later,
        },
        "splenectomy": {
            "incident_adults": len(adults),
            "splenectomised": splenectomised,
            "share": _share(splenectomised, len(adults)),
            "incident_primary_adults": len(primary),
            "primary_share": _share(sum(1 for c in primary if c["splenectomy"]), len(primary)),
        },
        "prevalent_cases_with_ald_before_start": totals.itp_prevalent_ald_before_start,
    }


def _ms_summary(cfg, model: Model, totals: _Totals, ms: MsTable, nmosd) -> dict[str, Any]:
    mult = float(cfg.ms_multiplier)
    expected = float(totals.ms_expected.sum())
    py_risk = float(totals.ms_py_at_risk.sum())
    treated = {e["person_id"] for e in ms.episodes}
    nxt: dict[str, int] = {}
    for e in ms.episodes:
        nxt[e["next"]] = nxt.get(e["next"], 0) + 1
    return {
        "injected_prevalence_ref_population_per_100k": round(
            float(model.ms["target_prevalence_per_100k"]) * mult, 6
        ),
        "injected_incidence_ref_population_per_100k": round(
            float(model.ms["target_incidence_per_100k"]) * mult, 6
        ),
        "persons_alive_at_start": totals.ms_alive_at_start,
        "persons_covered_at_start": totals.ms_covered_at_start,
        "prevalent_cases": totals.ms_prevalent,
        "prevalent_cases_covered_at_start": totals.ms_prevalent_covered_at_start,
        "expected_prevalent_cases": round(totals.ms_expected_prevalent, 6),
        "incident_onsets": totals.ms_onsets,
        "expected_incident_onsets": round(expected, 6),
        "person_years_at_risk": round(py_risk, 4),
        "crude_injected_incidence_per_100k": round(expected / py_risk * 1e5, 6)
        if py_risk
        else None,
        "cases": len(ms.cases),
        "cases_without_code": sum(1 for c in ms.cases if c["first_code_date"] is None),
        "treated_cases": len(treated),
        "treated_share": _share(len(treated), len(ms.cases)),
        "treatment_episodes": len(ms.episodes),
        "episodes_by_next": dict(sorted(nxt.items())),
        "prevalent_cases_with_ald_before_start": totals.ms_prevalent_ald_before_start,
        "nmosd_persons": len(nmosd.rows),
        "nmosd_persons_with_g35": sum(1 for r in nmosd.rows if r["g35_stays"] > 0),
    }
