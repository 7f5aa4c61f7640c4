"""Every SQL stage has a true header, binds its values, and stays portable: it parses as
DuckDB and transpiles to Spark SQL with sqlglot without unsupported constructs."""

from __future__ import annotations

import re

import pytest
import sqlglot
from sqlglot import exp

from pharmacoepi.engines.stages import load_stage
from pharmacoepi.resources import resource_dir

STAGES = sorted(
    p.relative_to(resource_dir("sql")).with_suffix("").as_posix()
    for p in resource_dir("sql").rglob("*.sql")
)


def test_there_are_stages():
    assert {"screen/dispensings", "cohort/incident", "cohort/cohort"} <= set(STAGES)


@pytest.mark.parametrize("name", STAGES)
def test_stage_is_portable(name):
    stage = load_stage(name)
    sql = stage.render({k: sorted(v)[0] for k, v in stage.identifiers.items()})
    assert stage.creates in sql
    (spark,) = sqlglot.transpile(
        sql, read="duckdb", write="spark", unsupported_level=sqlglot.ErrorLevel.RAISE
    )
    assert stage.creates in spark
    # No rule value pasted in: outside comments and quoted text, the only numbers are the
    # day arithmetic's 1, flags 0/1 and split_part's field 1/2. Windows, ages and dates
    # come as $params, codes from codelist tables.
    body = "\n".join(line.split("--")[0] for line in sql.splitlines())
    unquoted = re.sub(r"'[^']*'", "''", body)
    steps = {"3", "4", "5", "6"}
    allowed = {"0", "1", "2"} | (steps if name == "cohort/attrition_counts" else set())
    assert set(re.findall(r"\b\d+\b", unquoted)) <= allowed, name  # step numbers there


@pytest.mark.parametrize("name", STAGES)
def test_inputs_header_names_every_table_the_query_reads(name):
    """`-- inputs:` is what plans are checked against: it must be true, no more, no less."""
    stage = load_stage(name)
    sql = stage.render({k: sorted(v)[0] for k, v in stage.identifiers.items()})
    query = sqlglot.parse_one(sql, read="duckdb").expression  # the query of CREATE ... AS
    ctes = {cte.alias_or_name for cte in query.find_all(exp.CTE)}
    read = {table.name for table in query.find_all(exp.Table)} - ctes
    assert read == set(stage.inputs), name


def test_a_continued_inputs_header_is_read_whole():
    assert load_stage("screen/rejected_rows").inputs == (
        "screened_persons", "screened_observation_periods", "screened_diagnoses",
        "screened_dispensings", "screened_procedures", "screened_hospital_stays",
    )  # fmt: skip


def test_identifier_slots_take_only_listed_values():
    stage = load_stage("screen/persons")
    with pytest.raises(ValueError, match="not an allowed value"):
        stage.render({"person_id_type": "BIGINT); DROP TABLE x; --"})
    with pytest.raises(ValueError, match="missing params"):
        stage.check_params({"min_date": None})
