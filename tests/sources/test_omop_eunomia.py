"""Eunomia GiBleed, a real OMOP CDM nobody here wrote: the four cohorts of
Eunomia::createCohorts() give their published person counts, the OHDSI-style celecoxib
new-user cohort reports its attrition step by step, and drug-eras reproduces the shipped
drug_era table except where that table is inconsistent (docs/sources.md)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pharmacoepi.definition import load_definition
from pharmacoepi.pipeline.build import build_cohort
from pharmacoepi.pipeline.drug_eras import build_drug_eras
from pharmacoepi.progress import Reporter
from pharmacoepi.resources import resource_dir
from tests.cli import run_cli

EXAMPLES = resource_dir("cohorts") / "examples"

# Published by OHDSI for Eunomia::createCohorts() on GiBleed (persons per cohort).
PUBLISHED = {
    "eunomia_celecoxib": 1844,
    "eunomia_diclofenac": 850,
    "eunomia_gi_bleed": 479,
    "eunomia_nsaids": 2694,
}


def _build(gibleed: Path, name: str, out: Path):
    loaded = load_definition(EXAMPLES / f"{name}.yaml")
    result = build_cohort(loaded, gibleed, out, reporter=Reporter.for_stderr(True), source="omop")
    # the disclosure audit's identities hold on real OMOP data too
    assert result.disclosure_audit["relations_not_holding"] == []
    return result


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_eunomia_cohorts_give_the_published_counts(gibleed, tmp_path, name):
    result = _build(gibleed, name, tmp_path / name)
    assert result.cohort_rows == PUBLISHED[name]
    cohort = pl.read_parquet(tmp_path / name / "cohort.parquet")
    assert cohort["person_id"].n_unique() == PUBLISHED[name]


def test_celecoxib_cohort_eras_are_the_drug_eras(gibleed, tmp_path):
    """The celecoxib cohort's exposures are its drug eras: the same eras as drug-eras
    builds for ingredient 1118084 (both use the OHDSI convention)."""
    _build(gibleed, "eunomia_celecoxib", tmp_path / "c")
    build_drug_eras(gibleed, tmp_path / "de.parquet", reporter=Reporter.for_stderr(True))
    exposures = pl.read_parquet(tmp_path / "c" / "exposures.parquet")
    eras = pl.read_parquet(tmp_path / "de.parquet").filter(pl.col("drug_concept_id") == 1118084)
    assert exposures.height == eras.height
    mine = exposures.select(
        pl.col("person_id").cast(pl.Int64), "start_date", "end_date", "n_dispensings"
    ).sort("person_id", "start_date")
    theirs = eras.select(
        pl.col("person_id"),
        pl.col("drug_era_start_date").alias("start_date"),
        pl.col("drug_era_end_date").alias("end_date"),
        pl.col("drug_exposure_count").alias("n_dispensings"),
    ).sort("person_id", "start_date")
    assert mine.equals(theirs.cast(mine.schema))


def _independent_new_user_counts(gibleed: Path) -> list[int]:
    """The new-user attrition by plain SQL on the CSV files, written apart from the
    adapter: first celecoxib exposure; in an observation period; age > 40 in completed
    years (birth dates are complete in GiBleed); male (8507)."""
    con = duckdb.connect()
    for t in ("person", "observation_period", "drug_exposure", "concept_ancestor"):
        con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_csv('{gibleed / t}.csv')")
    first = """
        SELECT e.person_id, min(e.drug_exposure_start_date) AS entry
        FROM drug_exposure AS e
        JOIN concept_ancestor AS a ON a.descendant_concept_id = e.drug_concept_id
        WHERE a.ancestor_concept_id = 1118084
        GROUP BY e.person_id
    """
    observed = f"""
        SELECT f.* FROM ({first}) AS f
        WHERE EXISTS (SELECT 1 FROM observation_period AS o WHERE o.person_id = f.person_id
            AND f.entry BETWEEN o.observation_period_start_date AND o.observation_period_end_date)
    """
    aged = f"""
        SELECT f.*, p.gender_concept_id FROM ({observed}) AS f
        JOIN person AS p ON p.person_id = f.person_id
        WHERE date_sub('year', make_date(p.year_of_birth, p.month_of_birth, p.day_of_birth),
            f.entry) > 40
    """
    counts = [con.sql("SELECT count(*) FROM person").fetchall()[0][0]]
    for query in (
        first,
        observed,
        aged,
        f"SELECT * FROM ({aged}) WHERE gender_concept_id = 8507",
    ):
        counts.append(con.sql(f"SELECT count(*) FROM ({query})").fetchall()[0][0])
    return counts


def test_celecoxib_new_user_attrition_step_by_step(gibleed, tmp_path):
    result = _build(gibleed, "celecoxib_new_users", tmp_path / "new")
    attrition = pl.read_parquet(tmp_path / "new" / "attrition.parquet")
    descriptions = attrition["description"].to_list()
    assert descriptions[1] == "a dispensing of celecoxib in 1900-01-01..2100-12-31"
    assert descriptions[3:] == ["age: 41 or older at index_date", "sex: M"]
    persons = attrition["persons"].to_list()
    # 2,694 in GiBleed; 1,844 ever exposed; 44 first exposures outside any observation
    # period; 480 aged over 40; 223 of them men (no primary rule: no step)
    assert persons == [2694, 1844, 1800, 480, 223]
    assert persons == _independent_new_user_counts(gibleed)
    assert result.cohort_rows == 223
    cohort = pl.read_parquet(tmp_path / "new" / "cohort.parquet")
    assert set(cohort["sex"]) == {"M"} and cohort["age_at_index"].min() >= 41


def test_drug_eras_agree_with_the_shipped_drug_era(gibleed, tmp_path):
    result = build_drug_eras(gibleed, tmp_path / "de.parquet", reporter=Reporter.for_stderr(True))
    c = result.comparison
    assert (result.eras, c["shipped"]) == (52508, 52508)
    assert c["exact"] == 52500  # person, ingredient, start, end and exposure count equal
    assert c["same start, other end"] == 8
    assert c["built only"] == c["shipped only"] == c["same end, other exposure count"] == 0
    # The 8: acetaminophen eras where two exposures start the same day, one lasting 0
    # days; the shipped era ends on that day, before the end of its other exposure, so
    # it does not cover an exposure it counts. Ours ends at the latest end.
    con = duckdb.connect()
    con.execute(f"CREATE VIEW shipped AS SELECT * FROM read_csv('{gibleed / 'drug_era'}.csv')")
    con.execute(f"CREATE VIEW built AS SELECT * FROM '{tmp_path / 'de.parquet'}'")
    differing = con.sql(
        """SELECT b.drug_concept_id, b.drug_era_end_date > s.drug_era_end_date AS later,
               s.drug_era_end_date = s.drug_era_start_date AS shipped_one_day
           FROM built AS b JOIN shipped AS s USING (person_id, drug_concept_id)
           WHERE b.drug_era_start_date = s.drug_era_start_date
             AND b.drug_era_end_date <> s.drug_era_end_date"""
    ).fetchall()
    assert differing == [(1125315, True, True)] * 8


def test_drug_eras_command_writes_the_table(gibleed, tmp_path):
    out = tmp_path / "drug_era.parquet"
    result = run_cli("drug-eras", "--data", gibleed, "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    assert "52,500" in result.stdout and "52,508 drug eras" in result.stdout
    table = pl.read_parquet(out)
    assert table.columns == [
        "drug_era_id",
        "person_id",
        "drug_concept_id",
        "drug_era_start_date",
        "drug_era_end_date",
        "drug_exposure_count",
        "gap_days",
    ]
    assert table["gap_days"].min() >= 0  # the shipped table has negative gaps: not copied


def test_build_cohort_on_omop_from_the_command_line(gibleed, tmp_path):
    result = run_cli(
        "build-cohort",
        EXAMPLES / "eunomia_gi_bleed.yaml",
        "--source",
        "omop",
        "--data",
        gibleed,
        "--out",
        tmp_path / "gi",
        "--quiet",
    )
    assert result.returncode == 0, result.stderr
    assert "479 persons in the cohort" in result.stdout
    manifest = json.loads((tmp_path / "gi" / "manifest.json").read_text())
    assert manifest["source"] == "omop"
    problems = {(p["source_table"], p["problem"]): p["rows"] for p in manifest["source_problems"]}
    # GiBleed's known problems, counted: observation periods of 2,649 persons who are not
    # in person (the database was sampled from a larger one), events outside observation,
    # and zero days_supply on almost half the drug exposures.
    assert problems[("observation_period", "person missing from person")] == 2649
    assert problems[("condition_occurrence", "outside every observation period")] == 85
    assert problems[("drug_exposure", "outside every observation period")] == 80
    assert problems[("drug_exposure", "days_supply zero or missing")] == 32904
    rejected = pl.read_parquet(tmp_path / "gi" / "rejected_rows.parquet")
    assert rejected.height == 2649
    assert set(rejected["reject_reason"]) == {"unknown person"}


def test_the_itp_definition_runs_on_an_omop_cdm_unchanged(gibleed, tmp_path):
    """Only --source changes: GiBleed holds no ITP, so the cohort is empty, but every
    stage (treatments, incidence, survival) runs on the OMOP views."""
    result = run_cli(
        "build-cohort", "itp_faith", "--source", "omop", "--data", gibleed,
        "--out", tmp_path / "itp", "--quiet",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "0 persons in the cohort" in result.stdout
    assert (tmp_path / "itp" / "incidence.parquet").is_file()


def test_validate_reports_the_known_omop_problems(gibleed):
    result = run_cli("validate", "--source", "omop", "--data", gibleed)
    assert result.returncode == 0, result.stderr
    assert "Known omop data problems" in result.stdout
    assert "person missing from person" in result.stdout and "2,649" in result.stdout
