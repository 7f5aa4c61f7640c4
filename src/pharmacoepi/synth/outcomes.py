"""Safety outcomes of ITP cases (model `outcomes`, generator 1.6.0): thrombosis and serious
infection hospital stays injected as a Poisson process with a known rate, raised while the
case is exposed (TPO-RA eras, the six months after a rituximab course start).

The exposure is computed from the chunk's *recorded* dispensings, with the rules the
cohort builder applies to them (sql/treatments/exposure_windows.sql, exposures.sql,
courses.sql; every window inclusive at both ends), so that the days a tool reads as exposed
are the days the raised rate applied. Follow-up is each case's covered days from its true
diagnosis date T to its last covered day: an event can only fall on a covered day, as
every claim. The draws come from the outcome stream alone, and the stays are kept aside
(``OutcomeStays``) to be written after every other stay of the run, so the other rows and
their stay ids are what they are without outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .coverage import Coverage
from .model import HOSP_PRIMARY, HOSP_RELATED, Model, OutcomeSpec
from .population import DAYS_PER_YEAR

_SHIFT = 1 << 22  # days per person slot in (person, day) search keys


@dataclass
class Intervals:
    """Inclusive day intervals [start, end] per local person, sorted by person then start,
    disjoint within a person."""

    person: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def __post_init__(self) -> None:
        self.origin = int(self.start.min(initial=0))
        self._key = self.person * _SHIFT + (self.start - self.origin)

    def __len__(self) -> int:
        return len(self.person)

    def locate(self, who: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Index of the interval holding (person, day), or -1."""
        if not len(self.person):
            return np.full(len(who), -1, dtype=np.int64)
        rel = np.clip(day - self.origin, -1, _SHIFT - 1)
        i = np.searchsorted(self._key, who * _SHIFT + rel, side="right") - 1
        j = np.maximum(i, 0)
        ok = (i >= 0) & (rel >= 0) & (self.person[j] == who) & (day <= self.end[j])
        return np.where(ok, i, -1)

    def for_person(self, p: int) -> list[tuple[int, int]]:
        lo, hi = np.searchsorted(self.person, [p, p + 1])
        return list(zip(self.start[lo:hi].tolist(), self.end[lo:hi].tolist(), strict=True))


def _groups(person: np.ndarray) -> np.ndarray:
    """True on the first row of each person (rows sorted by person)."""
    first = np.ones(len(person), dtype=bool)
    first[1:] = person[1:] != person[:-1]
    return first


def _merge(person: np.ndarray, start: np.ndarray, end: np.ndarray, gap: int) -> Intervals:
    """Merge each person's intervals while the next start <= the end covered so far +
    gap + 1 (gap 0: overlapping or touching intervals); each merged one runs from its first
    start to the latest end."""
    if not len(person):
        return Intervals(person, start, end)
    order = np.lexsort((end, start, person))
    person, start, end = person[order], start[order], end[order]
    origin = int(start.min())
    running = np.maximum.accumulate(person * _SHIFT + (end - origin))  # per person: monotone
    covered_until = np.empty_like(end)
    covered_until[1:] = running[:-1] - person[1:] * _SHIFT + origin
    first = _groups(person)
    new = first | (start > covered_until + gap + 1)
    idx = np.flatnonzero(new)
    return Intervals(person[idx], np.minimum.reduceat(start, idx), np.maximum.reduceat(end, idx))


def exposure_windows(
    spec: OutcomeSpec,
    model: Model,
    disp: dict[str, np.ndarray],
    is_case: np.ndarray,
    last_day: np.ndarray,
) -> Intervals:
    """The days each case is exposed for this outcome, read from the recorded dispensings:
    eras of boxes (each covers round(quantity x days_per_box) days from its date, at least
    one; windows merge across grace_days uncovered days; no stockpiling) or the window_days
    from each course start (administrations less than course_gap_days apart are one
    course); truncated at the case's last covered day."""
    rows = np.flatnonzero(spec.exposure_atc(model.atc.codes)[disp["atc"]] & is_case[disp["person"]])
    person, day = disp["person"][rows], disp["date"][rows]
    if spec.kind == "era":
        days = np.maximum(1, np.floor(disp["quantity"][rows] * spec.days_per_box + 0.5))
        windows = _merge(person, day, day + days.astype(np.int64) - 1, spec.grace_days)
    else:
        order = np.lexsort((day, person))
        person, day = person[order], day[order]
        gap = np.diff(day, prepend=day[:1])
        starts = _groups(person) | (gap >= spec.course_gap_days)
        person, day = person[starts], day[starts]
        windows = _merge(person, day, day + spec.window_days - 1, 0)
    last = last_day[windows.person]
    keep = windows.start <= last
    return Intervals(windows.person[keep], windows.start[keep], np.minimum(windows.end, last)[keep])


