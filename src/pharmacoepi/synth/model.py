"""The synthetic French claims model: parameters read from ``france_model.yaml`` turned
into numpy lookup tables and code vocabularies the samplers index into."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from .config import read_preset_yaml
from .vocabulary import (  # noqa: F401 - re-exported: the samplers import them from here
    COMMUNITY,
    DISP_SETTINGS,
    DMT_GROUPS,
    DMT_MODES,
    DX_SETTINGS,
    EPOCH,
    HOSP_ASSOCIATED,
    HOSP_PRIMARY,
    HOSP_RELATED,
    HOSPITAL,
    ITP_CODE,
    LONG_TERM_DISEASE,
    NEVER,
    OUTPATIENT,
    SEXES,
    Pool,
    Vocabulary,
    day_number,
)


@dataclass
class StepByAge:
    """A value that is constant within age bands: [[age_lower, value], ...]."""

    lowers: np.ndarray
    values: np.ndarray

    @classmethod
    def build(cls, rows: list[Any]) -> StepByAge:
        lowers = np.array([float(r[0]) for r in rows])
        if lowers[0] != 0 or (np.diff(lowers) <= 0).any():
            raise ValueError(f"age steps must start at 0 and increase: {rows!r}")
        return cls(lowers, np.array([float(r[1]) for r in rows]))

    def __call__(self, age: np.ndarray) -> np.ndarray:
        return self.values[np.searchsorted(self.lowers, age, side="right") - 1]


def _product_code(prefix: str, key: str) -> str:
    """A fixed 13-digit CIP13/UCD13-like code: prefix, digits from a hash, EAN-13 check."""
    body = prefix + f"{zlib.crc32(key.encode()) % 10 ** (12 - len(prefix)):0{12 - len(prefix)}d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


@dataclass
class Products:
    """Product codes per (ATC, setting): CIP13 (34009...) community, UCD13 (34008...)."""

    codes: list[str] = field(default_factory=list)
    offset: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)

    def register(self, atc_idx: int, atc: str, setting: int, n: int) -> None:
        if (atc_idx, setting) in self.offset:
            return
        prefix = "34009" if setting == COMMUNITY else "34008"
        first = len(self.codes)
        for k in range(max(1, int(n))):
            code = _product_code(prefix, f"{setting}:{atc}:{k}")
            if code in self.codes:  # parquet dictionaries need unique values
                raise ValueError(f"product code collision for {atc}: {code}")
            self.codes.append(code)
        self.offset[(atc_idx, setting)] = (first, len(self.codes) - first)

    def lookup_tables(self, n_atc: int) -> tuple[np.ndarray, np.ndarray]:
        first = np.full((n_atc, 2), -1, dtype=np.int64)
        count = np.zeros((n_atc, 2), dtype=np.int64)
        for (a, s), (f, c) in self.offset.items():
            first[a, s], count[a, s] = f, c
        return first, count


@dataclass
class DmtClass:
    """A multiple sclerosis disease-modifying therapy class (ms.classes in the model)."""

    name: str
    index: int
    group: str  # platform | high
    weight: float  # choice weight within the group
    mode: str  # monthly | administration | course
    setting: int  # COMMUNITY | HOSPITAL
    cover_days: int  # days covered by one dispensing/administration (course: 365)
    interval: tuple[int, int]  # days between consecutive records (monthly, administration)
    loading: tuple[int, ...]  # offsets of the first records of an episode
    course_days: list[list[int]]  # offsets of the administrations of each course
    course_interval: int  # days between course starts
    molecule_weight: np.ndarray  # molecule weights within the class
    new_atc: list[int]  # per molecule, current ATC index
    old_atc: list[int]  # per molecule, old ATC index (= new when there is none)
    atc_from: list[int]  # per molecule, first day of the current code (NEVER: no change)
    market: list[int]  # per molecule, first day it may be dispensed (days since 1970)

    @property
    def course(self) -> bool:
        return self.mode == "course"

    @property
    def first_market(self) -> int:
        """The first day the class can be dispensed (its first molecule's market date)."""
        return min(self.market)

    def molecules_on(self, day: int) -> list[int]:
        return [k for k, m in enumerate(self.market) if m <= day]

    def atc_on(self, molecule: int, day: int) -> int:
        """The ATC code a dispensing of this molecule dated ``day`` carries."""
        return self.new_atc[molecule] if day >= self.atc_from[molecule] else self.old_atc[molecule]


@dataclass
class OutcomeSpec:
    """A safety outcome of ITP cases (model `outcomes`): hospital stays with an outcome
    code as primary diagnosis at a baseline rate, raised during an exposure read from the
    recorded dispensings (an era of boxes, or the window after each course start)."""

    name: str
    baseline_per_100k: float
    rate_ratio: float
    kind: str  # era | course
    exposure: dict[str, Any]  # the exposure block as written in the model
    atc: frozenset[str]  # exposure codes (matched as text: no vocabulary entry is added)
    days_per_box: int  # era
    grace_days: int  # era
    course_gap_days: int  # course
    window_days: int  # course
    prefixes: tuple[str, ...]  # the outcome codelist (prefix match)
    primary: Pool
    related: Pool
    related_prob: float
    mean_los: float

    @classmethod
    def build(cls, name: str, spec: dict[str, Any], dx: Vocabulary) -> OutcomeSpec:
        exposure = dict(spec["exposure"])
        kind = str(exposure["kind"])
        if kind not in ("era", "course"):
            raise ValueError(f"outcome {name}: exposure kind must be era or course, got {kind}")
        out = cls(
            name=str(name),
            baseline_per_100k=float(spec["baseline_per_100k"]),
            rate_ratio=float(spec["rate_ratio"]),
            kind=kind,
            exposure=exposure,
            atc=frozenset(str(c) for c in exposure["atc"]),
            days_per_box=int(exposure.get("days_per_box", 0)),
            grace_days=int(exposure.get("grace_days", 0)),
            course_gap_days=int(exposure.get("course_gap_days", 0)),
            window_days=int(exposure.get("window_days", 0)),
            prefixes=tuple(str(c) for c in spec["codelist_prefixes"]),
            primary=Pool.build(dx, spec["primary_codes"]),
            related=Pool.build(dx, spec["related_codes"]),
            related_prob=float(spec["related_prob"]),
            mean_los=float(spec["mean_length_of_stay"]),
        )
        if out.baseline_per_100k <= 0 or out.rate_ratio <= 0:
            raise ValueError(f"outcome {name}: rates must be > 0")
        for pool in (out.primary, out.related):
            stray = [dx.codes[i] for i in pool.items if not dx.codes[i].startswith(out.prefixes)]
            if stray:
                raise ValueError(f"outcome {name}: codes outside its codelist: {stray}")
        return out

    def matches(self, codes: list[str]) -> np.ndarray:
        """Which vocabulary entries are outcome codes (prefix match)."""
        return np.array([c.startswith(self.prefixes) for c in codes], dtype=bool)

    def exposure_atc(self, codes: list[str]) -> np.ndarray:
        """Which ATC vocabulary entries are exposure codes."""
        return np.array([c in self.atc for c in codes], dtype=bool)


class Model:
    """All parameters of the generator, pre-digested for vectorised sampling."""

    def __init__(self, raw: dict[str, Any]):
        self.raw = raw
        self.version = int(raw.get("model_version", 1))
        pop, bg, itp = raw["population"], raw["background"], raw["itp"]

        # --- population pyramid (bands x sex), weights normalised over all cells
        pyr = np.array(pop["pyramid_thousands"], dtype=np.float64)
        self.band_lower = pyr[:, 0]
        self.oldest_age = float(pop["oldest_age"])
        self.band_upper = np.append(self.band_lower[1:], self.oldest_age)
        self.pyramid = pyr[:, 1:3] / pyr[:, 1:3].sum()
        self.births_per_py = float(pop["births_per_person_year"])
        self.male_at_birth = float(pop["male_fraction_at_birth"])

        mort = raw["mortality"]
        self.gompertz_a = np.array([mort[s]["a"] for s in SEXES], dtype=np.float64)
        self.gompertz_b = np.array([mort[s]["b"] for s in SEXES], dtype=np.float64)
        self.coverage = raw["coverage"]

        # --- vocabularies
        self.dx = Vocabulary()
        self.atc = Vocabulary()
        self.ccam = Vocabulary()
        self.products = Products()

        self.dispensing_rate = StepByAge.build(bg["dispensings_per_py_by_age"])
        self.frailty_shape = float(bg["frailty_shape"])
        self.boxes = Pool(*_value_pool(bg["boxes"]))
        self.community_atc = self._drug_pool(bg["community_atc"], COMMUNITY)
        self.hospital_atc = self._drug_pool(bg["hospital_atc"], HOSPITAL)
        self.hospital_disp_per_py = float(bg["hospital_dispensings_per_py"])
        self.hospital_quantity = Pool(*_value_pool(bg["hospital_quantity"]))

        self.stay_rate = StepByAge.build(bg["stays_per_py_by_age"])
        self.mean_los = float(bg["mean_length_of_stay"])
        self.related_prob = float(bg["related_diagnosis_prob"])
        self.associated_count = Pool(*_value_pool(bg["associated_count"]))
        self.primary_codes = Pool.build(self.dx, bg["primary_codes"])
        self.secondary_codes = Pool.build(self.dx, bg["secondary_codes"])
        self.procedure_prob = float(bg["procedure_prob_per_stay"])
        self.procedure_codes = Pool.build(self.ccam, bg["procedure_codes"])
        self.ald_prob = StepByAge.build(bg["ald_prob_by_age"])
        self.ald_second_prob = float(bg["ald_second_prob"])
        # durations in days (0 = open-ended)
        self.ald_duration = Pool(
            *_value_pool([[round(float(y) * 365.25), w] for y, w in bg["ald_duration_years"]])
        )
        self.ald_before_entry = float(bg["ald_before_entry"])
        self.ald_before_entry_max_days = round(float(bg["ald_before_entry_max_years"]) * 365.25)
        self.ald_codes = Pool.build(self.dx, bg["ald_codes"])
        self.outpatient_per_py = float(bg["outpatient_per_py"])
        self.outpatient_codes = Pool.build(self.dx, bg["outpatient_codes"])
        self.unnormalised_fraction = float(bg["unnormalised_code_fraction"])

        # --- ITP
        self.itp = itp
        self.itp_code = self.dx.add(ITP_CODE)
        shape = np.array(itp["rate_shape_per_100k"], dtype=np.float64)
        if not np.array_equal(shape[:, 0], self.band_lower):
            raise ValueError("ITP rate bands must match the population pyramid bands")
        crude_shape = float((shape[:, 1:3] * self.pyramid).sum())
        # rate per 100,000 PY by band x sex, before the run's multiplier
        self.itp_rate_per_100k = shape[:, 1:3] * float(itp["target_crude_per_100k"]) / crude_shape
        self.child_age = float(itp["child_age"])
        season = itp["seasonality"]
        self.itp_season_amplitude = float(season["amplitude"])
        if not 0 <= self.itp_season_amplitude < 1:
            raise ValueError("itp.seasonality.amplitude must be in [0, 1)")
        month, dom = (int(x) for x in str(season["peak"]).split("-"))
        # a continuous day (since 1970) of a peak; the cosine has a period of 365.25 days
        self.itp_season_peak = float((date(1970, month, dom) - EPOCH).days)
        self.cs_atc = Pool.build(self.atc, itp["corticosteroid_atc"])
        self.tpo_ra = Pool.build(self.atc, itp["tpo_ra"])
        self.first_code_setting = Pool(
            *_value_pool([[DX_SETTINGS.index(s), w] for s, w in itp["first_code_setting"]])
        )
        self.other_primary = Pool.build(self.dx, itp["other_primary_codes"])
        self.bleeding_primary = Pool.build(self.dx, itp["bleeding_primary_codes"])
        self.splenectomy_codes = Pool.build(self.ccam, itp["splenectomy_codes"])
        self.ivig_quantity = Pool(*_value_pool(itp["ivig_quantity"]))
        self.secondary_causes: dict[str, list[tuple[str, float, list[int]]]] = {}
        for group in ("adult", "child"):
            self.secondary_causes[group] = [
                (str(name), float(p), [self.dx.add(c) for c in codes])
                for name, p, codes in itp["secondary_causes"][group]
            ]
        # ITP drugs given to cases: register the products they are dispensed as
        for atc, setting in [
            ("H02AB07", COMMUNITY),
            ("H02AB02", COMMUNITY),
            ("J06BA02", HOSPITAL),
            ("J06BB01", HOSPITAL),
            ("B02BX05", COMMUNITY),
            ("B02BX04", COMMUNITY),
            ("B02BX04", HOSPITAL),
            ("L01FA01", HOSPITAL),
            ("L01XC02", HOSPITAL),
        ]:
            self.products.register(self.atc.add(atc), atc, setting, 1)
        self.ivig = self.atc["J06BA02"]
        self.anti_d = self.atc["J06BB01"]
        self.rituximab, self.rituximab_old = self.atc["L01FA01"], self.atc["L01XC02"]

        # --- multiple sclerosis (codes registered after ITP's: earlier indices unchanged)
        self._build_ms(raw["ms"])
        # --- safety outcomes of ITP cases (codes registered last, for the same reason)
        self.outcomes = [
            OutcomeSpec.build(name, spec, self.dx) for name, spec in raw.get("outcomes", {}).items()
        ]

        # flags over the vocabularies used by the consistency rules (codes added first)
        backdating = [self.atc.add(c) for c in itp["backdating_atc"]]
        self.atc_is_backdating = np.isin(np.arange(len(self.atc)), backdating)
        self.backdating_days = int(itp["backdating_days"])
        self.atc_is_itp_treatment = np.isin(
            np.arange(len(self.atc)), [self.atc[c] for c in itp["treatment_atc"]]
        )
        self.atc_ms_washout = np.isin(np.arange(len(self.atc)), self.ms_background_washout)
        prefixes = tuple(itp["itp_drug_atc_prefixes"])
        self.atc_is_itp_drug = np.array([c.startswith(prefixes) for c in self.atc.codes])
        sec = tuple(itp["secondary_family_prefixes"])
        self.dx_is_secondary = np.array([c.startswith(sec) for c in self.dx.codes])
        # --- comorbidities and background drugs (1.7): codes registered after every other
        # code, so earlier vocabulary indices are unchanged; the flags are padded (never set)
        self.comorbidities = None
        if "comorbidities" in raw:
            from .comorbidities import ComorbidityModel

            self.comorbidities = ComorbidityModel.build(raw["comorbidities"], self)
            for name in (
                "atc_is_backdating",
                "atc_is_itp_treatment",
                "atc_ms_washout",
                "atc_is_itp_drug",
                "atc_is_dmt",
            ):
                flags = getattr(self, name)
                setattr(self, name, np.pad(flags, (0, len(self.atc) - len(flags))))
            self.dx_is_secondary = np.array([c.startswith(sec) for c in self.dx.codes])
        self.product_first, self.product_count = self.products.lookup_tables(len(self.atc))

    def _build_ms(self, ms: dict[str, Any]) -> None:
        self.ms = ms
        self.ms_code = self.dx.add(ms["code"])
        # per 100,000 by band x sex, before the run's multiplier
        self.ms_prevalence_per_100k = self._rescaled(ms, "prevalence")
        self.ms_incidence_per_100k = self._rescaled(ms, "incidence")
        self.ms_stay_setting = Pool(
            *_value_pool([[DX_SETTINGS.index(s), w] for s, w in ms["stay_setting"]])
        )
        self.ms_other_primary = Pool.build(self.dx, ms["other_primary_codes"])
        groups = [g for g, _ in ms["first_group"]]
        if sorted(groups) != sorted(DMT_GROUPS):
            raise ValueError(f"ms.first_group must name {DMT_GROUPS}, got {groups}")
        self.ms_first_group = dict(ms["first_group"])
        background = {str(r[0]) for r in self.raw["background"]["community_atc"]}
        background |= {str(r[0]) for r in self.raw["background"]["hospital_atc"]}
        self.dmt: list[DmtClass] = []
        for name, c in ms["classes"].items():
            setting = DISP_SETTINGS.index(c["setting"])
            new, old, weights, atc_from, market = [], [], [], [], []
            for mol in c["molecules"]:
                current, previous = mol["atc"], mol.get("old_atc")
                for code in (current, previous):
                    if code is not None and str(code) in background:
                        raise ValueError(f"MS DMT code {code} is in the background drug pools")
                new.append(self.atc.add(current))
                self.products.register(new[-1], str(current), setting, 1)
                if previous is None:
                    old.append(new[-1])
                    atc_from.append(NEVER)
                else:
                    old.append(self.atc.add(previous))
                    self.products.register(old[-1], str(previous), setting, 1)
                    atc_from.append(day_number(mol["atc_from"]))
                market.append(day_number(mol["market"]))
                weights.append(float(mol["weight"]))
            if c["group"] not in DMT_GROUPS or c["mode"] not in DMT_MODES:
                raise ValueError(f"MS class {name}: bad group or mode")
            self.dmt.append(
                DmtClass(
                    name=str(name),
                    index=len(self.dmt),
                    group=str(c["group"]),
                    weight=float(c["weight"]),
                    mode=str(c["mode"]),
                    setting=setting,
                    cover_days=int(c.get("cover_days", 365)),
                    interval=tuple(c.get("interval_days", (0, 0))),
                    loading=tuple(c.get("loading_days", (0,))),
                    course_days=[list(d) for d in c.get("course_days", [])],
                    course_interval=int(c.get("course_interval_days", 0)),
                    molecule_weight=np.array(weights),
                    new_atc=new,
                    old_atc=old,
                    atc_from=atc_from,
                    market=market,
                )
            )
        self.ms_background_washout = [self.atc[c] for c in ms["background_washout_atc"]]
        nmosd = ms["nmosd"]
        self.nmosd = nmosd
        # prevalence per 100,000 by band x sex (the MS prevalence shape), before the multiplier
        self.nmosd_prevalence_per_100k = self.ms_prevalence_per_100k * (
            float(nmosd["target_prevalence_per_100k"]) / float(ms["target_prevalence_per_100k"])
        )
        self.nmosd_codes = Pool.build(self.dx, nmosd["codes"])
        self.atc_is_dmt = np.zeros(len(self.atc), dtype=bool)
        for c in self.dmt:
            self.atc_is_dmt[c.new_atc + c.old_atc] = True

    def _rescaled(self, ms: dict[str, Any], key: str) -> np.ndarray:
        """An MS shape by band and sex rescaled to its crude target over the pyramid."""
        shape = np.array(ms[f"{key}_shape_per_100k"], dtype=np.float64)
        if not np.array_equal(shape[:, 0], self.band_lower):
            raise ValueError(f"MS {key} bands must match the population pyramid bands")
        crude = float((shape[:, 1:3] * self.pyramid).sum())
        return shape[:, 1:3] * float(ms[f"target_{key}_per_100k"]) / crude

    def _drug_pool(self, rows: list[Any], setting: int) -> Pool:
        pool = Pool.build(self.atc, [[r[0], r[1]] for r in rows])
        for r in rows:
            self.products.register(self.atc[str(r[0])], str(r[0]), setting, int(r[2]))
        return pool

    def product_for(
        self, rng: np.random.Generator, atc_idx: np.ndarray, setting: int
    ) -> np.ndarray:
        first = self.product_first[atc_idx, setting]
        if (first < 0).any():
            raise ValueError("an ATC code has no product registered for this setting")
        count = self.product_count[atc_idx, setting]
        return first + (rng.random(len(atc_idx)) * count).astype(np.int64)

    def itp_band(self, age_years: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.band_lower, age_years, side="right") - 1


def _value_pool(rows: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """A pool whose items are the values themselves (box counts, quantities...)."""
    items = np.array([r[0] for r in rows])
    w = np.array([float(r[1]) for r in rows])
    cum = np.cumsum(w / w.sum())
    cum[-1] = 1.0
    return items, cum


_CACHE: dict[str, Model] = {}


def load_model(name: str) -> Model:
    if name not in _CACHE:
        _CACHE[name] = Model(read_preset_yaml(name))
    return _CACHE[name]
