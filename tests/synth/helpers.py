from __future__ import annotations

from pathlib import Path

import duckdb

from pharmacoepi.definition import load_definition
from pharmacoepi.synth.writer import table_files

QUALIFYING = "('hospital_primary', 'hospital_related', 'hospital_associated', 'long_term_disease')"
BACKDATING = "('H02AB07', 'H02AB06', 'H02AB04', 'H02AB02', 'J06BA02', 'J06BB01')"
NORM = "replace(replace(upper(code), '.', ''), ' ', '')"
# the secondary-ITP causes of the shipped definition: what the generator must keep consistent
SECONDARY_FAMILY = load_definition("itp_faith").codelists["secondary_itp"].codes
# non-steroid ITP drugs: never in a case's background in [T - 250, T - 1]
ITP_DRUGS = (
    "J06BA02",
    "J06BB01",
    "B02BX04",
    "B02BX05",
    "B02BX08",
    "B02BX09",
    "L01FA01",
    "L01XC02",
    "J04BA02",
    "G03XA01",
    "L04AX01",
    "L04AA06",
    "L04AD01",
    "L01CA02",
)


def starts_with_any(column: str, prefixes: tuple[str, ...]) -> str:
    return "(" + " or ".join(f"starts_with({column}, '{p}')" for p in prefixes) + ")"


def connect(root: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name in (
        "persons",
        "observation_periods",
        "diagnoses",
        "dispensings",
        "procedures",
        "hospital_stays",
    ):
        con.read_parquet([str(f) for f in table_files(root, name)]).create_view(name)
    for view, name in (
        ("cases", "itp_cases"),
        ("itp_treatments", "itp_treatments"),
        ("ms_cases", "ms_cases"),
        ("ms_treatments", "ms_treatments"),
        ("nmosd", "nmosd_persons"),
    ):
        path = root / "ground_truth" / f"{name}.parquet"
        con.execute(f"create view {view} as select * from read_parquet('{path}')")
    con.execute(f"create view dx as select *, {NORM} as ncode from diagnoses")
    # each person's first covered day
    con.execute("""create view entry as select person_id, min(start_date) as entry_date
        from observation_periods group by 1""")
    return con


def scalar(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchone()[0]
