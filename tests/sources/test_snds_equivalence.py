"""One synthetic population, two layouts: `synth --layout claims` and `synth --layout snds`
with the same options. SNDS holds less than the claims layout, so the claims tables are
first brought to what SNDS knows (`_as_snds_knows_it`, written here from the documented
rules, independently of the adapter):

(a) a beneficiary inserted before 2012 has no insertion date (BEN_DTE_INS 1600-01-01):
    an observation span starting before 2012-01-01 starts at the extract's history start,
    the synthetic data's first day here (follow_up.snds_history_start), or at birth when
    the person was born later (no one is covered before birth);
(b) a stay discharged before 2009 has no dates (T_MCOaaC has none before 2009), only its
    discharge month and length: discharged on the 15th of its month, admitted length days
    before, and its diagnoses, acts and in-stay drugs move with it;
(c) DCIR dispensings (community, retroceded) of one person, day, setting and product are
    one dispensing of their total quantity (copies and reversals cancel out).

Read with --source claims, those tables must give what --source snds gives on the SNDS
files: the same canonical tables (bar the outpatient diagnoses SNDS cannot hold), the same
ITP cohort, exposures and attrition. BEN_IDT_ANO is the claims person_id as text. The
claims layout holds coverage as it was (leavers, gaps): SNDS is read with coverage to each
pseudonym's last claim (follow_up.snds_coverage: last_claim) to match it; the default,
coverage to the end of the data, is compared apart."""

from __future__ import annotations

import json
from collections import Counter

import duckdb
import polars as pl
import pytest

from pharmacoepi.engines.duckdb import DuckDBEngine as Engine
from pharmacoepi.sources import register_source, source_problems
from pharmacoepi.synth.snds_layout import read_layout_counts
from tests.cli import run_cli

HISTORY_START = "2005-01-01"  # the synthetic data's first day: the SNDS history start
# 20,000 persons over 10 years with ITP x150: ~90 cohort members, a few seconds per layout
SYNTH = (
    "synth",
    "--persons",
    "20000",
    "--start",
    HISTORY_START,
    "--end",
    "2014-12-31",
    "--seed",
    "11",
    "--itp-multiplier",
    "150",
)
SNDS_SETTINGS = (
    "--set",
    "follow_up.snds_coverage=last_claim",
    "--set",
    f"follow_up.snds_history_start={HISTORY_START}",
)
# Each canonical column compared as a value: ids as text, stay ids by their number
# (claims: 123; SNDS: the stay key ending with RSA_NUM, the claims stay_id).
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

# (b) how far each stay moves: to the 15th of its discharge month, before 2009
_SHIFTS = """
CREATE TABLE shifts AS
SELECT stay_id,
    CAST(CASE WHEN discharge_date < DATE '2009-01-01'
        THEN date_diff('day', discharge_date,
            make_date(year(discharge_date), month(discharge_date), 15))
        ELSE 0 END AS INTEGER) AS shift
FROM hospital_stays
"""
# A hospital drug given on a day of one of the person's stays is that stay's (PMSI, not
# summed, moves with the stay); any other is retroceded (DCIR): the synthetic layout's
# rule (docs/sources.md, the synthetic SNDS layout)
_DRUG_STAYS = """
CREATE TABLE drug_stays AS
SELECT h.person_id, h.date, min(st.stay_id) AS stay_id
FROM (SELECT DISTINCT person_id, date FROM dispensings WHERE setting = 'hospital') AS h
JOIN hospital_stays AS st ON st.person_id = h.person_id
    AND h.date BETWEEN st.admission_date AND st.discharge_date
GROUP BY h.person_id, h.date
"""
_AS_SNDS_KNOWS_IT = {
    "persons": "SELECT person_id, sex, birth_date, death_date FROM persons",
    # (a), never before birth (SNDS knows the birth month; the synthetic births are on
    # the 15th, the day a reader imputes)
    "observation_periods": """
SELECT o.person_id,
    CASE WHEN o.start_date < DATE '2012-01-01'
        THEN greatest(CAST($history_start AS DATE), p.birth_date)
        ELSE o.start_date END AS start_date,
    o.end_date
FROM observation_periods AS o JOIN persons AS p USING (person_id)""",
    # (b)
    "hospital_stays": """
SELECT h.stay_id, h.person_id, h.admission_date + s.shift AS admission_date,
    h.discharge_date + s.shift AS discharge_date
FROM hospital_stays AS h JOIN shifts AS s USING (stay_id)""",
    "diagnoses": """
SELECT d.person_id, d.date + coalesce(s.shift, 0) AS date, d.code, d.setting, d.stay_id,
    d.end_date
FROM diagnoses AS d LEFT JOIN shifts AS s USING (stay_id)""",
    "procedures": """
SELECT p.person_id, p.date + coalesce(s.shift, 0) AS date, p.code, p.stay_id
FROM procedures AS p LEFT JOIN shifts AS s USING (stay_id)""",
    # (b) for in-stay drugs, (c) for the others
    "dispensings": """
WITH d AS (
    SELECT x.*, ds.stay_id
    FROM dispensings AS x
    LEFT JOIN drug_stays AS ds ON x.setting = 'hospital' AND ds.person_id = x.person_id
        AND ds.date = x.date
)
SELECT d.person_id, d.date + s.shift AS date, d.atc, d.product_code, d.setting, d.quantity,
    CAST(NULL AS INTEGER) AS days_supply
FROM d JOIN shifts AS s USING (stay_id)
UNION ALL
SELECT person_id, date, atc, product_code, setting, sum(quantity),
    CAST(NULL AS INTEGER)
FROM d WHERE stay_id IS NULL
GROUP BY person_id, date, atc, product_code, setting
HAVING sum(quantity) > 0""",
}


