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
    # quantities no pharmacy dispenses, and a supply of centuries: set aside, not crashed on
    c.dispensing(1, "2010-01-05", atc="B02BX05", quantity=float("nan"))
    c.dispensing(1, "2010-01-05", atc="B02BX05", quantity=float("inf"))
    c.dispensing(1, "2010-01-05", atc="B02BX05", quantity=1e12)
    c.dispensing(1, "2010-01-05", atc="B02BX05", days_supply=2_000_000_000)
    data = c.write(tmp_path / "data")
    # a CSV table with an unparseable date and a missing person id
    (data / "procedures.parquet").unlink()
    pl.DataFrame(
        {
            "person_id": ["1", "", "1"],
            "date": ["2010-01-01", "2010-01-01", "01/02/2010"],
            "code": ["ZZZ1", "FFFA001", "FFFA001"],  # FFFA001 (splenectomy) is on a codelist
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
            ("dispensings", "invalid value", "quantity"),
            ("dispensings", "invalid value", "quantity"),
            ("dispensings", "invalid value", "quantity"),
            ("dispensings", "invalid value", "days_supply"),
            ("procedures", "null key", "person_id"),
            ("procedures", "unparseable value", "date"),
        ]
    )
    bad_date = rejected.filter(
        pl.col("reject_column") == "date", pl.col("table_name") == "procedures"
    )
    assert json.loads(bad_date["source_record"][0])["date"] == "01/02/2010"
    cohort = pl.read_parquet(out / "cohort.parquet")
    # one table (the CSV) holds ids as text, so every table's ids are compared as text
    assert cohort.select("person_id", "index_date").rows() == [("1", d(CODE))]
    manifest = json.loads((out / "manifest.json").read_text())
    assert sum(r["rows"] for r in manifest["rejected_rows"]) == 17
    assert manifest["outputs"]["rejected_rows.parquet"]["level"] == "individual"

    report = run_cli("validate", "--data", data)
    assert report.returncode == 0, report.stderr
    assert "event after death" in report.stdout and "invalid value" in report.stdout
    assert "X" in report.stdout  # the invalid sex value: a category, safe to show
    # ids and dates belong to one person: never printed
    assert "1850-01-01" not in report.stdout and "2010-01-01" not in report.stdout
    assert "(withheld)" in report.stdout
    # (the data folder's path is printed and may hold '99': pytest-of-root/pytest-299)
    printed = report.stdout.replace(str(data), "").replace("1999", "")
    assert "99" not in printed


def test_validate_writes_problems_when_asked(tmp_path):
    c = Claims()
    c.person(1).diagnosis(1, CODE).diagnosis(1, "2200-01-01")
    data = c.write(tmp_path / "data")
    out = tmp_path / "report"
    assert run_cli("validate", "--data", data, "--out", out).returncode == 0
    problems = pl.read_parquet(out / "problems.parquet")
    assert problems.select("table_name", "reject_reason", "rows", "example").rows() == [
        ("diagnoses", "date out of range", 1, None)
    ]
    assert pl.read_parquet(out / "rejected_rows.parquet").height == 1


def test_text_ids_are_never_reread_as_numbers(tmp_path):
    """'1e0' or '1.5' in a CSV is not person 1 or 2: it is an unknown person, set aside."""
    c = Claims().person(1).diagnosis(1, CODE).person(2).diagnosis(2, CODE)
    data = c.write(tmp_path / "data")
    (data / "diagnoses.parquet").unlink()
    pl.DataFrame(
        {
            "person_id": ["1", "2", "1e0", "1.5"],
            "date": [CODE, CODE, "2008-06-01", "2008-06-01"],
            "code": ["D693"] * 4,
            "setting": ["hospital_primary"] * 4,
        }
    ).write_csv(data / "diagnoses.csv")
    out = tmp_path / "out"
    assert run_cli("build-cohort", "itp_faith", "--data", data, "--out", out).returncode == 0
    assert set(pl.read_parquet(out / "cohort.parquet")["person_id"]) == {"1", "2"}
    rejected = pl.read_parquet(out / "rejected_rows.parquet")
    assert rejected.select("reject_reason").to_series().to_list() == ["unknown person"] * 2


