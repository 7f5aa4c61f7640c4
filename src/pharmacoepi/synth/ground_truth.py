"""Ground truth written beside the data: the ITP cases as generated (true onset date,
first recorded code, secondary cause, trajectory) and the injected incidence rates."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .hazard import ItpHazard
from .itp import CaseInfo
from .model import SEXES, Model
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
                }
            )


def write_ground_truth(gt: Path, cases: CaseTable, model: Model, hazard: ItpHazard) -> int:
    rows = sorted(cases.rows, key=lambda r: r["person_id"])
    cols = {}
    for field in SCHEMA:
        values = [r[field.name] for r in rows]
        if field.type == pa.date32():
            cols[field.name] = pa.array(values, type=pa.int32()).view(pa.date32())
        else:
            cols[field.name] = pa.array(values, type=field.type)
    pq.write_table(
        pa.Table.from_pydict(cols, schema=SCHEMA),
        gt / "itp_cases.parquet",
        compression="zstd",
        store_schema=False,
    )

    lines = ["age_lower,age_upper,sex,rate_per_100k"]
    for b, lower in enumerate(model.band_lower):
        upper = "" if b == len(model.band_lower) - 1 else str(int(model.band_lower[b + 1]) - 1)
        for s, sex in enumerate(SEXES):
            lines.append(f"{int(lower)},{upper},{sex},{hazard.rate[b, s] * 1e5:.6f}")
    (gt / "injected_rates.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(rows)
