"""Multiple sclerosis (MS): prevalent cases at the period start, incident onsets over
covered time, their G35 codes (hospital stays, ALD) and disease-modifying therapy (DMT)
sequences, and the ground truth of the treatment episodes as recorded.

Runs on its own random stream (see generate.py), so the ITP and background claims are
drawn exactly as without MS. A Python loop over the (few hundred per chunk) MS persons;
rows are filtered by coverage afterwards.

DMT trajectories respect the rules a cohort builder applies (synthetic_data/README.md):
one episode is one era (consecutive records leave at most 30 uncovered days), a switch
starts at most 60 days after the previous episode's last covered day, a restart after a
discontinuation at least 180 days after it, consecutive episodes are of different
classes, and no episode straddles a coverage gap: an episode that would run into a gap
stops ``horizon_margin_days`` before it (a discontinuation), one that would end near the
end of coverage runs on to it ('ongoing'). A class is drawn among those marketed on the
episode's first day (a molecule among its marketed ones), and each record carries the ATC
code in force on its own date. Induction classes (courses): the year-2 course may come up
to 182 days late, and a full regimen is followed by no DMT for at least 730 days
('induction_completed').
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import events as ev
from .coverage import Coverage
from .events import OPEN
from .hazard import AgeSexHazard
from .model import HOSP_PRIMARY, LONG_TERM_DISEASE, DmtClass, Model
from .population import DAYS_PER_YEAR, Population

COURSE_GAP = 60  # administrations less than this many days apart form one course
COURSE_COVER = 365  # a course covers 365 days from its first administration
SWITCH_WINDOW = 90  # a new DMT at most 90 days after the last covered day is a switch


@dataclass
class MsOnsets:
    onset: np.ndarray  # onset day (days since 1970, negative before; only for cases)
    prevalent: np.ndarray  # bool: onset before the period start, alive at the start
    incident: np.ndarray  # bool: onset during covered, alive time
    expected: np.ndarray  # expected incident onsets by band x sex
    py_at_risk: np.ndarray  # person-years at risk by band x sex


@dataclass
class MsEpisode:
    """A DMT episode as recorded (after the coverage filter)."""

    person: int  # local index
    dmt: int  # class index
    start: int  # first recorded record
    last_covered: int
    n_records: int
    courses: int = 0  # course classes: recorded courses
    next: str = ""
    number: int = 0


@dataclass
class MsChunk:
    claims: dict[str, ev.Events]  # dispensings, diagnoses, procedures, hospital_stays
    cases: list[tuple[int, int, bool]]  # person, onset, prevalent
    episodes: list[MsEpisode]


def ms_hazard(model: Model, multiplier: float) -> AgeSexHazard:
    return AgeSexHazard(model.band_lower, model.ms_incidence_per_100k, multiplier)


def sample_onsets(
    rng: np.random.Generator,
    model: Model,
    hazard: AgeSexHazard,
    multiplier: float,
    pop: Population,
    cov: Coverage,
    start: int,
) -> MsOnsets:
    n = len(pop)
    # prevalent at the period start: persons alive then (born before it), with the
    # age-sex prevalence; onset drawn from the incidence shape before their age then
    age = (start - pop.birth) / DAYS_PER_YEAR
    band = model.itp_band(np.maximum(age, 0.0))
    p = np.minimum(model.ms_prevalence_per_100k[band, pop.sex] * float(multiplier) / 1e5, 1.0)
    prevalent = (rng.random(n) < p) & (pop.birth < start)
    u = rng.random(n)
    cum = hazard.cumulative(np.maximum(age, 0.0), pop.sex.astype(np.int64))
    onset_age = hazard.age_at_cumulative(u * cum, pop.sex.astype(np.int64))
    onset_age = np.clip(onset_age, 0.0, np.maximum(age, 0.0))
    onset = np.minimum(pop.birth + np.floor(onset_age * DAYS_PER_YEAR).astype(np.int64), start - 1)
    onset = np.maximum(onset, pop.birth)

    # incident: first onset over covered, alive time of persons without prevalent MS
    seg = np.flatnonzero(~prevalent[cov.person])
    sp = cov.person[seg]
    lo, hi = cov.start[seg].astype(float), (cov.end[seg] + 1).astype(float)
    t = hazard.first_onset(rng, sp, lo, hi, pop.birth, pop.sex, n)
    incident = np.isfinite(t)
    onset = np.where(incident, np.floor(np.where(incident, t, 0)).astype(np.int64), onset)
    stop = np.minimum(hi, t[sp])
    a0 = (lo - pop.birth[sp]) / DAYS_PER_YEAR
    a1 = np.maximum((stop - pop.birth[sp]) / DAYS_PER_YEAR, a0)
    expected, py = hazard.expected_by_band(a0, a1, pop.sex[sp].astype(np.int64))
    return MsOnsets(onset.astype(np.int64), prevalent, incident, expected, py)


@dataclass
class _Rows:
    disp: list[tuple] = field(default_factory=list)  # person, date, atc, setting, quantity
    dmt: list[tuple] = field(default_factory=list)  # episode id, class (parallel to disp)
    dx: list[tuple] = field(default_factory=list)  # person, date, code, setting, stay, end
    stays: list[tuple] = field(default_factory=list)  # stay, person, admission, discharge


def n_courses(days: list[int]) -> int:
    """Courses among the administrations of a course class: < COURSE_GAP days apart."""
    return 1 + sum(1 for a, b in zip(days, days[1:], strict=False) if b - a >= COURSE_GAP)


class _MsWriter:
    def __init__(self, rng: np.random.Generator, model: Model):
        self.rng, self.m, self.p = rng, model, model.ms
        self.rows = _Rows()
        self.episodes = 0
        self.margin = int(self.p["horizon_margin_days"])
        self.by_group = {g: [c for c in model.dmt if c.group == g] for g in model.ms_first_group}

    def uniform(self, lo_hi) -> int:
        return int(self.rng.integers(int(lo_hi[0]), int(lo_hi[1]) + 1))

    # --- codes
    def stay(self, person: int, day: int) -> None:
        rng, m = self.rng, self.m
        los = int(rng.geometric(1.0 / (self.p["stay_mean_los"] + 1.0)) - 1)
        sid = len(self.rows.stays)
        self.rows.stays.append((sid, person, day, day + los))
        setting = m.ms_stay_setting.one(rng)
        if setting != HOSP_PRIMARY:
            self.rows.dx.append((person, day, m.ms_other_primary.one(rng), HOSP_PRIMARY, sid, OPEN))
        self.rows.dx.append((person, day, m.ms_code, setting, sid, OPEN))

    def codes(self, person: int, first_stay: int, ald_day: int, horizon: int) -> None:
        """G35 stays from ``first_stay`` to the end of coverage; an ALD 25 from ``ald_day``
        (its true grant date, before the period for most prevalent cases) that holds
        through the person's coverage: open-ended, or renewed terms of ald_years."""
        p = self.p
        d = first_stay
        while d <= horizon:
            self.stay(person, d)
            d += self.uniform(p["stay_interval_days"])
        if self.rng.random() < p["ald_prob"]:
            if self.rng.random() < p["ald_open_share"]:
                end = OPEN
            else:
                term = round(float(p["ald_years"]) * DAYS_PER_YEAR)
                end = ald_day + max(1, -(-(horizon - ald_day + 1) // term)) * term - 1
            self.rows.dx.append((person, ald_day, self.m.ms_code, LONG_TERM_DISEASE, -1, end))

    # --- DMT
    def pick(
        self, day: int, group: str | None = None, exclude: DmtClass | None = None
    ) -> DmtClass | None:
        """A class marketed on ``day`` (not ``exclude``): of ``group`` (drawn with the
        first-line weights when None), else of the other group, else None."""
        rng = self.rng
        if group is None:
            u, acc = rng.random(), 0.0
            for g, w in self.m.ms_first_group.items():
                acc += w
                group = g
                if u < acc:
                    break
        for g in (group, *(x for x in self.by_group if x != group)):
            choices = [c for c in self.by_group[g] if c is not exclude and c.first_market <= day]
            if choices:
                w = np.array([c.weight for c in choices])
                k = int(np.searchsorted(np.cumsum(w / w.sum()), rng.random(), side="right"))
                return choices[min(k, len(choices) - 1)]
        return None

    def switch_target(self, current: DmtClass, day: int) -> DmtClass | None:
        p, u = self.p, self.rng.random()
        if current.group == "platform":
            group = "high" if u < p["escalation_from_platform"] else "platform"
        else:
            group = "platform" if u < p["de_escalation_from_high"] else "high"
        return self.pick(day, group, exclude=current)

    def duration(self) -> int:
        p = self.p
        extra = self.rng.exponential(p["episode_extra_mean_days"])
        return int(min(p["episode_min_days"] + extra, p["episode_max_days"]))

    def regimen(self, c: DmtClass) -> tuple[int, int]:
        """Course classes: the number of courses and the delay of the year-2 course."""
        if not c.course:
            return 0, 0
        p, rng = self.p, self.rng
        courses = 1 if rng.random() < p["induction_one_course_share"] else len(c.course_days)
        delay = self.uniform(p["induction_delay_days"])
        return courses, delay if rng.random() < p["induction_delay_share"] else 0

    def record_days(
        self,
        c: DmtClass,
        t: int,
        duration: int,
        until: int | None,
        regimen: tuple[int, int] = (0, 0),
    ) -> list[int]:
        """Record days of an episode starting at t: records while day < t + duration, or
        (``until`` given) every record up to ``until`` (runs on to the horizon). Course
        classes: ``regimen`` = (courses, delay of the courses after the first)."""
        if c.course:
            courses, delay = regimen
            days = []
            for k, offsets in enumerate(c.course_days[:courses]):
                s = t + k * c.course_interval + (delay if k else 0)
                days += [s + o for o in offsets]
            return days if until is None else [d for d in days if d <= until]
        days = [t + o for o in c.loading]
        stop = t + duration if until is None else until + 1
        d = days[-1]
        while True:
            d += self.uniform(c.interval)
            if d >= stop:
                break
            days.append(d)
        return [x for x in days if x < stop] or days[:1]

    @staticmethod
    def fit(c: DmtClass, days: list[int], limit: int) -> list[int]:
        """The records of an episode whose coverage ends by ``limit`` (whole courses)."""
        if not c.course:
            return [d for d in days if d + c.cover_days - 1 <= limit]
        kept, first = [], days[0]
        for i, d in enumerate(days):
            if i and d - days[i - 1] >= COURSE_GAP:
                first = d
            if first + COURSE_COVER - 1 <= limit:
                kept.append(d)
        return kept

    @staticmethod
    def last_covered(c: DmtClass, days: list[int]) -> int:
        if not c.course:
            return days[-1] + c.cover_days - 1
        first = days[0]
        for a, b in zip(days, days[1:], strict=False):
            if b - a >= COURSE_GAP:
                first = b
        return first + COURSE_COVER - 1

    def trajectory(
        self, person: int, runs: list[tuple[int, int]], c: DmtClass, t: int, duration: int
    ) -> None:
        """DMT episodes from day t with class c until the end of coverage (see module
        docstring for the rules). ``runs``: covered runs [a, b] (touching rows merged)."""
        p, rng = self.p, self.rng
        horizon = runs[-1][1]
        earliest = None  # the next episode starts on or after this day (restarts)
        while t <= horizon:
            k = next(i for i, (_, b) in enumerate(runs) if b >= t)
            if k > 0 and t < runs[k][0]:  # inside a coverage gap: start after it
                t = runs[k][0] + self.uniform([0, 60])
                if earliest is not None:
                    t = max(t, earliest)
                continue
            final = k == len(runs) - 1
            regimen = self.regimen(c)
            days = self.record_days(c, t, duration, None, regimen)
            last = self.last_covered(c, days)
            ongoing = truncated = False
            if final and last > horizon - self.margin:
                days = self.record_days(c, t, duration, horizon, regimen)
                ongoing = True
            elif not final and last > runs[k][1] - self.margin:
                days = self.fit(c, days, runs[k][1] - self.margin)
                truncated = True
                if not days:  # nothing fits before the gap: start after it
                    t = runs[k + 1][0] + self.uniform([0, 60])
                    if earliest is not None:
                        t = max(t, earliest)
                    continue
                last = self.last_covered(c, days)
            self.emit(person, c, days)
            if ongoing:
                break
            nxt = None
            if c.course and not truncated and n_courses(days) == len(c.course_days):
                # a full induction regimen: no DMT in years 3-4 (L23), maybe one after
                if rng.random() >= p["induction_next_prob"]:
                    break
                gap = p["induction_next_gap_days"]
                t, earliest = last + self.uniform(gap), last + int(gap[0])
                nxt = self.pick(t, exclude=c)
            else:
                if not truncated and rng.random() < p["switch_prob"][c.group]:
                    t = max(last + self.uniform(p["switch_gap_days"]), days[-1] + 1)
                    nxt = self.switch_target(c, t)
                if nxt is None:
                    # a discontinuation (or a switch to nothing marketed): maybe a restart
                    if rng.random() >= p["restart_prob"]:
                        break
                    t = last + self.uniform(p["restart_gap_days"])
                    nxt = self.pick(t, exclude=c)
                earliest = last + 180
            if nxt is None:
                break
            c, duration = nxt, self.duration()

    def emit(self, person: int, c: DmtClass, days: list[int]) -> None:
        """One episode's records: a molecule marketed on its first day, each record
        coded with the ATC code in force on its own date."""
        mols = c.molecules_on(days[0])
        w = c.molecule_weight[mols]
        k = int(np.searchsorted(np.cumsum(w / w.sum()), self.rng.random(), side="right"))
        mol = mols[min(k, len(mols) - 1)]
        gid = self.episodes
        self.episodes += 1
        for d in days:
            self.rows.disp.append((person, d, c.atc_on(mol, d), c.setting, 1.0))
            self.rows.dmt.append((gid, c.index))


def _runs(cov: Coverage, person: int) -> list[tuple[int, int]]:
    first = int(cov.first_seg[person])
    runs: list[list[int]] = []
    i = first
    while i < len(cov.person) and cov.person[i] == person:
        s, e = int(cov.start[i]), int(cov.end[i])
        if runs and s <= runs[-1][1] + 1:
            runs[-1][1] = max(runs[-1][1], e)
        else:
            runs.append([s, e])
        i += 1
    return [(a, b) for a, b in runs]


def generate_ms_claims(
    rng: np.random.Generator,
    model: Model,
    pop: Population,
    cov: Coverage,
    onsets: MsOnsets,
    start: int,
) -> tuple[dict[str, ev.Events], list[tuple[int, int, bool]], ev.Events]:
    """Claims of the chunk's MS persons (not yet filtered by coverage), the case list and,
    parallel to the dispensings, each DMT record's episode id and class."""
    w = _MsWriter(rng, model)
    p = model.ms
    treated_p = float(p["treated_fraction"])
    no_code_given_treated = float(p["no_code_fraction"]) / treated_p if treated_p else 0.0
    cases = []
    persons = np.flatnonzero(onsets.prevalent | onsets.incident)
    for person in persons.tolist():
        prevalent = bool(onsets.prevalent[person])
        onset = int(onsets.onset[person])
        cases.append((person, onset, prevalent))
        runs = _runs(cov, person)
        if not runs:
            continue
        horizon = runs[-1][1]
        treated = rng.random() < treated_p
        coded = not (treated and rng.random() < no_code_given_treated)
        if coded:
            # the ALD 25 at its true grant date: years before the period for most
            # prevalent cases (the registration is in the extract whatever its start)
            ald = onset + w.uniform(p["ald_delay_days"])
            if prevalent:
                first = start + w.uniform([0, p["prevalent_first_stay_within_days"] - 1])
            else:
                first = onset
            w.codes(person, first, ald, horizon)
        if not treated:
            continue
        duration = w.duration()
        if not prevalent:
            t = onset + w.uniform(p["first_dmt_delay_days"])
            c = w.pick(t)
        elif rng.random() < p["prevalent_on_dmt_at_start"]:
            # an episode in progress at the start, continued (its records before the
            # start are not recorded); a course class has its second course in the period.
            # It began after the class's market date.
            c = w.pick(start - 1)
            if c is None:
                continue
            longest = (c.course_interval - 1) if c.course else duration - 60
            elapsed = w.uniform([1, max(1, min(longest, start - c.first_market))])
            t = start - elapsed
        else:
            t = start + w.uniform(p["prevalent_later_start_days"])
            c = w.pick(t)
        if c is None:  # nothing marketed yet
            continue
        w.trajectory(person, runs, c, t, duration)

    r = w.rows
    claims = ev.claim_tables(rng, model, r.disp, r.dx, [], r.stays)
    meta = ev.from_rows(r.dmt, ("stay", "code"))  # stay = episode id, code = class index
    return claims, cases, meta


def recorded_episodes(
    model: Model, cov: Coverage, disp: ev.Events, meta: ev.Events
) -> list[MsEpisode]:
    """Episodes from the DMT records kept after the coverage filter, numbered per person
    in start order, with what follows each by the builder's rules: a DMT of another
    class starting at most 90 days after the last covered day is a switch (escalation,
    lateral, de-escalation by efficacy group), else 'ongoing' when the last covered day
    is within 90 days of the end of the person's coverage, else 'induction_completed'
    for an induction (course) episode holding its full regimen (all its courses), else
    'discontinuation'."""
    order = np.lexsort((disp["date"], meta["stay"], disp["person"]))
    person, day = disp["person"][order], disp["date"][order]
    gid, cls = meta["stay"][order], meta["code"][order]
    cut = np.flatnonzero(np.diff(gid)) + 1
    episodes: list[MsEpisode] = []
    for lo, hi in zip(np.r_[0, cut], np.r_[cut, len(gid)], strict=True):
        if hi <= lo:
            continue
        c = model.dmt[int(cls[lo])]
        days = day[lo:hi].tolist()
        episodes.append(
            MsEpisode(
                int(person[lo]),
                c.index,
                days[0],
                _MsWriter.last_covered(c, days),
                len(days),
                n_courses(days) if c.course else 0,
            )
        )
    episodes.sort(key=lambda e: (e.person, e.start, e.dmt))
    for i, e in enumerate(episodes):
        same = i > 0 and episodes[i - 1].person == e.person
        e.number = episodes[i - 1].number + 1 if same else 1
        nxt = episodes[i + 1] if i + 1 < len(episodes) else None
        if nxt is not None and nxt.person != e.person:
            nxt = None
        if nxt is not None and nxt.start <= e.last_covered + SWITCH_WINDOW:
            a, b = model.dmt[e.dmt].group, model.dmt[nxt.dmt].group
            e.next = "lateral" if a == b else ("escalation" if b == "high" else "de-escalation")
        elif int(cov.exit[e.person]) - e.last_covered <= SWITCH_WINDOW:
            e.next = "ongoing"
        elif model.dmt[e.dmt].course and e.courses >= len(model.dmt[e.dmt].course_days):
            e.next = "induction_completed"
        else:
            e.next = "discontinuation"
    return episodes
