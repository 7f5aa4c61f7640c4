"""Structural data problems stop the run (exit 2, nothing written); row-level problems are
set aside in rejected_rows.parquet with a reason, and counted."""

import json

import polars as pl
import pytest

from tests.claims import Claims, d
from tests.cli import assert_user_error, run_cli

CODE = "2010-03-01"


def _good(tmp_path):
    c = Claims()
    c.person(1).diagnosis(1, CODE).dispensing(1, "2010-01-05")
    return c.write(tmp_path / "data")


@pytest.mark.parametrize(
    ("damage", "fragments"),
    [
        (lambda p: (p / "dispensings.parquet").unlink(), ["missing table 'dispensings'"]),
        (
            lambda p: (
                pl.read_parquet(p / "persons.parquet")
                .drop("sex")
                .write_parquet(p / "persons.parquet")
            ),
            ["table 'persons' has no column 'sex'"],
        ),
        (
            lambda p: (
                pl.read_parquet(p / "persons.parquet")
                .with_columns(pl.lit(True).alias("birth_date"))
                .write_parquet(p / "persons.parquet")
            ),
            ["persons.birth_date has type BOOLEAN"],
        ),
        (
            lambda p: pl.read_parquet(p / "persons.parquet").write_csv(p / "persons.csv"),
            ["given more than once"],
        ),
        (
            lambda p: (p / "diagnoses.parquet").write_bytes(b"not parquet"),
            ["table 'diagnoses' cannot be read"],
        ),
    ],
    ids=["missing-table", "missing-column", "wrong-type", "ambiguous", "corrupt"],
)
def test_structural_problems_exit_2_and_write_nothing(tmp_path, damage, fragments):
    data = _good(tmp_path)
    damage(data)
    out = tmp_path / "out"
    result = run_cli("build-cohort", "itp_faith", "--data", data, "--out", out)
    assert_user_error(result, *fragments)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert_user_error(run_cli("validate", "--data", data), *fragments)


def test_missing_data_directory(tmp_path):
    result = run_cli(
        "build-cohort", "itp_faith", "--data", tmp_path / "nope", "--out", tmp_path / "o"
    )
    assert_user_error(result, "data directory not found", "hint:")


def test_row_level_problems_are_set_aside_and_counted(tmp_path):
    c = Claims()
    c.person(1).diagnosis(1, CODE)  # a clean case
    c.person(2, death="2010-01-01").diagnosis(2, CODE)  # code after death
    c.diagnosis(99, CODE)  # unknown person
    c.person(3).diagnosis(3, "1850-01-01")  # implausible date
    c.person(4, covered=None).period(4, "2010-01-01", "2009-01-01")  # end before start
    c.person(5, sex="X")  # invalid sex
    c.person(6).person(6)  # duplicate id: both rows set aside
    c.person(7).dispensing(7, "2010-01-01", quantity=0)
    data = c.write(tmp_path / "data")
    # a CSV table with an unparseable date and a missing person id
    (data / "procedures.parquet").unlink()
    pl.DataFrame(
        {
            "person_id": ["1", "", "1"],
            "date": ["2010-01-01", "2010-01-01", "01/02/2010"],
            "code": ["ZZZ1", "ZZZ1", "FFFA001"],
            "stay_id": ["", "", ""],
        }
    ).write_csv(data / "procedures.csv")
    out = tmp_path / "out"
    result = run_cli("build-cohort", "itp_faith", "--data", data, "--out", out)
    assert result.returncode == 0, result.stderr
    rejected = pl.read_parquet(out / "rejected_rows.parquet")
    got = sorted(rejected.select("table_name", "reject_reason", "reject_column").rows())
    assert got == sorted(
        [
            ("diagnoses", "event after death", "date"),
            ("diagnoses", "unknown person", "person_id"),
            ("diagnoses", "date out of range", "date"),
            ("observation_periods", "end before start", "end_date"),
            ("persons", "invalid value", "sex"),
            ("persons", "duplicate key", "person_id"),
            ("persons", "duplicate key", "person_id"),
            ("observation_periods", "unknown person", "person_id"),  # person 5's coverage
            ("observation_periods", "unknown person", "person_id"),  # person 6's coverage, twice
            ("observation_periods", "unknown person", "person_id"),
            ("dispensings", "invalid value", "quantity"),
            ("procedures", "null key", "person_id"),
            ("procedures", "unparseable value", "date"),
        ]
    )
    bad_date = rejected.filter(
        pl.col("reject_column") == "date", pl.col("table_name") == "procedures"
    )
    assert json.loads(bad_date["source_record"][0])["date"] == "01/02/2010"
    cohort = pl.read_parquet(out / "cohort.parquet")
    assert cohort.select("person_id", "index_date").rows() == [(1, d(CODE))]
    manifest = json.loads((out / "manifest.json").read_text())
    assert sum(r["rows"] for r in manifest["rejected_rows"]) == 13
    assert manifest["outputs"]["rejected_rows.parquet"]["level"] == "individual"

    report = run_cli("validate", "--data", data)
    assert report.returncode == 0, report.stderr
    assert "event after death" in report.stdout and "1850-01-01" in report.stdout
    assert "(withheld)" in report.stdout  # unknown person: the id is not printed
    assert "99" not in report.stdout.replace("1999", "")


def test_validate_writes_problems_when_asked(tmp_path):
    c = Claims()
    c.person(1).diagnosis(1, CODE).diagnosis(1, "2200-01-01")
    data = c.write(tmp_path / "data")
    out = tmp_path / "report"
    assert run_cli("validate", "--data", data, "--out", out).returncode == 0
    problems = pl.read_parquet(out / "problems.parquet")
    assert problems.select("table_name", "reject_reason", "rows", "example").rows() == [
        ("diagnoses", "date out of range", 1, "2200-01-01")
    ]
    assert pl.read_parquet(out / "rejected_rows.parquet").height == 1
