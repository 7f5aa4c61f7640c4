"""The scan floor of a build: DuckDB reading, once, just the columns build-cohort needs
from each input table, with the same code filters (the definition's codelists, matched on
the distinct code values as the screening does), and nothing else: no typing, checks,
joins or rules. `python benchmarks/scan_floor.py DEFINITION DATA` prints rows read."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pyarrow as pa

from pharmacoepi.definition import load_definition, normalise_code

# The columns build-cohort's screening stages read, per table (docs/data-model.md).
# hospital_stays is not there: no rule reads it (only validate checks it).
COLUMNS = {
    "persons": "person_id, sex, birth_date, death_date",
    "observation_periods": "person_id, start_date, end_date",
    "diagnoses": "person_id, date, code, setting, stay_id",
    "dispensings": "person_id, date, atc, product_code, setting, quantity, days_supply",
    "procedures": "person_id, date, code, stay_id",
}
CODE = {"diagnoses": "code", "dispensings": "atc", "procedures": "code"}


def _files(data: Path, table: str) -> list[str]:
    if (data / f"{table}.parquet").is_file():
        return [str(data / f"{table}.parquet")]
    return sorted(str(p) for p in (data / table).rglob("*.parquet"))


def scan_floor(definition: str, data: Path) -> int:
    loaded = load_definition(definition)
    con = duckdb.connect()
    rows = 0
    for table, columns in COLUMNS.items():
        files = _files(data, table)
        if not files:
            continue
        con.read_parquet(files).project(columns).create_view("t")
        if table in CODE:
            lists = [c for c in loaded.codelists.values() if c.domain == table]
            # the distinct raw codes that match, as the screening's code vocabulary
            values = [r[0] for r in con.sql(f"SELECT DISTINCT {CODE[table]} FROM t").fetchall()]
            keep = [
                v for v in values if v is not None and any(
                    normalise_code(v).startswith(code) if c.match == "prefix"
                    else normalise_code(v) == code
                    for c in lists for code in c.codes
                )
            ]  # fmt: skip
            con.register("keep", pa.table({"v": pa.array(keep, pa.string())}))
            query = f"SELECT count(*) FROM t WHERE {CODE[table]} IN (SELECT v FROM keep)"
        else:
            query = "SELECT count(*) FROM t"
        # min over every column forces each column read, as the build reads them
        aggregates = ", ".join(f"min({c.strip()})" for c in columns.split(","))
        rows += con.sql(query.replace("count(*)", f"count(*), {aggregates}")).fetchall()[0][0]
        con.execute("DROP VIEW t")
    return rows


if __name__ == "__main__":
    print(scan_floor(sys.argv[1], Path(sys.argv[2])))
