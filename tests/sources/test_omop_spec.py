"""Spec tests of the OMOP adapter on tiny CDM tables written here: end dates, birth-date
imputation, settings from visits, concept codelists with descendants next to source
codes, and each documented data problem counted, not crashed on (docs/sources.md)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from pharmacoepi.definition import load_definition
from pharmacoepi.errors import DefinitionError
from pharmacoepi.pipeline.build import build_cohort
from pharmacoepi.progress import Reporter

D = dt.date


def _write(folder: Path, table: str, rows: list[dict]) -> None:
    pl.DataFrame(rows).write_csv(folder / f"{table}.csv")


@pytest.fixture
def cdm(tmp_path) -> Path:
    folder = tmp_path / "cdm"
    folder.mkdir()
    person = dict(month_of_birth=None, day_of_birth=None, birth_datetime=None)
    _write(folder, "person", [
        {**person, "person_id": 1, "gender_concept_id": 8507, "year_of_birth": 1970,
         "month_of_birth": 3, "day_of_birth": 4},
        {**person, "person_id": 2, "gender_concept_id": 8532, "year_of_birth": 1980},
        {**person, "person_id": 3, "gender_concept_id": 8507, "year_of_birth": 1990,
         "month_of_birth": 5, "day_of_birth": 6, "birth_datetime": "1990-02-03 00:00:00"},
        {**person, "person_id": 4, "gender_concept_id": 0, "year_of_birth": 1960},
        {**person, "person_id": 5, "gender_concept_id": 8532, "year_of_birth": 1950,
         "month_of_birth": 11},
    ])  # fmt: skip
    _write(folder, "observation_period", [
        {"person_id": p, "observation_period_start_date": "2010-01-01",
         "observation_period_end_date": "2020-12-31"} for p in (1, 2, 3, 5, 99)
    ])  # fmt: skip
    _write(
        folder,
        "death",
        [
            {"person_id": 5, "death_date": "2019-06-30"},
            {"person_id": 5, "death_date": "2019-07-31"},
        ],
    )
    _write(folder, "visit_occurrence", [
        {"visit_occurrence_id": 10, "person_id": 1, "visit_concept_id": 9201,
         "visit_start_date": "2015-01-09", "visit_end_date": "2015-01-12"},
        {"visit_occurrence_id": 11, "person_id": 5, "visit_concept_id": 262,
         "visit_start_date": "2016-02-01", "visit_end_date": "2016-02-03"},
        {"visit_occurrence_id": 12, "person_id": 2, "visit_concept_id": 9202,
         "visit_start_date": "2016-05-01", "visit_end_date": "2016-05-01"},
    ])  # fmt: skip
    condition = dict(condition_status_concept_id=None, visit_occurrence_id=None)
    _write(folder, "condition_occurrence", [
        # person 1: a descendant of 100, primary diagnosis of an inpatient stay
        {**condition, "person_id": 1, "condition_concept_id": 200, "condition_start_date":
         "2015-01-10", "condition_source_value": "K92.2", "condition_status_concept_id": 32902,
         "visit_occurrence_id": 10},
        # person 3: a descendant outside every observation period (counted, kept; the
        # observation rule then excludes person 3: the first code is not observed)
        {**condition, "person_id": 3, "condition_concept_id": 200, "condition_start_date":
         "2009-06-01", "condition_source_value": "K92.2"},
        # person 2: concept 100 itself, at an outpatient visit
        {**condition, "person_id": 2, "condition_concept_id": 100, "condition_start_date":
         "2016-05-01", "condition_source_value": "578.9", "visit_occurrence_id": 12},
        # person 3: an unrelated concept whose source code is on a source-code codelist
        {**condition, "person_id": 3, "condition_concept_id": 300, "condition_start_date":
         "2017-01-01", "condition_source_value": "D69.3"},
        # person 5: a descendant during an ER + inpatient stay, not marked primary
        {**condition, "person_id": 5, "condition_concept_id": 200, "condition_start_date":
         "2016-02-02", "condition_source_value": "K92.2", "visit_occurrence_id": 11},
        # person 99 is not in person
        {**condition, "person_id": 99, "condition_concept_id": 200, "condition_start_date":
         "2015-01-10", "condition_source_value": "K92.2"},
    ])  # fmt: skip
    drug = dict(person_id=1, drug_concept_id=1001, drug_source_value="X", days_supply=None,
                drug_exposure_end_date=None)  # fmt: skip
    _write(folder, "drug_exposure", [
        {**drug, "drug_exposure_start_date": "2015-02-01", "drug_exposure_end_date": "2015-02-10"},
        {**drug, "drug_exposure_start_date": "2015-02-20", "days_supply": 10},
        {**drug, "drug_exposure_start_date": "2015-03-20", "days_supply": 0},
        {**drug, "drug_exposure_start_date": "2015-05-01", "drug_exposure_end_date": "2015-04-01",
         "days_supply": 5},
        # the ingredient itself, for person 2
        {**drug, "person_id": 2, "drug_concept_id": 1000, "drug_exposure_start_date":
         "2016-06-01", "drug_exposure_end_date": "2016-06-01"},
    ])  # fmt: skip
    _write(
        folder,
        "concept_ancestor",
        [
            {"ancestor_concept_id": a, "descendant_concept_id": d}
            for a, d in ((100, 100), (100, 200), (1000, 1000), (1000, 1001), (5000, 1001))
        ],
    )
    # drug 1001 has an ATC ancestor (eltrombopag's code): its rows carry that ATC code
    _write(folder, "concept", [
        {"concept_id": 5000, "concept_code": "B02BX05", "vocabulary_id": "ATC",
         "concept_class_id": "ATC 5th"},
        {"concept_id": 1000, "concept_code": "X1", "vocabulary_id": "RxNorm",
         "concept_class_id": "Ingredient"},
    ])  # fmt: skip
    return folder


def _definition(folder: Path, case_finding: str, settings: str) -> Path:
    (folder / "gi.csv").write_text("code,label\n100,parent concept\n")
    (folder / "itp.csv").write_text("code,label\nD69.3,ICD-10\n")
    (folder / "drug.csv").write_text("code,label\n1000,an ingredient\n")
    (folder / "tpo.csv").write_text("code,label\nB02BX,TPO receptor agonists (ATC)\n")
    path = folder / "spec.yaml"
    path.write_text(f"""
