"""Parquet output, appended chunk by chunk (bounded memory).

The event tables (diagnoses, dispensings, procedures) are hive-partitioned by calendar
year of their date, as claims extracts are delivered (`dispensings/year=2010/part-0.parquet`),
so a reader can take the years it needs; the other tables are one file each
(`persons.parquet`). Row groups hold at most 2 million rows: each chunk of persons adds
one per file (about a million dispensing lines a year per 50,000 persons). Low-cardinality
strings are written from numpy index arrays as dictionary arrays; the Arrow schema is not
stored, so readers see plain strings (dictionary-encoded pages)."""

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
        # long_term_disease rows: the registration's last day (inclusive; null = open-ended);
        # null on every other row
        ("end_date", pa.date32()),
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


# event tables -> the date column whose calendar year partitions them
YEAR_PARTITIONED = {"diagnoses": "date", "dispensings": "date", "procedures": "date"}
ROW_GROUP_ROWS = 2_000_000


def table_files(root: Path, table: str) -> list[Path]:
    """The parquet files of one synthetic table, in year order for partitioned ones."""
    if table in YEAR_PARTITIONED:
        return sorted((root / table).glob("*/*.parquet")) + sorted((root / table).glob("*.parquet"))
    return [root / f"{table}.parquet"]


def _years(dates_column: pa.ChunkedArray) -> np.ndarray:
    if dates_column.null_count:
        raise ValueError("a synthetic event has no date: it cannot be put in a year partition")
    days = dates_column.to_numpy().astype("datetime64[D]")
    return days.astype("datetime64[Y]").astype(np.int64) + 1970


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
    """One ParquetWriter per output file in ``out_dir``; ``write`` appends one chunk."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.writers: dict[tuple[str, int | None], pq.ParquetWriter] = {}
        self.rows: dict[str, int] = {t: 0 for t in CONTRACT}

    def _path(self, table: str, year: int | None) -> Path:
        """persons.parquet; dispensings/year=2010/part-0.parquet; a partitioned table
        without any row: dispensings/part-0.parquet."""
        if table not in YEAR_PARTITIONED:
            return self.out_dir / f"{table}.parquet"
        folder = self.out_dir / table / (f"year={year}" if year is not None else "")
        folder.mkdir(parents=True, exist_ok=True)
        return folder / "part-0.parquet"

    def _writer(self, table: str, year: int | None) -> pq.ParquetWriter:
        key = (table, year)
        if key not in self.writers:
            self.writers[key] = pq.ParquetWriter(
                self._path(table, year),
                _write_schema(table),
                compression="zstd",
                store_schema=False,
                write_statistics=True,
            )
        return self.writers[key]

    def write(self, table: str, columns: dict[str, pa.Array]) -> None:
        schema = _write_schema(table)
        batch = pa.Table.from_arrays([columns[n] for n in schema.names], schema=schema)
        if table in YEAR_PARTITIONED:
            years = _years(batch.column(YEAR_PARTITIONED[table]))
            for year in np.unique(years):
                part = batch.filter(pa.array(years == year))
                self._writer(table, int(year)).write_table(part, row_group_size=ROW_GROUP_ROWS)
        else:
            self._writer(table, None).write_table(batch, row_group_size=ROW_GROUP_ROWS)
        self.rows[table] += batch.num_rows

    def close(self) -> None:
        for table in CONTRACT:  # a table with no row at all still gets a (empty) file
            if any(key[0] == table for key in self.writers):
                continue
            pq.write_table(
                _write_schema(table).empty_table(),
                self._path(table, None),
                compression="zstd",
                store_schema=False,
            )
        for w in self.writers.values():
            w.close()
        self.writers.clear()