def test_no_break_spaces_and_mixed_folder_schemas(tmp_path):
    c = Claims().person(1).person(2)
    data = c.write(tmp_path / "data")
    (data / "diagnoses.parquet").unlink()
    folder = data / "diagnoses"
    (folder / "year=2010").mkdir(parents=True)
    (folder / "year=2011").mkdir(parents=True)
    # an Excel-style no-break space after the code; the second file lacks the optional stay_id
    pl.DataFrame(
        {
            "person_id": [1],
            "date": [d(CODE)],
            "code": ["D69.3\u00a0"],
            "setting": ["hospital_primary"],
            "stay_id": [7],
        }
    ).write_parquet(folder / "year=2010" / "part.parquet")
    pl.DataFrame(
        {
            "person_id": [2],
            "date": [d("2011-03-01")],
            "code": ["D693"],
            "setting": ["long_term_disease"],
        }
    ).write_parquet(folder / "year=2011" / "part.parquet")
    out = tmp_path / "out"
    result = run_cli("build-cohort", "itp_faith", "--data", data, "--out", out)
    assert result.returncode == 0, result.stderr
    cohort = pl.read_parquet(out / "cohort.parquet")
    assert cohort.select("person_id", "code_date").rows() == [(1, d(CODE)), (2, d("2011-03-01"))]
    assert json.loads((out / "manifest.json").read_text())["inputs"]["diagnoses"] == {
        "format": "parquet-folder",
        "rows": 2,
        "files": [
            str(folder / "year=2010" / "part.parquet"),
            str(folder / "year=2011" / "part.parquet"),
        ],
    }


def test_csv_broken_past_the_sniffed_sample(tmp_path):
    data = _good(tmp_path)
    (data / "dispensings.parquet").unlink()
    good = "1,2010-01-05,N02BE01,3400930000000,community,1,\n" * 30_000
    (data / "dispensings.csv").write_text(
        "person_id,date,atc,product_code,setting,quantity,days_supply\n"
        + good
        + "1,2010-01-05,N02BE01\n"
    )
    result = run_cli("build-cohort", "itp_faith", "--data", data, "--out", tmp_path / "out")
    assert_user_error(result, "table 'dispensings' cannot be read", "same number of fields")


def test_headerless_csv_does_not_print_its_data(tmp_path):
    data = _good(tmp_path)
    (data / "diagnoses.parquet").unlink()
    (data / "diagnoses.csv").write_text("123456,2010-01-05,D693,hospital_primary\n" * 3)
    result = run_cli("build-cohort", "itp_faith", "--data", data, "--out", tmp_path / "out")
    assert_user_error(result, "has no column", "is the header line missing?")
    assert "123456" not in result.stderr


def test_build_screens_the_rows_its_codelists_select_validate_screens_every_row(tmp_path):
    """build-cohort checks the coded tables' rows its codelists select (filtered in the scan);
    a bad row on no codelist is never read by it. validate checks every row."""
    c = Claims().person(1).diagnosis(1, CODE)
    c.dispensing(1, "2010-01-05", atc="H02AB07", quantity=0)  # prednisone: on a codelist
    c.dispensing(1, "2010-01-05", atc="N02BE01", quantity=0)  # paracetamol: on none
    c.diagnosis(1, "2200-01-01", code="R51")  # headache, on none (I10 is on Table 1's list)
    c.rows["hospital_stays"].append(  # discharged before admission; no rule reads stays
        {"stay_id": 1, "person_id": 1, "admission_date": d("2010-02-01"),
         "discharge_date": d("2010-01-01")}
    )  # fmt: skip
    data = c.write(tmp_path / "data")
    out = tmp_path / "out"
    assert run_cli("build-cohort", "itp_faith", "--data", data, "--out", out).returncode == 0
    rejected = pl.read_parquet(out / "rejected_rows.parquet")
    assert rejected.select("table_name", "reject_reason").rows() == [
        ("dispensings", "invalid value")
    ]
    assert json.loads(rejected["source_record"][0])["atc"] == "H02AB07"
    report = tmp_path / "report"
    assert run_cli("validate", "--data", data, "--out", report).returncode == 0
    everything = pl.read_parquet(report / "rejected_rows.parquet")
    assert sorted(everything.select("table_name", "reject_reason").rows()) == [
        ("diagnoses", "date out of range"),
        ("dispensings", "invalid value"),
        ("dispensings", "invalid value"),
        ("hospital_stays", "end before start"),
    ]


def test_table_names_match_whatever_their_case(tmp_path):
    from pharmacoepi.pipeline.validate import validate_data
    from pharmacoepi.progress import Reporter

    data = _good(tmp_path)
    (data / "persons.parquet").rename(data / "PERSONS.parquet")
    report = validate_data(data, reporter=Reporter.for_stderr(quiet=True))
    assert report.sources.inputs["persons"].files == (data / "PERSONS.parquet",)
    assert report.sources.inputs["persons"].rows == 1
