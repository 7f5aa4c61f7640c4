"""Ground-truth recovery on the default synthetic dataset (200,000 persons, ITP x20).

The expected cohort is derived (tests/ground_truth.py) from the generator's ground truth
(true onset date, first recorded code, the back-dated index date FAITH's rule gives,
secondary flag and cause date) and the raw observation periods, independently of the SQL
stages: sensitivity and PPV must both be 100%, to the day. Prevalent cases holding an ALD
begun before the washout are in the data (generator 1.5.0) and must stay out.
"""

from __future__ import annotations

import json
import math

import polars as pl
import pytest

from pharmacoepi.definition import load_definition
from pharmacoepi.pipeline.build import build_cohort
from pharmacoepi.progress import Reporter
from tests.ground_truth import END, START, WASHOUT, expected_cohort, expected_incident_cases, spells


@pytest.fixture(scope="module")
def built(default_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("ground_truth") / "out"
    result = build_cohort(
        load_definition("itp_faith"), default_data, out, reporter=Reporter.for_stderr(quiet=True)
    )
    return result, out


@pytest.fixture(scope="module")
def expected(default_data) -> pl.DataFrame:
    return expected_incident_cases(default_data)


def test_incident_cases_match_ground_truth(built, expected):
    _, out = built
    incident = pl.read_parquet(out / "incident_cases.parquet")
    assert expected.height > 150  # enough cases for the comparison to mean something
    assert set(incident["person_id"]) == set(expected["person_id"])
    joined = incident.join(expected, on="person_id")
    assert (joined["code_date"] == joined["first_code_date"]).all()
    assert (joined["index_date"] == joined["expected_index"]).all()
    assert (joined["secondary"] == joined["expected_secondary"]).all()


def test_backdating_is_fooled_as_often_as_the_truth_says(built, expected, default_data):
    """Review 1.5 / 5.7: with background corticosteroids left in the data, FAITH's
    back-dating sometimes lands on an unrelated dispensing. The ground truth counts how
    often over all incident cases; among the cases of the study period the tool moves
    exactly those, and only earlier than the true onset."""
    _, out = built
    incident = pl.read_parquet(out / "incident_cases.parquet").join(expected, on="person_id")
    wrong = incident.filter(pl.col("index_date") != pl.col("onset_date"))
    assert (wrong["index_date"] < wrong["onset_date"]).all()
    summary = json.loads((default_data / "ground_truth" / "summary.json").read_text())
    share = summary["itp"]["backdating"]["index_not_onset_share"]
    assert 0.02 < share < 0.2  # the generator's background steroids reach the rule
    # the study period's cases: a binomial draw of the same share (3 standard deviations)
    n = incident.height
    assert abs(wrong.height - n * share) <= 3 * math.sqrt(n * share * (1 - share)) + 1


def test_cohort_is_the_primary_adult_incident_cases(built, default_data):
    result, out = built
    cohort = pl.read_parquet(out / "cohort.parquet")
    truth = expected_cohort(default_data)
    found, true = set(cohort["person_id"]), set(truth["person_id"])
    sensitivity = len(found & true) / len(true)
    ppv = len(found & true) / len(found)
    assert (sensitivity, ppv) == (1.0, 1.0), (len(true - found), len(found - true))
    assert (
        cohort.join(truth, on="person_id")
        .filter(pl.col("index_date") != pl.col("expected_index"))
        .height
        == 0
    )
    assert result.attrition["persons"][-1] == len(true)
    # the near misses, prevalent cases and secondary cases really were there to exclude
    steps = result.attrition["excluded"].to_list()
    assert steps[2] > 0 and steps[3] > 0 and steps[4] > 0


def test_crude_incidence_matches_the_injected_rate(default_data, built):
    """Incident cases / person-years at risk vs the injected age-sex rates over the same
    person-time, within three Poisson standard deviations."""
    _, out = built
    rates = pl.read_csv(default_data / "ground_truth" / "injected_rates.csv")
    persons = pl.read_parquet(default_data / "persons.parquet")
    at_risk = (
        spells(default_data)
        .join(persons, on="person_id")
        .with_columns(
            pl.max_horizontal(
                pl.col("start_date") + pl.duration(days=WASHOUT), pl.lit(START)
            ).alias("from"),
            pl.min_horizontal("end_date", pl.col("death_date").fill_null(END), pl.lit(END)).alias(
                "to"
            ),
        )
        .filter(pl.col("to") >= pl.col("from"))
        .with_columns(
            ((pl.col("to") - pl.col("from")).dt.total_days() + 1).alias("days"),
            (
                (pl.col("from") - pl.col("birth_date")).dt.total_days() / 365.25
                + ((pl.col("to") - pl.col("from")).dt.total_days() / 2 / 365.25)
            )
            .floor()
            .cast(pl.Int64)
            .alias("age"),
        )
    )
    banded = at_risk.with_columns((pl.col("age").clip(0, 90) // 5 * 5).alias("age_lower"))
    joined = banded.join(
        rates.select("age_lower", "sex", "rate_per_100k"), on=["age_lower", "sex"], how="left"
    )
    assert joined["rate_per_100k"].null_count() == 0
    person_years = joined["days"].sum() / 365.25
    expected_cases = (joined["days"] / 365.25 * joined["rate_per_100k"] / 1e5).sum()
    observed = pl.read_parquet(out / "incident_cases.parquet").height
    assert abs(observed - expected_cases) <= 3 * math.sqrt(expected_cases), (
        observed,
        expected_cases,
        person_years,
    )
    summary = json.loads((default_data / "ground_truth" / "summary.json").read_text())
    assert summary["config"]["itp_multiplier"] == 20