name: omop_spec
study_period: {{start: 2000-01-01, end: 2030-12-31}}
codelists:
  gi: {{file: gi.csv, domain: diagnoses, vocabulary: omop, include_descendants: true}}
  gi_self: {{file: gi.csv, domain: diagnoses, vocabulary: omop}}
  itp: {{file: itp.csv, domain: diagnoses}}
  drug: {{file: drug.csv, domain: dispensings, vocabulary: omop, include_descendants: true}}
  tpo: {{file: tpo.csv, domain: dispensings, match: prefix}}
case_finding: {{codelist: {case_finding}, settings: {settings}}}
incident: {{washout_days: 0, prior_observation_days: 0}}
adult: {{min_age: 0}}
follow_up: {{administrative_end: 2030-12-31}}
treatments:
  lookback_days: 0
  classes:
    drug: {{codelist: drug, kind: dispensing, days_per_box: 30, grace_days: 0}}
    tpo: {{codelist: tpo, kind: dispensing, days_per_box: 30, grace_days: 0}}
""")
    return path


def _build(
    cdm: Path,
    tmp_path: Path,
    case_finding: str,
    settings: str = "[outpatient, "
    "hospital_primary, hospital_related, hospital_associated, long_term_disease]",
):
    loaded = load_definition(_definition(tmp_path, case_finding, settings))
    out = tmp_path / "out"
    build_cohort(loaded, cdm, out, reporter=Reporter.for_stderr(True), source="omop")
    return out


def test_concept_codelist_with_descendants(cdm, tmp_path):
    out = _build(cdm, tmp_path, "gi")
    cohort = pl.read_parquet(out / "cohort.parquet").sort("person_id")
    # 1 (descendant 200, in observation on 2015-01-10), 2 (100 itself), 5 (descendant);
    # 3's first code lies outside observation; 99 is not in person (set aside)
    assert cohort["person_id"].to_list() == [1, 2, 5]
    assert cohort["index_date"].to_list() == [D(2015, 1, 10), D(2016, 5, 1), D(2016, 2, 2)]


def test_concept_codelist_without_descendants(cdm, tmp_path):
    out = _build(cdm, tmp_path, "gi_self")
    assert pl.read_parquet(out / "cohort.parquet")["person_id"].to_list() == [2]


def test_source_codes_match_the_source_value(cdm, tmp_path):
    out = _build(cdm, tmp_path, "itp")
    assert pl.read_parquet(out / "cohort.parquet")["person_id"].to_list() == [3]


@pytest.mark.parametrize(
    ("settings", "persons"),
    [("[hospital_primary]", [1]), ("[hospital_associated]", [5]), ("[outpatient]", [2])],
)
def test_settings_come_from_inpatient_visits_and_the_condition_status(
    cdm, tmp_path, settings, persons
):
    out = _build(cdm, tmp_path, "gi", settings)
    assert pl.read_parquet(out / "cohort.parquet")["person_id"].to_list() == persons


def test_birth_dates_sex_and_death(cdm, tmp_path):
    out = _build(cdm, tmp_path, "gi")
    cohort = pl.read_parquet(out / "cohort.parquet").sort("person_id")
    # 1: year-month-day; 2: year only -> July 15th; 5: year and month -> the 15th
    assert cohort["birth_date"].to_list() == [D(1970, 3, 4), D(1980, 7, 15), D(1950, 11, 15)]
    assert cohort["sex"].to_list() == ["M", "F", "F"]
    assert cohort["death_date"].to_list() == [None, None, D(2019, 6, 30)]  # the earliest
    rejected = pl.read_parquet(out / "rejected_rows.parquet")
    reasons = set(zip(rejected["table_name"], rejected["reject_reason"], strict=True))
    assert ("persons", "invalid value") in reasons  # gender concept 0
    assert ("observation_periods", "unknown person") in reasons  # person 99


def test_cdm_end_dates_make_the_exposure_windows(cdm, tmp_path):
    out = _build(cdm, tmp_path, "gi")
    exposures = pl.read_parquet(out / "exposures.parquet")
    eras = exposures.filter(pl.col("person_id") == 1, pl.col("class") == "drug")
    assert list(zip(eras["start_date"], eras["end_date"], strict=True)) == [
        (D(2015, 2, 1), D(2015, 2, 10)),  # the end date, inclusive
        (D(2015, 2, 20), D(2015, 3, 2)),  # no end date: start + days_supply
        (D(2015, 3, 20), D(2015, 3, 21)),  # neither: start + 1 day
        (D(2015, 5, 1), D(2015, 5, 6)),  # end before start ignored: start + days_supply
    ]
    # the concept codelist (ingredient 1000 and descendants) also finds person 2's row
    assert exposures.filter(pl.col("class") == "drug")["person_id"].unique().sort().to_list() == [
        1,
        2,
    ]
    # the ATC codelist matches drug 1001 through its ATC ancestor, not concept 1000
    tpo = exposures.filter(pl.col("class") == "tpo")
    assert tpo["person_id"].unique().to_list() == [1]
    assert tpo.select("start_date", "end_date").equals(eras.select("start_date", "end_date"))


def test_data_problems_are_counted(cdm, tmp_path):
    out = _build(cdm, tmp_path, "gi")
    manifest = json.loads((out / "manifest.json").read_text())
    problems = {(p["source_table"], p["problem"]): p["rows"] for p in manifest["source_problems"]}
    assert problems == {
        ("condition_occurrence", "person missing from person"): 1,
        ("condition_occurrence", "outside every observation period"): 1,
        ("observation_period", "person missing from person"): 1,
        ("death", "several death records"): 1,
        ("person", "month_of_birth missing"): 2,  # persons 2 and 4 (3 has a birth_datetime)
        ("person", "day_of_birth missing"): 3,
        ("drug_exposure", "drug_exposure_end_date missing"): 2,
        ("drug_exposure", "drug_exposure_end_date before start"): 1,
        ("drug_exposure", "days_supply zero or missing"): 3,
        ("drug_exposure", "no end date and no days_supply"): 1,
        ("drug_exposure", "drug concept without an ATC ancestor"): 1,
    }


def test_concept_codelists_need_the_omop_source(cdm, tmp_path):
    loaded = load_definition(_definition(tmp_path, "gi", "[outpatient]"))
    with pytest.raises(DefinitionError, match="names OMOP concept ids"):
        build_cohort(loaded, cdm, tmp_path / "o", reporter=Reporter.for_stderr(True))


def test_parquet_tables_read_like_csv(cdm, tmp_path):
    """One file per CDM table as parquet (typed ids and dates) gives the same cohort."""
    parquet = tmp_path / "cdm_parquet"
    parquet.mkdir()
    for csv in cdm.glob("*.csv"):
        frame = pl.read_csv(csv, try_parse_dates=True)
        frame.write_parquet(parquet / f"{csv.stem.upper()}.parquet")  # names: case ignored
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    from_csv = _build(cdm, tmp_path / "a", "gi")
    out = _build(parquet, tmp_path / "b", "gi")
    columns = ["person_id", "index_date", "birth_date", "sex"]
    assert (
        pl.read_parquet(out / "cohort.parquet")
        .select(columns)
        .equals(pl.read_parquet(from_csv / "cohort.parquet").select(columns))
    )
