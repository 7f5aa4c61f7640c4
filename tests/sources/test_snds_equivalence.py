"""One synthetic population, two layouts: `synth --layout claims` and `synth --layout snds`
with the same options, read with --source claims and --source snds, must give the same
canonical tables (bar the outpatient diagnoses SNDS cannot hold), the same ITP cohort and
the same exposures. BEN_IDT_ANO is the claims person_id written as text. The claims
layout holds coverage as it was (leavers, gaps): SNDS is read with coverage to each
pseudonym's last claim (follow_up.snds_coverage: last_claim) to match it; the default,
coverage to the end of the data, is compared apart."""

from __future__ import annotations

import json

import polars as pl
import pytest

from pharmacoepi.engines.duckdb import DuckDBEngine as Engine
from pharmacoepi.sources import register_source, source_problems
from pharmacoepi.synth.snds_layout import read_layout_counts
from tests.cli import run_cli

# 20,000 persons over 10 years with ITP x150: ~90 cohort members, a few seconds per layout
SYNTH = (
    "synth",
    "--persons",
    "20000",
    "--start",
    "2005-01-01",
    "--end",
    "2014-12-31",
    "--seed",
    "11",
    "--itp-multiplier",
    "150",
)
# Each canonical column compared as a value: ids as text, stay ids by their number
# (claims: 123; SNDS: ETA_NUM:RSA_NUM with RSA_NUM the zero-padded claims stay_id).
_STAY = "TRY_CAST(regexp_extract(CAST(stay_id AS VARCHAR), '(\\d+)$', 1) AS BIGINT)"
CANONICAL = {
    "persons": "CAST(person_id AS VARCHAR), sex, TRY_CAST(birth_date AS DATE), "
    "TRY_CAST(death_date AS DATE)",
    "observation_periods": "CAST(person_id AS VARCHAR), TRY_CAST(start_date AS DATE), "
    "TRY_CAST(end_date AS DATE)",
    "diagnoses": f"CAST(person_id AS VARCHAR), TRY_CAST(date AS DATE), code, setting, {_STAY}, "
    "TRY_CAST(end_date AS DATE)",
    "dispensings": "CAST(person_id AS VARCHAR), TRY_CAST(date AS DATE), atc, product_code, "
    "setting, TRY_CAST(quantity AS DOUBLE)",
    "procedures": f"CAST(person_id AS VARCHAR), TRY_CAST(date AS DATE), code, {_STAY}",
    "hospital_stays": f"{_STAY}, CAST(person_id AS VARCHAR), TRY_CAST(admission_date AS DATE), "
    "TRY_CAST(discharge_date AS DATE)",
}


@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    root = tmp_path_factory.mktemp("layouts")
    for layout in ("claims", "snds"):
        result = run_cli(*SYNTH, "--layout", layout, "--out", root / layout)
        assert result.returncode == 0, result.stderr
    assert "20,000 persons as SNDS tables" in result.stdout
    return root / "claims", root / "snds"


def _fingerprint(engine: Engine, view: str, where: str = "") -> tuple[int, int]:
    """Rows and the sum of their hashes: equal for equal multisets of rows, whatever the
    order (both engines are one DuckDB version, so hashes agree)."""
    sql = f"SELECT count(*), sum(CAST(hash({CANONICAL[view]}) AS HUGEINT)) FROM raw_{view} {where}"
    rows, total = engine.con.sql(sql).fetchall()[0]
    return rows, int(total or 0)


def test_same_canonical_tables(layouts):
    claims, snds = layouts
    with Engine() as a, Engine() as b:
        register_source(a, "claims", claims)
        register_source(b, "snds", snds, snds_coverage="last_claim")
        for view in CANONICAL:
            # SNDS records no outpatient diagnosis
            where = "WHERE setting <> 'outpatient'" if view == "diagnoses" else ""
            expected = _fingerprint(a, view, where)
            assert expected[0] > 0, view
            assert _fingerprint(b, view) == expected, view


def test_injected_problems_are_the_ones_counted(layouts):
    _, snds = layouts
    injected = {
        k.removeprefix("injected:"): v
        for k, v in read_layout_counts(snds).items()
        if k.startswith("injected:")
    }
    with Engine() as e:
        register_source(e, "snds", snds)
        counted = {p["problem"]: p["rows"] for p in source_problems(e)}
    assert all(v > 0 for v in injected.values()), injected
    assert counted == injected  # and no other problem


def test_default_coverage_runs_to_the_end_of_the_data(layouts):
    """Every pseudonym's span ends on the extract's last processed claim: the same spans'
    starts, one end for all (review 1.10)."""
    claims, snds = layouts
    with Engine() as a, Engine() as b:
        register_source(a, "claims", claims)
        register_source(b, "snds", snds)
        ends = b.con.sql("SELECT DISTINCT TRY_CAST(end_date AS DATE) FROM raw_observation_periods")
        assert [str(r[0]) for r in ends.fetchall()] == ["2014-12-31"]
        starts = "SELECT count(*) FROM raw_observation_periods"
        assert b.con.sql(starts).fetchall() == a.con.sql(starts).fetchall()


def _build(data, out, source: str) -> None:
    coverage = ("--set", "follow_up.snds_coverage=last_claim") if source == "snds" else ()
    result = run_cli(
        "build-cohort", "itp_faith", "--data", data, "--out", out, "--source", source, *coverage
    )
    assert result.returncode == 0, result.stderr
    audit = json.loads((out / "manifest.json").read_text())["disclosure_audit"]
    assert audit["relations_not_holding"] == []


def _read(out, name: str, columns: list[str]) -> pl.DataFrame:
    frame = pl.read_parquet(out / f"{name}.parquet")
    frame = frame.with_columns(pl.col("person_id").cast(pl.Int64)).select(columns)
    return frame.sort(columns)


def test_same_itp_cohort_and_exposures(layouts, tmp_path):
    claims, snds = layouts
    _build(claims, tmp_path / "claims", "claims")
    _build(snds, tmp_path / "snds", "snds")
    cohort = ["person_id", "index_date", "code_date", "birth_date", "follow_up_end", "phase"]
    exposures = ["person_id", "class", "era_number", "start_date", "end_date", "n_dispensings"]
    for name, columns in (("cohort", cohort), ("exposures", exposures)):
        expected = _read(tmp_path / "claims", name, columns)
        got = _read(tmp_path / "snds", name, columns)
        assert expected.height >= (50 if name == "cohort" else 200), name
        assert got.to_dicts() == expected.to_dicts(), name
    attrition = [pl.read_parquet(tmp_path / s / "attrition.parquet") for s in ("claims", "snds")]
    assert attrition[1].to_dicts() == attrition[0].to_dicts()
