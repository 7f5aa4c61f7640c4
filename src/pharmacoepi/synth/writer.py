"""Parquet output: one file per table, appended chunk by chunk (bounded memory).
Low-cardinality strings are written from numpy index arrays as dictionary arrays; the
Arrow schema is not stored, so readers see plain strings (dictionary-encoded pages)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

_DICT = pa.dictionary(pa.int32(), pa.string())

# Logical schema of the output contract (what readers see).
CONTRACT: dict[str, list[tuple[str, pa.DataType]]] = {
    "persons": [
        ("person_id", pa.int64()),
        ("sex", pa.string()),
        ("birth_date", pa.date32()),
        ("death_date", pa.date32()),
    ],
    "observation_periods": [
        ("person_id", pa.int64()),
        ("start_date", pa.date32()),
        ("end_date", pa.date32()),
    ],
    "diagnoses": [
        ("person_id", pa.int64()),
        ("date", pa.date32()),
        ("code", pa.string()),
        ("setting", pa.string()),
        ("stay_id", pa.int64()),
    ],
    "dispensings": [
        ("person_id", pa.int64()),
        ("date", pa.date32()),
        ("atc", pa.string()),
        ("product_code", pa.string()),
        ("setting", pa.string()),
        ("quantity", pa.float64()),
        ("days_supply", pa.int32()),
    ],
    "procedures": [
        ("person_id", pa.int64()),
        ("date", pa.date32()),
        ("code", pa.string()),
        ("stay_id", pa.int64()),
    ],
    "hospital_stays": [
        ("stay_id", pa.int64()),
        ("person_id", pa.int64()),
        ("admission_date", pa.date32()),
        ("discharge_date", pa.date32()),
    ],
}


def _write_schema(table: str) -> pa.Schema:
    return pa.schema([(n, _DICT if t == pa.string() else t) for n, t in CONTRACT[table]])


def dates(days: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    arr = pa.array(np.asarray(days, dtype=np.int32), mask=null).view(pa.date32())
    return arr


def ints(values: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64), mask=null)


def categories(indices: np.ndarray, dictionary: pa.Array) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(np.asarray(indices, dtype=np.int32)), dictionary)


class TableWriters:
    """One ParquetWriter per table in ``out_dir``; ``write`` appends one chunk."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.rows: dict[str, int] = {t: 0 for t in CONTRACT}

    def write(self, table: str, columns: dict[str, pa.Array]) -> None:
        schema = _write_schema(table)
        batch = pa.Table.from_arrays([columns[n] for n in schema.names], schema=schema)
        if table not in self.writers:
            self.writers[table] = pq.ParquetWriter(
                self.out_dir / f"{table}.parquet",
                schema,
                compression="zstd",
                store_schema=False,
                write_statistics=True,
            )
        self.writers[table].write_table(batch, row_group_size=2_000_000)
        self.rows[table] += batch.num_rows

    def close(self) -> None:
        for table in CONTRACT:  # a table with no row at all still gets a (empty) file
            if table not in self.writers:
                pq.write_table(
                    _write_schema(table).empty_table(),
                    self.out_dir / f"{table}.parquet",
                    compression="zstd",
                    store_schema=False,
                )
        for w in self.writers.values():
            w.close()
        self.writers.clear()
