"""Run the treatment steps alone on hand-made tables (no screening, no cohort rules), so
property tests can try hundreds of inputs quickly. The tables made here are exactly what
the steps declare they read (the plan check says so), no more."""

from __future__ import annotations

import polars as pl

from pharmacoepi import plan
from pharmacoepi.definition import Definition, LoadedDefinition
from pharmacoepi.engines.duckdb import DuckDBEngine as Engine
from pharmacoepi.treatments import steps as treatments
from tests.reference_treatments import Person, Record

# The earlier steps' tables the treatment steps read, made by hand below.
MADE_HERE = ("cohort", "screened_dispensings", "screened_procedures", "codelist_matches",
             "qualifying_codes")  # fmt: skip


def run_treatment_stages(
    loaded: LoadedDefinition, records: list[Record], persons: dict[int, Person]
) -> dict[str, pl.DataFrame]:
    d: Definition = loaded.definition
    codelist_of = {name: c.codelist for name, c in d.treatments.classes.items()}
    # one made-up code per class, so each record belongs to exactly its class
    code_of = {name: f"X{i:03d}" for i, name in enumerate(sorted(codelist_of))}
    domain_of = {
        name: "procedures" if c.kind == "point" else "dispensings"
        for name, c in d.treatments.classes.items()
    }
    dispensings = [r for r in records if domain_of[r.cls] == "dispensings"]
    procedures = [r for r in records if domain_of[r.cls] == "procedures"]
    with Engine(threads=1) as engine:
        con = engine.con
        con.register("_cohort", pl.DataFrame(
            {"person_id": list(persons), "index_date": [p.index for p in persons.values()],
             "follow_up_end": [p.follow_up_end for p in persons.values()]},
            schema={"person_id": pl.Int64, "index_date": pl.Date, "follow_up_end": pl.Date},
        ))  # fmt: skip
        con.execute("CREATE TEMP TABLE cohort AS SELECT * FROM _cohort")
        con.register("_disp", pl.DataFrame(
            {"person_id": [r.person for r in dispensings], "date": [r.date for r in dispensings],
             "atc": [code_of[r.cls] for r in dispensings],
             "quantity": [r.quantity for r in dispensings],
             "days_supply": [r.days_supply for r in dispensings],
             "end_date": [r.end_date for r in dispensings]},
            schema={"person_id": pl.Int64, "date": pl.Date, "atc": pl.String,
                    "quantity": pl.Float64, "days_supply": pl.Int32, "end_date": pl.Date},
        ))  # fmt: skip
        con.execute(
            "CREATE TEMP TABLE screened_dispensings AS "
            "SELECT *, CAST(NULL AS VARCHAR) AS reject_reason FROM _disp"
        )
        con.register("_proc", pl.DataFrame(
            {"person_id": [r.person for r in procedures], "date": [r.date for r in procedures],
             "code": [code_of[r.cls] for r in procedures]},
            schema={"person_id": pl.Int64, "date": pl.Date, "code": pl.String},
        ))  # fmt: skip
        con.execute(
            "CREATE TEMP TABLE screened_procedures AS "
            "SELECT *, CAST(NULL AS VARCHAR) AS reject_reason FROM _proc"
        )
        con.register("_matches", pl.DataFrame(
            {"codelist": [codelist_of[n] for n in code_of],
             "domain": [domain_of[n] for n in code_of], "code": list(code_of.values())}
        ))  # fmt: skip
        con.execute("CREATE TEMP TABLE codelist_matches AS SELECT * FROM _matches")
        con.execute("CREATE TEMP TABLE qualifying_codes (person_id BIGINT, date DATE)")
        steps = plan.checked(treatments.steps(d), tables=MADE_HERE)
        plan.execute(steps, plan.RunState(engine))
        return {name: con.table(name).pl() for name in ("exposures", "courses", "lines")}
