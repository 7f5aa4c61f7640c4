"""The era builder against its peer, the OHDSI-standard drug_era algorithm, over the same
dispensings: every community or hospital dispensing whose ATC code is on one of the
definition's treatment-class codelists, for every person (not only the cohort's).
Both use the OHDSI conventions: an exposure of quantity x days_per_box days ends on
start + days, and exposures of one person and class merge while the next start is at
most 30 days after the latest end.

`python benchmarks/era_peers.py builder|ohdsi DEFINITION DATA` prints the eras built.
`builder` runs the project's stage (sql/treatments/exposures.sql); `ohdsi` runs
benchmarks/ohdsi_drug_era.sql, written from the published description of the OHDSI
algorithm (start and padded-end events, running count: an era closes where no exposure
is open)."""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa

from pharmacoepi.definition import load_definition
from pharmacoepi.engines.duckdb import DuckDBEngine as Engine
from pharmacoepi.pipeline.drug_eras import NO_COURSES_NOR_POINTS
from pharmacoepi.synth.writer import table_files

PERSISTENCE = 30


def _class_codes(definition: str) -> pa.Table:
    d = load_definition(definition)
    rows = [
        (name, d.codelists[c.codelist].match, code)
        for name, c in d.definition.treatments.classes.items()
        if c.kind == "dispensing" and d.codelists[c.codelist].domain == "dispensings"
        for code in d.codelists[c.codelist].codes
    ]
    return pa.table(
        {
            "class": [r[0] for r in rows],
            "match": [r[1] for r in rows],
            "code": [r[2] for r in rows],
        }
    )


def _windows(engine: Engine, definition: str, data: Path) -> None:
    engine.register("class_codes", _class_codes(definition))
    files = [str(f) for f in table_files(data, "dispensings")]
    engine.con.read_parquet(files).create_view("dispensings")
    engine.con.execute(
        """
        CREATE TEMP TABLE class_atc AS
        SELECT DISTINCT v.atc, k.class
        FROM (SELECT DISTINCT atc FROM dispensings) AS v
        JOIN class_codes AS k
            ON (k.match = 'exact' AND upper(v.atc) = k.code)
            OR (k.match = 'prefix' AND starts_with(upper(v.atc), k.code))
        """
    )
    engine.con.execute(
        """
        CREATE TEMP TABLE exposure_windows AS
        SELECT d.person_id, c.class, d.date AS start_date,
            d.date + CAST(greatest(1, round(d.quantity * 30)) AS INTEGER) AS end_date,
            CAST(greatest(1, round(d.quantity * 30)) AS INTEGER) AS duration,
            $grace AS grace_days, DATE '9999-12-31' AS follow_up_end
        FROM dispensings AS d JOIN class_atc AS c ON c.atc = d.atc
        """,
        {"grace": PERSISTENCE - 1},
    )


def main(mode: str, definition: str, data: Path) -> int:
    with Engine() as engine:
        _windows(engine, definition, data)
        if mode == "builder":
            for name, table in NO_COURSES_NOR_POINTS.items():
                engine.register(name, table)
            return engine.run("treatments/exposures").rows
        sql = (Path(__file__).parent / "ohdsi_drug_era.sql").read_text()
        engine.con.execute(sql, {"persistence": PERSISTENCE})
        return engine.count("ohdsi_eras")


if __name__ == "__main__":
    print(main(sys.argv[1], sys.argv[2], Path(sys.argv[3])))
