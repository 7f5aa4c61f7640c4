"""The estimators against published R output on real reference data (tests/reference/
survival, vendored from R's survival package). Tolerances are stated per test: R prints 4
significant digits, so printed values are matched to half a unit of the last digit."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pharmacoepi.estimate import AalenJohansen, CoxPH, KaplanMeier, direct_standardize, poisson_ci
from pharmacoepi.estimate.survival import restricted_mean

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "survival"

# summary(survfit(Surv(time, status) ~ x, data = aml)) from R's survival package:
# time, n.risk, n.event, survival, std.err, lower 95% CI, upper 95% CI
AML = {
    "Maintained": [
        (9, 11, 1, 0.909, 0.0867, 0.7541, 1.000),
        (13, 10, 1, 0.818, 0.1163, 0.6192, 1.000),
        (18, 8, 1, 0.716, 0.1397, 0.4884, 1.000),
        (23, 7, 1, 0.614, 0.1526, 0.3769, 0.999),
        (31, 5, 1, 0.491, 0.1642, 0.2549, 0.946),
        (34, 4, 1, 0.368, 0.1627, 0.1549, 0.875),
        (48, 2, 1, 0.184, 0.1535, 0.0359, 0.944),
    ],
    "Nonmaintained": [
        (5, 12, 2, 0.8333, 0.1076, 0.6470, 1.000),
        (8, 10, 2, 0.6667, 0.1361, 0.4468, 0.995),
        (12, 8, 1, 0.5833, 0.1423, 0.3616, 0.941),
        (23, 6, 1, 0.4861, 0.1481, 0.2675, 0.883),
        (27, 5, 1, 0.3889, 0.1470, 0.1854, 0.816),
        (30, 4, 1, 0.2917, 0.1387, 0.1148, 0.741),
        (33, 3, 1, 0.1944, 0.1219, 0.0569, 0.664),
        (43, 2, 1, 0.0972, 0.0919, 0.0153, 0.620),
        (45, 1, 1, 0.0000, None, None, None),
    ],
}


@pytest.fixture(scope="module")
def aml():
    return pl.read_csv(REFERENCE / "aml.csv")


def _close(got, want, digits_of_want):
    if want is None:
        return got is None
    return abs(got - want) <= 0.5 * 10**-digits_of_want + 1e-12


def _decimals(value: float) -> int:
    text = f"{value}"
    return len(text.split(".")[1]) if "." in text else 0


def test_kaplan_meier_matches_r_survfit_on_aml(aml):
    km = KaplanMeier().fit(aml, duration_col="time", event_col="status", group_col="x")
    for group, rows in AML.items():
        got = km.summary.filter(pl.col("group") == group, pl.col("events") > 0)
        assert got.height == len(rows), group
        for row, want in zip(got.iter_rows(named=True), rows, strict=True):
            time, n_risk, n_event, surv, se, lower, upper = want
            assert (row["time"], row["at_risk"], row["events"]) == (time, n_risk, n_event)
            for name, value in [("estimate", surv), ("std_error", se), ("ci_lower", lower),
                                ("ci_upper", upper)]:  # fmt: skip
                digits = _decimals(value) if value is not None else 0
                assert _close(row[name], value, digits), (group, time, name, row[name], value)


def test_median_survival_matches_r(aml):
    pooled = KaplanMeier().fit(aml, duration_col="time", event_col="status").median_
    assert pooled.select("median", "ci_lower", "ci_upper").row(0) == (27.0, 18.0, 45.0)
    by_group = KaplanMeier().fit(aml, duration_col="time", event_col="status", group_col="x")
    # print(survfit(...)): Maintained 31 (18, NA), Nonmaintained 23 (8, NA)
    assert by_group.median_.select("group", "median", "ci_lower", "ci_upper").rows() == [
        ("Maintained", 31.0, 18.0, None),
        ("Nonmaintained", 23.0, 8.0, None),
    ]


def test_cox_matches_r_coxph_on_aml(aml):
    """coxph(Surv(time, status) ~ x, data = aml): coef 0.9155, se 0.5119, HR 2.498,
    95% CI 0.9159-6.813 (Efron ties)."""
    fit = CoxPH().fit(aml, duration_col="time", event_col="status", covariates=["x"])
    row = fit.summary.row(0, named=True)
    assert row["term"] == "xNonmaintained"
    assert row["coef"] == pytest.approx(0.9155, abs=5e-5)
    assert row["std_error"] == pytest.approx(0.5119, abs=5e-5)
    assert row["hazard_ratio"] == pytest.approx(2.498, abs=5e-4)
    assert row["ci_lower"] == pytest.approx(0.9159, abs=5e-4)
    assert row["ci_upper"] == pytest.approx(6.813, abs=5e-3)


def test_aalen_johansen_restricted_means_match_the_compete_vignette():
    """survival's `compete` vignette: mgus2, etime = ptime if pstat else futime, event =
    pcm if pstat else death if death else censored; print(mfit2, rmean=240, scale=12)
    gives, for a male, 8.7 / 1.1 / 10.3 years in entry / PCM / death over 20 years."""
    mgus2 = pl.read_csv(REFERENCE / "mgus2.csv").with_columns(
        pl.when(pl.col("pstat") == 0).then(pl.col("futime")).otherwise(pl.col("ptime"))
        .alias("etime"),
        pl.when(pl.col("pstat") == 0).then(2 * pl.col("death")).otherwise(1).cast(pl.Int64)
        .alias("event"),
    )  # fmt: skip
    years = {}
    for name, kind in [("pcm", 1), ("death", 2)]:
        aj = AalenJohansen().fit(
            mgus2, duration_col="etime", event_col="event", event_of_interest=kind,
            group_col="sex",
        )  # fmt: skip
        area = restricted_mean(aj.summary, "estimate", 240, start=0.0)
        years[name] = area.filter(pl.col("group") == "M")["restricted_mean"][0] / 12
    area = restricted_mean(aj.summary, "event_free", 240, start=1.0)
    years["entry"] = area.filter(pl.col("group") == "M")["restricted_mean"][0] / 12
    # printed to one decimal: within 0.05 years
    assert years["entry"] == pytest.approx(8.7, abs=0.05)
    assert years["pcm"] == pytest.approx(1.1, abs=0.05)
    assert years["death"] == pytest.approx(10.3, abs=0.05)
    assert years["entry"] + years["pcm"] + years["death"] == pytest.approx(20.0, abs=1e-9)


def test_exact_poisson_interval():
    """137 events in 24.19893 person-years: 5.661407 [4.753125, 6.692709] (R's
    poisson.test / epitools::pois.exact)."""
    lower, upper = poisson_ci(137, 24.19893)
    assert 137 / 24.19893 == pytest.approx(5.661407, abs=5e-7)
    assert lower == pytest.approx(4.753125, abs=5e-7)
    assert upper == pytest.approx(6.692709, abs=5e-7)
    assert poisson_ci(0, 10)[0] == 0.0


def test_direct_standardisation_matches_epitools_fleiss_example():
    """?epitools::ageadjust.direct: Down syndrome by maternal age and birth order (Fleiss
    1981), standard = mean population over birth orders 1-5; birth order 1 ->
    92.3 per 100,000 [80.4, 105.8] (Fay and Feuer 1997, Table 1)."""
    ages = ["<20", "20-24", "25-29", "30-34", "35-39", "40+"]
    population = {  # birth order -> population per maternal age band
        1: [230061, 329449, 114920, 39487, 14208, 3052],
        2: [72202, 326701, 208667, 83228, 28466, 5375],
        3: [15050, 175702, 207081, 117300, 45026, 8660],
        4: [2293, 68800, 132424, 98301, 46075, 9834],
        5: [327, 30666, 123419, 149919, 104088, 34392],
    }
    cases = {1: [107, 141, 60, 40, 39, 25]}
    standard = pl.DataFrame(
        {"stratum": ages, "weight": [sum(p[i] for p in population.values()) / 5 for i in range(6)]}
    )
    frame = pl.DataFrame({"age": ages, "cases": cases[1], "births": population[1]})
    result = direct_standardize(
        frame, events_col="cases", person_time_col="births", stratum_col="age", standard=standard
    )
    adjusted = result.filter(pl.col("measure") == "standardised").row(0, named=True)
    assert round(adjusted["rate"], 1) == 92.3
    assert round(adjusted["ci_lower"], 1) == 80.4
    assert round(adjusted["ci_upper"], 1) == 105.8