def _as_snds_knows_it(claims, out) -> None:
    """Write the claims tables of `claims` to `out` as SNDS knows them (rules a-c)."""
    out.mkdir()
    con = duckdb.connect()
    try:
        for name in ("persons", "observation_periods", "hospital_stays"):
            con.read_parquet(str(claims / f"{name}.parquet")).create_view(name)
        for name in ("diagnoses", "dispensings", "procedures"):
            files = [str(f) for f in sorted((claims / name).rglob("*.parquet"))]
            con.read_parquet(files, hive_partitioning=False).create_view(name)
        con.execute(_SHIFTS)
        con.execute(_DRUG_STAYS)
        for name, sql in _AS_SNDS_KNOWS_IT.items():
            params = {"history_start": HISTORY_START} if "$history_start" in sql else None
            con.sql(sql, params=params).write_parquet(str(out / f"{name}.parquet"))
    finally:
        con.close()


@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    """The claims layout, the SNDS layout, and the claims layout as SNDS knows it."""
    root = tmp_path_factory.mktemp("layouts")
    for layout in ("claims", "snds"):
        result = run_cli(*SYNTH, "--layout", layout, "--out", root / layout)
        assert result.returncode == 0, result.stderr
    assert "20,000 persons as SNDS tables" in result.stdout
    _as_snds_knows_it(root / "claims", root / "expected")
    return root / "claims", root / "snds", root / "expected"


def _count(folder, table: str, where: str = "TRUE") -> int:
    path = folder / f"{table}.parquet"
    files = [path] if path.exists() else sorted((folder / table).rglob("*.parquet"))
    con = duckdb.connect()
    try:
        rel = con.read_parquet([str(f) for f in files], hive_partitioning=False)
        return rel.filter(where).aggregate("count(*)").fetchall()[0][0]
    finally:
        con.close()


def test_the_rules_change_the_claims_tables(layouts):
    """Each rule touches rows, or the comparison would not test it."""
    claims, _, expected = layouts
    # (a) spans moved to the history start (or birth)
    moved = f"start_date < DATE '2012-01-01' AND start_date > DATE '{HISTORY_START}'"
    assert _count(claims, "observation_periods", moved) > 1000 + _count(
        expected, "observation_periods", moved
    )
    # (b) early stays discharged on the 15th
    before_2009 = "discharge_date < DATE '2009-01-01'"
    assert _count(claims, "hospital_stays", f"{before_2009} AND day(discharge_date) <> 15") > 1000
    assert _count(expected, "hospital_stays", f"{before_2009} AND day(discharge_date) <> 15") == 0
    # (c) summed dispensings: fewer rows
    assert _count(expected, "dispensings") < _count(claims, "dispensings")