@dataclass
class FollowUp:
    """The cases' follow-up: covered segments from T on, grouped into runs of touching
    segments (one run per uninterrupted stretch of coverage)."""

    segments: Intervals
    segment_run: np.ndarray  # run index of each segment
    run_person: np.ndarray
    run_start: np.ndarray
    run_end: np.ndarray


def follow_up(cov: Coverage, start_day: np.ndarray, is_case: np.ndarray) -> FollowUp:
    """Covered days of each case from start_day (its T) on."""
    seg = np.flatnonzero(is_case[cov.person] & (cov.end >= start_day[cov.person]))
    person = cov.person[seg]
    s = np.maximum(cov.start[seg], start_day[person])
    e = cov.end[seg]
    first = _groups(person)
    prev_end = np.empty_like(e)
    prev_end[1:] = e[:-1]
    new_run = first | (s > prev_end + 1)
    run = np.cumsum(new_run) - 1
    idx = np.flatnonzero(new_run)
    run_end = np.maximum.reduceat(e, idx) if len(idx) else e[:0]
    return FollowUp(Intervals(person, s, e), run, person[idx], s[idx], run_end)


def _pieces(fu: FollowUp, windows: Intervals) -> tuple[np.ndarray, ...]:
    """Follow-up segments cut at the exposure windows: (segment, start, end, on), in
    person and date order."""
    rows: list[tuple[int, int, int, bool]] = []
    for i, (p, s, e) in enumerate(
        zip(
            fu.segments.person.tolist(),
            fu.segments.start.tolist(),
            fu.segments.end.tolist(),
            strict=True,
        )
    ):
        d = s
        for ws, we in windows.for_person(p):
            if we < d or ws > e:
                continue
            if ws > d:
                rows.append((i, d, ws - 1, False))
            rows.append((i, max(ws, d), min(we, e), True))
            d = min(we, e) + 1
        if d <= e:
            rows.append((i, d, e, False))
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, np.zeros(0, dtype=bool)
    seg, lo, hi, on = zip(*rows, strict=True)
    return (
        np.array(seg, dtype=np.int64),
        np.array(lo, dtype=np.int64),
        np.array(hi, dtype=np.int64),
        np.array(on, dtype=bool),
    )


@dataclass
class OutcomeStays:
    """Outcome stays kept aside until every other stay of the run is numbered: person ids
    are global, `stay` indexes `admission`/`discharge` (the stay id is assigned at the
    end, in this order)."""

    person_id: list[np.ndarray] = field(default_factory=list)
    admission: list[np.ndarray] = field(default_factory=list)
    discharge: list[np.ndarray] = field(default_factory=list)
    dx_person_id: list[np.ndarray] = field(default_factory=list)
    dx_date: list[np.ndarray] = field(default_factory=list)
    dx_code: list[np.ndarray] = field(default_factory=list)
    dx_setting: list[np.ndarray] = field(default_factory=list)
    dx_stay: list[np.ndarray] = field(default_factory=list)
    dx_variant: list[np.ndarray] = field(default_factory=list)
    n_stays: int = 0

    def arrays(self, name: str, dtype) -> np.ndarray:
        parts = getattr(self, name)
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)


@dataclass
class ChunkOutcomes:
    """What one chunk's outcome injection produced, for the ground truth."""

    events: list[dict]  # one per injected stay (stay = index in OutcomeStays)
    windows: list[dict]  # exposure windows
    runs: list[dict]  # per outcome and follow-up run: days and events on and off


