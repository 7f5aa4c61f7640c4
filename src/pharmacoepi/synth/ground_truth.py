"""Ground truth written beside the data: the ITP cases as generated (true onset date,
first recorded code, the index date FAITH's back-dating finds, secondary cause and its
date, trajectory), their treatment episodes as recorded, the injected incidence rates,
the multiple sclerosis cases and DMT episodes, the NMOSD near misses, and the safety
outcomes injected into the ITP cases (stays, exposure windows, days and events on and off
exposure, outcomes.json)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .hazard import ItpHazard
from .itp import CaseInfo
from .model import HOSP_PRIMARY, SEXES, Model
from .ms import MsEpisode
from .population import Population

_EPOCH = date(1970, 1, 1)
_NONE = np.iinfo(np.int64).max

SCHEMA = pa.schema(
    [
        ("person_id", pa.int64()),
        ("onset_date", pa.date32()),
        ("prevalent", pa.bool_()),
        ("first_code_date", pa.date32()),
        ("secondary", pa.bool_()),
        ("secondary_cause", pa.string()),
        ("sex", pa.string()),
        ("birth_date", pa.date32()),
        ("age_at_onset", pa.int32()),
        ("chronic", pa.bool_()),
        ("n_rituximab_courses", pa.int32()),
        ("splenectomy", pa.bool_()),
        ("backdated_index_date", pa.date32()),
        ("secondary_cause_date", pa.date32()),
    ]
)


ITP_TREATMENTS_SCHEMA = pa.schema(
    [
        ("person_id", pa.int64()),
        ("class", pa.string()),
        ("episode_number", pa.int32()),
        ("start_date", pa.date32()),
        ("last_date", pa.date32()),
        ("n_records", pa.int32()),
    ]
)
# a new episode starts when a record comes more than this many days after the previous
# one of its class: TPO-RA boxes cover 30 days and eras bridge 30 uncovered days; rituximab
# infusions less than 60 days apart are one course; each splenectomy is its own episode
ITP_EPISODE_BREAK = {"tpo_ra": 60, "rituximab": 59, "splenectomy": -1}

MS_CASES_SCHEMA = pa.schema(
    [
        ("person_id", pa.int64()),
        ("onset_date", pa.date32()),
        ("prevalent", pa.bool_()),
        ("first_code_date", pa.date32()),
        ("sex", pa.string()),
        ("birth_date", pa.date32()),
    ]
)
MS_TREATMENTS_SCHEMA = pa.schema(
    [
        ("person_id", pa.int64()),
        ("episode_number", pa.int32()),
        ("dmt_class", pa.string()),
        ("efficacy_group", pa.string()),
        ("start_date", pa.date32()),
        ("last_covered_date", pa.date32()),
        ("n_records", pa.int32()),
        ("next", pa.string()),
    ]
)
NMOSD_SCHEMA = pa.schema(
    [
        ("person_id", pa.int64()),
        ("sex", pa.string()),
        ("birth_date", pa.date32()),
        ("first_stay_date", pa.date32()),
        ("n_stays", pa.int32()),
        ("g35_stays", pa.int32()),
    ]
)


def completed_years(birth: int, day: int) -> int:
    b, d = _EPOCH + timedelta(days=birth), _EPOCH + timedelta(days=day)
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


class CaseTable:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(
        self,
        cases: list[CaseInfo],
        pop: Population,
        first_code: np.ndarray,
        backdated: np.ndarray,
        rituximab: dict[str, np.ndarray],
        splenectomy: dict[str, np.ndarray],
    ) -> None:
        courses = {
            (int(p), int(c)) for p, c in zip(rituximab["person"], rituximab["stay"], strict=True)
        }
        splenectomised = {int(p) for p in splenectomy["person"]}
        for c in cases:
            p = c.person
            fc = int(first_code[p])
            bd = int(backdated[p])
            birth = int(pop.birth[p])
            self.rows.append(
                {
                    "person_id": int(pop.person_id[p]),
                    "onset_date": c.onset,
                    "prevalent": c.prevalent,
                    "first_code_date": None if fc == _NONE else fc,
                    "secondary": c.secondary_cause is not None,
                    "secondary_cause": c.secondary_cause,
                    "sex": SEXES[int(pop.sex[p])],
                    "birth_date": birth,
                    "age_at_onset": completed_years(birth, c.onset),
                    "chronic": c.chronic,
                    "n_rituximab_courses": sum(1 for k in (1, 2) if (p, k) in courses),
                    "splenectomy": p in splenectomised,
                    "backdated_index_date": None if bd == _NONE else bd,
                    "secondary_cause_date": c.secondary_date,
                }
            )


class ItpTreatmentTable:
    """ITP treatment episodes (TPO-RA, rituximab courses, splenectomies) as recorded."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, pop: Population, treatments: dict[str, dict[str, np.ndarray]]) -> None:
        for name, gap in ITP_EPISODE_BREAK.items():
            t = treatments[name]
            order = np.lexsort((t["date"], t["person"]))
            person, day = t["person"][order].tolist(), t["date"][order].tolist()
            for i, (p, d) in enumerate(zip(person, day, strict=True)):
                same = i > 0 and person[i - 1] == p
                if same and d - day[i - 1] <= gap:
                    row = self.rows[-1]
                    row["last_date"] = d
                    row["n_records"] += 1
                    continue
                self.rows.append(
                    {
                        "person_id": int(pop.person_id[p]),
                        "class": name,
                        "episode_number": self.rows[-1]["episode_number"] + 1 if same else 1,
                        "start_date": d,
                        "last_date": d,
                        "n_records": 1,
                    }
                )


