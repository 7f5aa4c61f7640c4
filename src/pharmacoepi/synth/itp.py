"""Claims of ITP cases: the treatment at the true diagnosis date T, the first qualifying
D693 code, the D693 ALD (an interval), follow-up care for persistent/chronic disease
(corticosteroid courses, IVIg, TPO-RA, rituximab courses, splenectomy), bleeding stays,
the secondary-ITP cause (before or after T), and the codes of active prevalent cases
(with an ALD granted at its true date, often before the period). A Python loop over the
(few hundred per chunk) cases; rows are filtered by coverage afterwards in a vectorised
way."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import events as ev
from .coverage import Coverage
from .events import OPEN
from .model import (
    COMMUNITY,
    HOSP_ASSOCIATED,
    HOSP_PRIMARY,
    HOSPITAL,
    LONG_TERM_DISEASE,
    Model,
)
from .population import DAYS_PER_YEAR, Population

# secondary causes that are chronic conditions, also registered as ALD
_ALD_CAUSES = {"lupus", "antiphospholipid", "sjogren", "hiv", "hepatitis_c", "hepatitis_b", "cvid"}


@dataclass
class CaseInfo:
    person: int  # local index
    onset: int  # day
    prevalent: bool
    secondary_cause: str | None
    chronic: bool
    secondary_code: int = -1
    secondary_date: int | None = None  # the day the cause is coded (always recorded)


@dataclass
class _Rows:
    disp: list[tuple] = field(default_factory=list)  # person, date, atc, setting, quantity
    dx: list[tuple] = field(default_factory=list)  # person, date, code, setting, stay, end
    proc: list[tuple] = field(default_factory=list)  # person, date, code, stay
    stays: list[tuple] = field(default_factory=list)  # stay, person, admission, discharge
    rituximab: list[tuple] = field(default_factory=list)  # person, date, course number
    splenectomy: list[tuple] = field(default_factory=list)  # person, date
    tpo_ra: list[tuple] = field(default_factory=list)  # person, date
    cases: list[CaseInfo] = field(default_factory=list)


class _CaseWriter:
    """Turns clinical decisions of one chunk's cases into claim rows."""

    def __init__(self, rng: np.random.Generator, model: Model):
        self.rng, self.m, self.p = rng, model, model.itp
        self.rows = _Rows()

    def uniform(self, lo_hi: list[int]) -> int:
        return int(self.rng.integers(lo_hi[0], lo_hi[1] + 1))

    def dx(self, person: int, day: int, code: int, setting: int, stay: int = -1) -> None:
        self.rows.dx.append((person, day, code, setting, stay, OPEN))

    def ald(self, person: int, day: int, code: int, holds_until: int) -> None:
        """A D693 ALD registration from ``day``: open-ended for ald_open_share, else
        granted for ald_years and renewed until a term ends on or after ``holds_until``."""
        term = round(float(self.p["ald_years"]) * DAYS_PER_YEAR)
        if self.rng.random() < self.p["ald_open_share"]:
            end = OPEN
        else:
            terms = max(1, -(-(holds_until - day + 1) // term))
            end = day + terms * term - 1
        self.rows.dx.append((person, day, code, LONG_TERM_DISEASE, -1, end))

    def los(self, mean: float) -> int:
        return int(self.rng.geometric(1.0 / (mean + 1.0)) - 1)

    def stay(self, person: int, day: int, los: int) -> int:
        sid = len(self.rows.stays)
        self.rows.stays.append((sid, person, day, day + los))
        return sid

    def itp_stay(self, person: int, day: int, setting: int | None = None, los: int = 0) -> None:
        """A stay carrying D693 as primary, related, or associated to another primary."""
        m = self.m
        setting = m.first_code_setting.one(self.rng) if setting is None else setting
        sid = self.stay(person, day, los)
        if setting != HOSP_PRIMARY:
            self.dx(person, day, m.other_primary.one(self.rng), HOSP_PRIMARY, sid)
        self.dx(person, day, m.itp_code, setting, sid)

    def disp(self, person: int, day: int, atc: int, setting: int, qty: float) -> None:
        self.rows.disp.append((person, day, atc, setting, float(qty)))

    def corticosteroid_course(self, person: int, day: int, until: int, months: int) -> None:
        atc = self.m.cs_atc.one(self.rng)
        for k in range(months):
            if day + 30 * k <= until:
                self.disp(person, day + 30 * k, atc, COMMUNITY, self.m.boxes.one(self.rng))

    def incident(self, person: int, onset: int, age: float) -> None:
        rng, m, p = self.rng, self.m, self.p
        group = "child" if age < m.child_age else "adult"
        tr = p["treatment_at_onset"][group]
        u = rng.random()
        cs = (
            u < tr["cs_only"]
            or tr["cs_only"] + tr["ivig_only"] <= u < tr["cs_only"] + tr["ivig_only"] + tr["both"]
        )
        ivig = tr["cs_only"] <= u < tr["cs_only"] + tr["ivig_only"] + tr["both"]
        anti_d = rng.random() < p["anti_d_at_onset"][group]

        persistent = rng.random() < p["persistent_or_chronic"][group]
        chronic12 = persistent and rng.random() < p["chronic_given_persistent"][group]
        if chronic12:
            active_days = 366 + int(rng.exponential(p["chronic_mean_extra_days"]))
        elif persistent:
            active_days = int(rng.integers(100, 366))
        else:  # newly diagnosed only: no ITP care beyond 3 months
            active_days = int(rng.integers(30, 91))
        until = onset + active_days

        # treatment at T (the true diagnosis date)
        if cs:
            self.corticosteroid_course(
                person,
                onset,
                min(until, onset + 89),
                1 + (rng.random() < 0.6) + (rng.random() < 0.3),
            )
        if ivig:
            self.disp(person, onset, m.ivig, HOSPITAL, m.ivig_quantity.one(rng))
        if anti_d:
            self.disp(person, onset, m.anti_d, HOSPITAL, 1.0)
        lag = 0
        # IVIg (or anti-D) alone: mostly coded during the same stay (lag 0); steroids: a
        # few days later
        if cs or ((ivig or anti_d) and rng.random() >= 0.7):
            lag = min(
                int(p["first_code_lag_max_days"]),
                int(rng.geometric(1.0 / (p["first_code_lag_mean_days"] + 1.0)) - 1),
            )
        first = onset + lag
        self.itp_stay(person, first, los=self.los(p["itp_stay_mean_los"]))
        if age >= m.child_age and rng.random() < p["ald_adult_prob"]:
            d = min(first + self.uniform(p["ald_delay_days"]), until)
            if d > first:
                self.ald(person, d, m.itp_code, until)

        if persistent:
            adult = group == "adult"
            self.follow_up(person, onset, first, until, active_days, adult, chronic12 and adult)
        if rng.random() < p["bleeding_first_year"]:
            d = onset + int(rng.integers(0, min(365, active_days) + 1))
            sid = self.stay(person, d, self.los(4.0))
            self.dx(person, d, m.bleeding_primary.one(rng), HOSP_PRIMARY, sid)
            self.dx(person, d, m.itp_code, HOSP_ASSOCIATED, sid)
        cause, code = self.secondary(group)
        self.rows.cases.append(CaseInfo(person, onset, False, cause, persistent, code))

    def follow_up(self, person, onset, first, until, active_days, adult, chronic_adult) -> None:
        rng, m, p = self.rng, self.m, self.p
        d = first
        while True:
            d += self.uniform(p["followup_code_interval_days"])
            if d >= until:
                break
            self.itp_stay(person, d)
        self.itp_stay(person, until)  # care at the end of the active phase (> 3 months)
        d = onset
        while True:
            d += self.uniform(p["cs_course_interval_days"])
            if d > until:
                break
            self.corticosteroid_course(person, d, until, self.uniform(p["cs_course_boxes"]))
        for _ in range(rng.poisson(p["ivig_rescue_per_year"] * active_days / DAYS_PER_YEAR)):
            self.disp(
                person,
                onset + int(rng.integers(1, active_days + 1)),
                m.ivig,
                HOSPITAL,
                m.ivig_quantity.one(rng),
            )
        # splenectomy: persistent or chronic adults still active 6 months after T (L11)
        lo, hi = p["splenectomy_after_days"]
        if adult and active_days >= lo and rng.random() < p["splenectomy_persistent_adult"]:
            d = onset + self.uniform([lo, min(active_days, hi)])
            sid = self.stay(person, d, int(rng.integers(3, 8)))
            self.dx(person, d, m.itp_code, HOSP_PRIMARY, sid)
            self.rows.proc.append((person, d, m.splenectomy_codes.one(rng), sid))
            self.rows.splenectomy.append((person, d))
        if not chronic_adult:
            return
        if rng.random() < p["tpo_ra_chronic_adult"]:
            s = onset + self.uniform(p["tpo_ra_start_days"])
            if s < until:
                atc = m.tpo_ra.one(rng)
                romiplostim = m.atc.codes[atc] == "B02BX04"
                for k, d in enumerate(range(s, max(until, s + 180), 30)):
                    # romiplostim is started in hospital, then dispensed in pharmacies
                    setting = HOSPITAL if romiplostim and k == 0 else COMMUNITY
                    self.disp(person, d, atc, setting, 1.0)
                    self.rows.tpo_ra.append((person, d))
        if rng.random() < p["rituximab_chronic_adult"]:
            s = onset + self.uniform(p["rituximab_start_days"])
            if s < until:
                self.rituximab_course(person, s, 1)
                if rng.random() < p["rituximab_second_course"]:
                    self.rituximab_course(
                        person, s + self.uniform(p["rituximab_second_delay_days"]), 2
                    )

    def rituximab_course(self, person: int, start: int, course: int) -> None:
        rng, m, p = self.rng, self.m, self.p
        atc = m.rituximab_old if rng.random() < p["rituximab_old_code_fraction"] else m.rituximab
        days = (0, 7, 14, 21) if rng.random() < p["rituximab_weekly_x4"] else (0, 14)
        for dd in days:
            self.disp(person, start + dd, atc, HOSPITAL, 1.0)
            self.rows.rituximab.append((person, start + dd, course))

    def secondary(self, group: str) -> tuple[str | None, int]:
        u = self.rng.random()
        acc = 0.0
        for name, share, codes in self.m.secondary_causes[group]:
            acc += share
            if u < acc:
                return name, codes[int(self.rng.integers(len(codes)))]
        return None, -1

    def record_secondary(self, cov: Coverage, case: CaseInfo) -> None:
        """The cause is coded in [T - secondary_lookback_days, T], or for a share of the
        cases after T (found at the work-up) in [T + 1, T + 60]; always inside the coverage
        period holding T, so it is always recorded. A chronic cause is also registered as
        an open-ended ALD half of the time."""
        rng, p = self.rng, self.p
        seg = int(cov.locate(np.array([case.person]), np.array([case.onset]))[0])
        if rng.random() < p["secondary_after_share"]:
            d = min(case.onset + self.uniform(p["secondary_after_days"]), int(cov.end[seg]))
        else:
            d = max(
                case.onset - int(rng.integers(0, p["secondary_lookback_days"] + 1)),
                int(cov.start[seg]),
            )
        case.secondary_date = d
        code = case.secondary_code
        sid = self.stay(case.person, d, self.los(3.0))
        self.dx(case.person, d, code, HOSP_PRIMARY, sid)
        if case.secondary_cause in _ALD_CAUSES and rng.random() < 0.5:
            self.rows.dx.append((case.person, d, code, LONG_TERM_DISEASE, -1, OPEN))

    def prevalent(
        self, person: int, onset: int, active: bool, age: float, start: int, end: int, exit_: int
    ) -> None:
        rng, m, p = self.rng, self.m, self.p
        if active:
            # chronic ITP known before the period: a code at least every 365 days
            d = start + int(rng.integers(0, 365))
            if age >= m.child_age and rng.random() < p["ald_adult_prob"]:
                # the ALD granted after the onset (often before the period), holding
                # through the person's coverage (the disease stays active)
                self.ald(person, onset + self.uniform(p["ald_delay_days"]), m.itp_code, exit_)
            while d <= end:
                self.itp_stay(person, d)
                if rng.random() < p["prevalent_drug_prob_per_visit"]:
                    if rng.random() < 0.8:
                        self.corticosteroid_course(person, d, end, 1)
                    else:
                        self.disp(person, d, m.ivig, HOSPITAL, 1.0)
                d += self.uniform(p["prevalent_code_interval_days"])
        self.rows.cases.append(CaseInfo(person, onset, True, None, active))


def generate_case_claims(
    rng: np.random.Generator,
    model: Model,
    pop: Population,
    cov: Coverage,
    incident_onset: np.ndarray,
    prevalent_onset: np.ndarray,
    start: int,
    end: int,
) -> tuple[dict[str, ev.Events], list[CaseInfo], dict[str, ev.Events]]:
    """Claims rows of all ITP cases of the chunk (not yet filtered by coverage), the
    case list, and the TPO-RA dispensings, rituximab infusions and splenectomies for the
    ground truth (``treatments``: tpo_ra, rituximab, splenectomy)."""
    w = _CaseWriter(rng, model)
    prev = np.flatnonzero(prevalent_onset >= 0)
    active = rng.random(len(prev)) < model.itp["prevalent_active_fraction"]
    for person, act in zip(prev.tolist(), active.tolist(), strict=True):
        age = (start - int(pop.birth[person])) / DAYS_PER_YEAR
        w.prevalent(
            person, int(prevalent_onset[person]), act, age, start, end, int(cov.exit[person])
        )
    for person in np.flatnonzero(incident_onset >= 0).tolist():
        onset = int(incident_onset[person])
        w.incident(person, onset, (onset - int(pop.birth[person])) / DAYS_PER_YEAR)
        if w.rows.cases[-1].secondary_cause is not None:
            w.record_secondary(cov, w.rows.cases[-1])

    r = w.rows
    claims = ev.claim_tables(rng, model, r.disp, r.dx, r.proc, r.stays)
    treatments = {
        "tpo_ra": ev.from_rows(r.tpo_ra, ("person", "date")),
        "rituximab": ev.from_rows(r.rituximab, ("person", "date", "stay")),  # stay = course no
        "splenectomy": ev.from_rows(r.splenectomy, ("person", "date")),
    }
    return claims, r.cases, treatments