def inject_outcomes(
    rng: np.random.Generator,
    model: Model,
    cov: Coverage,
    person_id: np.ndarray,
    onset: np.ndarray,
    dispensings: dict[str, np.ndarray],
    diagnoses: dict[str, np.ndarray],
    group: np.ndarray,
    stays: OutcomeStays,
) -> ChunkOutcomes:
    """Draw the outcome stays of the chunk's ITP cases (``onset`` >= 0: T, per local
    person), append them to ``stays``, and tally the truth: per outcome and follow-up run,
    days on and off exposure, injected events on and off, and background events (the
    cases' other stays with an outcome code as primary diagnosis) on and off; ``group``
    flags the cases of the FAITH-like group of the summary."""
    is_case = onset >= 0
    start_day = np.where(is_case, onset, np.iinfo(np.int64).max)
    fu = follow_up(cov, start_day, is_case)
    events: list[dict] = []
    windows_out: list[dict] = []
    runs: list[dict] = []
    dx_rows: list[tuple[np.ndarray, ...]] = []
    primary_dx = diagnoses["setting"] == HOSP_PRIMARY
    for spec in model.outcomes:
        windows = exposure_windows(spec, model, dispensings, is_case, cov.exit)
        seg, lo, hi, on = _pieces(fu, windows)
        length = hi - lo + 1
        per_day = spec.baseline_per_100k / 1e5 / DAYS_PER_YEAR
        rate = np.where(on, per_day * spec.rate_ratio, per_day)
        count = rng.poisson(rate * length)
        piece = np.repeat(np.arange(len(lo)), count)
        day = lo[piece] + np.floor(rng.random(len(piece)) * length[piece]).astype(np.int64)
        order = np.lexsort((day, fu.segments.person[seg[piece]]))
        piece, day = piece[order], day[order]
        who = fu.segments.person[seg[piece]]
        los = rng.geometric(1.0 / (spec.mean_los + 1.0), size=len(day)) - 1
        discharge = np.minimum(day + los, fu.segments.end[seg[piece]])
        code = spec.primary.sample(rng, len(day))
        related = rng.random(len(day)) < spec.related_prob
        related_code = spec.related.sample(rng, int(related.sum()))

        stay = stays.n_stays + np.arange(len(day), dtype=np.int64)
        stays.n_stays += len(day)
        stays.person_id.append(person_id[who])
        stays.admission.append(day)
        stays.discharge.append(discharge)
        dx_rows.append((who, day, code, np.full(len(day), HOSP_PRIMARY), stay))
        related_setting = np.full(len(related_code), HOSP_RELATED)
        dx_rows.append((who[related], day[related], related_code, related_setting, stay[related]))
        exposed = on[piece]
        for k in range(len(day)):
            events.append(
                {
                    "person_id": int(person_id[who[k]]),
                    "outcome": spec.name,
                    "admission_date": int(day[k]),
                    "discharge_date": int(discharge[k]),
                    "stay": int(stay[k]),
                    "code": model.dx.codes[int(code[k])],
                    "exposed": bool(exposed[k]),
                }
            )
        for p, s, e in zip(
            windows.person.tolist(), windows.start.tolist(), windows.end.tolist(), strict=True
        ):
            windows_out.append(
                {
                    "person_id": int(person_id[p]),
                    "outcome": spec.name,
                    "start_date": s,
                    "end_date": e,
                }
            )

        # tallies per follow-up run
        n_runs = len(fu.run_person)
        run_of_piece = fu.segment_run[seg]
        days_on = np.bincount(run_of_piece[on], weights=length[on], minlength=n_runs)
        days_off = np.bincount(run_of_piece[~on], weights=length[~on], minlength=n_runs)
        inj_run = run_of_piece[piece]
        inj_on = np.bincount(inj_run[exposed], minlength=n_runs)
        inj_off = np.bincount(inj_run[~exposed], minlength=n_runs)
        hit = primary_dx & spec.matches(model.dx.codes)[diagnoses["code"]]
        hit &= is_case[diagnoses["person"]]
        b_person, b_day = diagnoses["person"][hit], diagnoses["date"][hit]
        b_seg = fu.segments.locate(b_person, b_day)
        b_person, b_day, b_seg = b_person[b_seg >= 0], b_day[b_seg >= 0], b_seg[b_seg >= 0]
        b_on = windows.locate(b_person, b_day) >= 0
        b_run = fu.segment_run[b_seg]
        bg_on = np.bincount(b_run[b_on], minlength=n_runs)
        bg_off = np.bincount(b_run[~b_on], minlength=n_runs)
        for r in range(n_runs):
            runs.append(
                {
                    "group": bool(group[fu.run_person[r]]),
                    "person_id": int(person_id[fu.run_person[r]]),
                    "outcome": spec.name,
                    "start_date": int(fu.run_start[r]),
                    "end_date": int(fu.run_end[r]),
                    "days_on": int(days_on[r]),
                    "days_off": int(days_off[r]),
                    "injected_on": int(inj_on[r]),
                    "injected_off": int(inj_off[r]),
                    "background_on": int(bg_on[r]),
                    "background_off": int(bg_off[r]),
                }
            )

    # ~5% of the codes written dotted or lower-case, as every other diagnosis row
    for who, day, code, setting, stay in dx_rows:
        odd = rng.random(len(day)) < model.unnormalised_fraction
        variant = np.where(odd, 1 + (rng.random(len(day)) < 0.5), 0)
        stays.dx_person_id.append(person_id[who])
        stays.dx_date.append(day)
        stays.dx_code.append(code)
        stays.dx_setting.append(setting)
        stays.dx_stay.append(stay)
        stays.dx_variant.append(variant)
    return ChunkOutcomes(events, windows_out, runs)