class MsTable:
    """Multiple sclerosis cases and their DMT episodes as recorded."""

    def __init__(self) -> None:
        self.cases: list[dict] = []
        self.episodes: list[dict] = []

    def add(
        self,
        model: Model,
        pop: Population,
        cases: list[tuple[int, int, bool]],
        first_code: np.ndarray,
        episodes: list[MsEpisode],
    ) -> None:
        for p, onset, prevalent in cases:
            fc = int(first_code[p])
            self.cases.append(
                {
                    "person_id": int(pop.person_id[p]),
                    "onset_date": onset,
                    "prevalent": prevalent,
                    "first_code_date": None if fc == _NONE else fc,
                    "sex": SEXES[int(pop.sex[p])],
                    "birth_date": int(pop.birth[p]),
                }
            )
        for e in episodes:
            c = model.dmt[e.dmt]
            self.episodes.append(
                {
                    "person_id": int(pop.person_id[e.person]),
                    "episode_number": e.number,
                    "dmt_class": c.name,
                    "efficacy_group": c.group,
                    "start_date": e.start,
                    "last_covered_date": e.last_covered,
                    "n_records": e.n_records,
                    "next": e.next,
                }
            )


class NmosdTable:
    """NMOSD persons (G36 stays, sometimes with G35 associated): never MS cases."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, model: Model, pop: Population, persons: list, diagnoses) -> None:
        primary = diagnoses["setting"] == HOSP_PRIMARY
        g35 = (diagnoses["code"] == model.ms_code) & (diagnoses["stay"] >= 0)
        for x in persons:
            mine = diagnoses["person"] == x.person
            stays = mine & primary
            days = diagnoses["date"][stays]
            self.rows.append(
                {
                    "person_id": int(pop.person_id[x.person]),
                    "sex": SEXES[int(pop.sex[x.person])],
                    "birth_date": int(pop.birth[x.person]),
                    "first_stay_date": int(days.min()) if len(days) else None,
                    "n_stays": int(stays.sum()),
                    "g35_stays": int((mine & g35).sum()),
                }
            )


def _write(path: Path, schema: pa.Schema, rows: list[dict], key: tuple[str, ...]) -> None:
    rows = sorted(rows, key=lambda r: tuple(r[k] for k in key))
    cols = {}
    for field in schema:
        values = [r[field.name] for r in rows]
        if field.type == pa.date32():
            cols[field.name] = pa.array(values, type=pa.int32()).view(pa.date32())
        else:
            cols[field.name] = pa.array(values, type=field.type)
    pq.write_table(
        pa.Table.from_pydict(cols, schema=schema), path, compression="zstd", store_schema=False
    )


def write_ground_truth(
    gt: Path,
    cases: CaseTable,
    itp_treatments: ItpTreatmentTable,
    ms: MsTable,
    nmosd: NmosdTable,
    model: Model,
    hazard: ItpHazard,
) -> int:
    _write(gt / "itp_cases.parquet", SCHEMA, cases.rows, ("person_id",))
    _write(
        gt / "itp_treatments.parquet",
        ITP_TREATMENTS_SCHEMA,
        itp_treatments.rows,
        ("person_id", "class", "episode_number"),
    )
    _write(gt / "ms_cases.parquet", MS_CASES_SCHEMA, ms.cases, ("person_id",))
    _write(
        gt / "ms_treatments.parquet",
        MS_TREATMENTS_SCHEMA,
        ms.episodes,
        ("person_id", "episode_number"),
    )
    _write(gt / "nmosd_persons.parquet", NMOSD_SCHEMA, nmosd.rows, ("person_id",))

    lines = ["age_lower,age_upper,sex,rate_per_100k"]
    for b, lower in enumerate(model.band_lower):
        upper = "" if b == len(model.band_lower) - 1 else str(int(model.band_lower[b + 1]) - 1)
        for s, sex in enumerate(SEXES):
            lines.append(f"{int(lower)},{upper},{sex},{hazard.rate[b, s] * 1e5:.6f}")
    (gt / "injected_rates.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(cases.rows)


OUTCOME_EVENTS_SCHEMA = pa.schema(
    [
        ("person_id", pa.int64()),
        ("outcome", pa.string()),
        ("stay_id", pa.int64()),
        ("admission_date", pa.date32()),
        ("discharge_date", pa.date32()),
        ("code", pa.string()),
        ("exposed", pa.bool_()),
    ]
)
OUTCOME_EXPOSURE_SCHEMA = pa.schema(
    [
        ("person_id", pa.int64()),
        ("outcome", pa.string()),
        ("start_date", pa.date32()),
        ("end_date", pa.date32()),
    ]
)
OUTCOME_FOLLOW_UP_SCHEMA = pa.schema(
    [
        ("person_id", pa.int64()),
        ("outcome", pa.string()),
        ("start_date", pa.date32()),
        ("end_date", pa.date32()),
        ("days_on", pa.int64()),
        ("days_off", pa.int64()),
        ("injected_on", pa.int64()),
        ("injected_off", pa.int64()),
        ("background_on", pa.int64()),
        ("background_off", pa.int64()),
    ]
)
_COUNTS = ("days_on", "days_off", "injected_on", "injected_off", "background_on", "background_off")


class OutcomeTable:
    """The injected safety outcomes (ITP cases): each stay, the exposure windows, and per
    follow-up run the days and events on and off exposure."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        self.windows: list[dict] = []
        self.runs: list[dict] = []

    def add(self, chunk) -> None:
        self.events.extend(chunk.events)
        self.windows.extend(chunk.windows)
        self.runs.extend(chunk.runs)

    def write(self, gt: Path, model: Model, first_stay_id: int, study_period) -> None:
        for e in self.events:  # outcome stays are numbered after every other stay
            e["stay_id"] = first_stay_id + e.pop("stay")
        _write(
            gt / "outcome_events.parquet",
            OUTCOME_EVENTS_SCHEMA,
            self.events,
            ("person_id", "outcome", "admission_date", "stay_id"),
        )
        _write(
            gt / "outcome_exposure.parquet",
            OUTCOME_EXPOSURE_SCHEMA,
            self.windows,
            ("person_id", "outcome", "start_date"),
        )
        _write(
            gt / "outcome_follow_up.parquet",
            OUTCOME_FOLLOW_UP_SCHEMA,
            self.runs,
            ("person_id", "outcome", "start_date"),
        )
        outcomes = {}
        for spec in model.outcomes:
            runs = [r for r in self.runs if r["outcome"] == spec.name]
            groups = {"all_cases": _tally(runs, None)}
            groups["faith_adults"] = None if study_period is None else _tally(runs, True)
            outcomes[spec.name] = {
                "codelist": f"cohorts/codelists/{spec.name}.csv",
                "codelist_prefixes": list(spec.prefixes),
                "injected_primary_codes": sorted({model.dx.codes[i] for i in spec.primary.items}),
                "injected_related_codes": sorted({model.dx.codes[i] for i in spec.related.items}),
                "related_share": spec.related_prob,
                "baseline_rate_per_100k": spec.baseline_per_100k,
                "raised_rate_per_100k": round(spec.baseline_per_100k * spec.rate_ratio, 6),
                "rate_ratio": spec.rate_ratio,
                "exposure": _exposure_definition(spec),
                "groups": groups,
            }
        truth = {
            "follow_up": (
                "each ITP case's covered days (observation_periods) from its true diagnosis "
                "date (itp_cases.onset_date; a prevalent case: its first covered day) to its "
                "last covered day (death, leaving, or the end of the period); days in a "
                "coverage gap are not follow-up; windows inclusive at both ends"
            ),
            "event": (
                "a hospital stay whose hospital_primary diagnosis matches the outcome "
                "codelist (prefix), dated at admission; injected: the outcome stays drawn at "
                "the rates below (outcome_events.parquet); background: the case's other "
                "stays with such a primary diagnosis (the generic background care and ITP "
                "stays), drawn independently of the exposure"
            ),
            "groups": {
                "all_cases": "every ITP case of itp_cases.parquet, incident and prevalent",
                "faith_adults": (
                    "incident primary cases (secondary = false) aged >= 18 completed years "
                    "at onset_date, whose first recorded qualifying code (first_code_date) "
                    f"is in the study period {study_period[0]}..{study_period[1]} of "
                    "cohorts/itp_faith.yaml; follow-up still from onset_date"
                    if study_period is not None
                    else None
                ),
            },
            "outcomes": outcomes,
        }
        with (gt / "outcomes.json").open("w", encoding="utf-8") as fh:
            json.dump(truth, fh, sort_keys=True, indent=2)
            fh.write("\n")


