"""Safety outcomes recover what the generator injected: thrombosis at twice the baseline
rate during TPO-RA eras, serious infections raised in the 182 days after each rituximab
course start (ground_truth/outcomes.json). The default preset holds too few exposed events
(87 cases ever take a TPO-RA), so this slow test generates it with ITP x200 (about 30 s):
the FAITH-like adults then hold some 1,300 persons."""

from __future__ import annotations

import dataclasses
import json
import math

import polars as pl
import pytest
from scipy.stats import beta

from pharmacoepi.definition import load_definition
from pharmacoepi.pipeline.build import build_cohort
from pharmacoepi.progress import Reporter
from pharmacoepi.synth.config import load_preset
from pharmacoepi.synth.generate import generate

pytestmark = pytest.mark.slow

ANALYSES = {
    "thrombosis": ("thrombosis_on_tpo_ra", "thrombosis_off_tpo_ra"),
    "serious_infection": ("infection_on_rituximab", "infection_off_rituximab"),
}


@pytest.fixture(scope="module")
def rich(tmp_path_factory):
    data = tmp_path_factory.mktemp("itp_x200")
    cfg = dataclasses.replace(load_preset("default"), itp_multiplier=200.0)
    generate(cfg, data)
    out = tmp_path_factory.mktemp("out")
    # the truth counts stays, not 30-day episodes: no clean window here
    shipped = load_definition("itp_faith").definition.analyses.outcome_incidence
    entries = [
        {**e.model_dump(mode="json", by_alias=True, exclude_none=True), "clean_window_days": 0}
        for e in shipped
    ]
    loaded = load_definition("itp_faith", {"analyses.outcome_incidence": entries})
    result = build_cohort(loaded, data, out, reporter=Reporter.for_stderr(quiet=True),
                          keep=("outcome_incidence.parquet",))  # fmt: skip
    truth = json.loads((data / "ground_truth" / "outcomes.json").read_text())
    return result.kept["outcome_incidence.parquet"], truth


def _crude(table: pl.DataFrame, analysis: str) -> dict:
    return table.filter(pl.col("analysis") == analysis, pl.col("stratum") == "crude").row(
        0, named=True
    )


def rate_ratio_ci(on: dict, off: dict, alpha: float = 0.05) -> tuple[float, float, float]:
    """Rate ratio on / off with the exact conditional interval: given n = x_on + x_off
    events, x_on is binomial with p = RR t_on / (RR t_on + t_off) (Clopper-Pearson on p)."""
    x1, x0 = on["events"], off["events"]
    t1, t0 = on["person_days"], off["person_days"]
    n = x1 + x0
    lower_p = beta.ppf(alpha / 2, x1, n - x1 + 1) if x1 > 0 else 0.0
    upper_p = beta.ppf(1 - alpha / 2, x1 + 1, n - x1) if x1 < n else 1.0
    to_ratio = lambda p: p / (1 - p) * t0 / t1 if p < 1 else math.inf  # noqa: E731
    return (x1 / t1) / (x0 / t0), to_ratio(lower_p), to_ratio(upper_p)


@pytest.mark.parametrize("outcome", sorted(ANALYSES))
def test_the_on_off_rate_ratio_is_recovered(rich, outcome):
    table, truth = rich
    on_name, off_name = ANALYSES[outcome]
    on, off = _crude(table, on_name), _crude(table, off_name)
    ratio, lower, upper = rate_ratio_ci(on, off)
    group = truth["outcomes"][outcome]["groups"]["faith_adults"]
    # what the claims hold: injected stays and the background stays with the same codes
    expected = group["all_events_rate_ratio"]
    print(f"{outcome}: {on['events']} events in {on['person_days'] / 365.25:.0f} PY on, "
          f"{off['events']} in {off['person_days'] / 365.25:.0f} PY off: rate ratio "
          f"{ratio:.2f} ({lower:.2f}-{upper:.2f}); truth {expected:.2f}, injected "
          f"{truth['outcomes'][outcome]['rate_ratio']}")  # fmt: skip
    assert on["events"] >= 10  # enough to say something
    assert lower <= expected <= upper
    # each rate against the truth's (followed from the true diagnosis date, not the index
    # date, so within its exact CI rather than equal)
    for row, key in ((on, "all_events_rate_on_per_100k"), (off, "all_events_rate_off_per_100k")):
        assert row["ci_lower"] <= group[key] <= row["ci_upper"], key
