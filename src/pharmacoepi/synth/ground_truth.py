"""Ground truth written beside the data: the ITP cases as generated (true onset date,
first recorded code, the index date FAITH's back-dating finds, secondary cause and its
date, trajectory), their treatment episodes as recorded, the injected incidence rates,
the multiple sclerosis cases and DMT episodes, and the NMOSD near misses."""

from __future__ import annotations

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