def _exposure_definition(spec) -> dict:
    if spec.kind == "era":
        rule = (
            "each dispensing of atc covers [date, date + round(quantity x days_per_box) - 1]; "
            "windows merge into an era while next start <= covered_until + grace_days + 1; "
            "an era runs from its first window's start to its last covered day (grace not "
            "added, no stockpiling); truncated at the case's last covered day"
        )
        params = {"days_per_box": spec.days_per_box, "grace_days": spec.grace_days}
    else:
        rule = (
            "administrations of atc less than course_gap_days apart form one course; "
            "exposed on [course start, course start + window_days - 1]; truncated at the "
            "case's last covered day"
        )
        params = {"course_gap_days": spec.course_gap_days, "window_days": spec.window_days}
    return {"kind": spec.kind, "atc": sorted(spec.atc), **params, "rule": rule}


def _tally(runs: list[dict], group: bool | None) -> dict:
    """Sums over the follow-up runs (of the group's cases when group is True)."""
    runs = [r for r in runs if group is None or r["group"] == group]
    total = {k: sum(r[k] for r in runs) for k in _COUNTS}
    persons = {r["person_id"] for r in runs}
    exposed = {r["person_id"] for r in runs if r["days_on"] > 0}
    py_on, py_off = total["days_on"] / 365.25, total["days_off"] / 365.25

    def rate(events: int, py: float) -> float | None:
        return round(events / py * 1e5, 6) if py else None

    def ratio(on: int, off: int) -> float | None:
        if not (py_on and py_off and off):
            return None
        return round((on / py_on) / (off / py_off), 6)

    all_on = total["injected_on"] + total["background_on"]
    all_off = total["injected_off"] + total["background_off"]
    return {
        "persons": len(persons),
        "persons_exposed": len(exposed),
        "person_days_on": total["days_on"],
        "person_days_off": total["days_off"],
        "person_years_on": round(py_on, 4),
        "person_years_off": round(py_off, 4),
        "injected_on": total["injected_on"],
        "injected_off": total["injected_off"],
        "background_on": total["background_on"],
        "background_off": total["background_off"],
        "injected_rate_on_per_100k": rate(total["injected_on"], py_on),
        "injected_rate_off_per_100k": rate(total["injected_off"], py_off),
        "injected_rate_ratio": ratio(total["injected_on"], total["injected_off"]),
        "all_events_rate_on_per_100k": rate(all_on, py_on),
        "all_events_rate_off_per_100k": rate(all_off, py_off),
        "all_events_rate_ratio": ratio(all_on, all_off),
    }