def _fingerprint(engine: Engine, view: str, where: str = "") -> tuple[int, int]:
    """Rows and the sum of their hashes: equal for equal multisets of rows, whatever the
    order (both engines are one DuckDB version, so hashes agree)."""
    sql = f"SELECT count(*), sum(CAST(hash({CANONICAL[view]}) AS HUGEINT)) FROM raw_{view} {where}"
    rows, total = engine.con.sql(sql).fetchall()[0]
    return rows, int(total or 0)


def test_same_canonical_tables(layouts):
    _, snds, expected = layouts
    with Engine() as a, Engine() as b:
        register_source(a, "claims", expected)
        register_source(
            b, "snds", snds, snds_coverage="last_claim", snds_history_start=HISTORY_START
        )
        for view in CANONICAL:
            # SNDS records no outpatient diagnosis
            where = "WHERE setting <> 'outpatient'" if view == "diagnoses" else ""
            want = _fingerprint(a, view, where)
            assert want[0] > 0, view
            assert _fingerprint(b, view) == want, view


def test_injected_problems_are_the_ones_counted(layouts):
    _, snds, _ = layouts
    injected = {
        k.removeprefix("injected:"): v
        for k, v in read_layout_counts(snds).items()
        if k.startswith("injected:")
    }
    with Engine() as e:
        register_source(e, "snds", snds)
        problems = source_problems(e)
    # a problem name counted in two tables would need the comparison keyed by table
    names = Counter(p["problem"] for p in problems)
    assert [n for n, k in names.items() if k > 1] == [], problems
    counted = {p["problem"]: p["rows"] for p in problems}
    assert all(v > 0 for v in injected.values()), injected
    assert counted == injected  # and no other problem


def test_default_coverage_runs_to_the_end_of_the_data(layouts):
    """Every pseudonym's span ends on the extract's last processed claim: the same spans'
    starts, one end for all (review 1.10)."""
    claims, snds, _ = layouts
    with Engine() as a, Engine() as b:
        register_source(a, "claims", claims)
        register_source(b, "snds", snds)
        ends = b.con.sql("SELECT DISTINCT TRY_CAST(end_date AS DATE) FROM raw_observation_periods")
        assert [str(r[0]) for r in ends.fetchall()] == ["2014-12-31"]
        starts = "SELECT count(*) FROM raw_observation_periods"
        assert b.con.sql(starts).fetchall() == a.con.sql(starts).fetchall()


def _build(data, out, source: str) -> None:
    settings = SNDS_SETTINGS if source == "snds" else ()
    result = run_cli(
        "build-cohort", "itp_faith", "--data", data, "--out", out, "--source", source, *settings
    )
    assert result.returncode == 0, result.stderr
    audit = json.loads((out / "manifest.json").read_text())["disclosure_audit"]
    assert audit["relations_not_holding"] == []


def _read(out, name: str, columns: list[str]) -> pl.DataFrame:
    frame = pl.read_parquet(out / f"{name}.parquet")
    frame = frame.with_columns(pl.col("person_id").cast(pl.Int64)).select(columns)
    return frame.sort(columns)


def test_same_itp_cohort_and_exposures(layouts, tmp_path):
    _, snds, expected = layouts
    _build(expected, tmp_path / "claims", "claims")
    _build(snds, tmp_path / "snds", "snds")
    cohort = ["person_id", "index_date", "code_date", "birth_date", "follow_up_end", "phase"]
    exposures = ["person_id", "class", "era_number", "start_date", "end_date", "n_dispensings"]
    for name, columns in (("cohort", cohort), ("exposures", exposures)):
        want = _read(tmp_path / "claims", name, columns)
        got = _read(tmp_path / "snds", name, columns)
        assert want.height >= (50 if name == "cohort" else 200), name
        assert got.to_dicts() == want.to_dicts(), name
    attrition = [pl.read_parquet(tmp_path / s / "attrition.parquet") for s in ("claims", "snds")]
    assert attrition[1].to_dicts() == attrition[0].to_dicts()
