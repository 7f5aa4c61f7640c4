"""Column-wise event batches (dicts of numpy arrays) with the few operations the
generator needs: concatenate, filter by a mask."""

from __future__ import annotations

import numpy as np

from .vocabulary import COMMUNITY, HOSPITAL

Events = dict[str, np.ndarray]

# Columns of each internal event batch. Codes are vocabulary indices; person is the
# local index within the chunk; stay is a chunk-local stay index (-1 = none); end is the
# last day of a long-term disease (ALD) registration, OPEN for every other row and for
# an open-ended registration (written as null).
DISPENSING_COLS = ("person", "date", "atc", "product", "setting", "quantity")
DIAGNOSIS_COLS = ("person", "date", "code", "setting", "stay", "end")
PROCEDURE_COLS = ("person", "date", "code", "stay")
STAY_COLS = ("stay", "person", "admission", "discharge")

_DTYPES = {
    "person": np.int64,
    "date": np.int64,
    "atc": np.int32,
    "product": np.int32,
    "setting": np.int8,
    "quantity": np.float64,
    "code": np.int32,
    "stay": np.int64,
    "admission": np.int64,
    "discharge": np.int64,
    "end": np.int64,
}
OPEN = np.iinfo(np.int64).max  # no end date (null)


def empty(cols: tuple[str, ...]) -> Events:
    return {c: np.zeros(0, dtype=_DTYPES[c]) for c in cols}


def make(cols: tuple[str, ...], **arrays: np.ndarray | int | float) -> Events:
    n = max(np.size(v) for v in arrays.values() if np.ndim(v) > 0)
    out = {}
    for c in cols:
        v = np.asarray(arrays[c], dtype=_DTYPES[c])
        out[c] = np.full(n, v, dtype=_DTYPES[c]) if v.ndim == 0 else v
    return out


def concat(batches: list[Events], cols: tuple[str, ...]) -> Events:
    batches = [b for b in batches if len(b[cols[0]])]
    if not batches:
        return empty(cols)
    return {c: np.concatenate([b[c] for b in batches]).astype(_DTYPES[c], copy=False) for c in cols}


def where(batch: Events, mask: np.ndarray) -> Events:
    return {c: v[mask] for c, v in batch.items()}


def from_rows(rows: list[tuple], cols: tuple[str, ...]) -> Events:
    """Rows collected by the per-case ITP loop (few hundred cases per chunk)."""
    if not rows:
        return empty(cols)
    columns = list(zip(*rows, strict=True))
    return {c: np.array(columns[i], dtype=_DTYPES[c]) for i, c in enumerate(cols)}


def claim_tables(
    rng: np.random.Generator,
    model,
    disp: list[tuple],
    dx: list[tuple],
    proc: list[tuple],
    stays: list[tuple],
) -> dict[str, Events]:
    """Claim rows written as tuples by a disease's case writer -> event batches per table,
    with a product code (CIP13 in community, UCD in hospital) drawn for each dispensing."""
    batch = from_rows(disp, ("person", "date", "atc", "setting", "quantity"))
    batch["product"] = np.zeros(len(batch["person"]), dtype=np.int32)
    for setting in (COMMUNITY, HOSPITAL):
        sel = batch["setting"] == setting
        batch["product"][sel] = model.product_for(rng, batch["atc"][sel], setting)
    return {
        "dispensings": {c: batch[c] for c in DISPENSING_COLS},
        "diagnoses": from_rows(dx, DIAGNOSIS_COLS),
        "procedures": from_rows(proc, PROCEDURE_COLS),
        "hospital_stays": from_rows(stays, STAY_COLS),
    }  # fmt: skip
