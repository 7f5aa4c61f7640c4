"""Baseline characteristics (Table 1, `characteristics:`): each rule of docs/methods.md
("Baseline characteristics") at its boundaries, per person, on tiny extracts: windows
(both ends inclusive, a null start at the observation start), conditions held by a
long-term disease status, drug classes by their eras and codelists by their dispensings,
hospital use cut to the window, the Charlson hierarchy and categories, strata. Runs on
DuckDB and, with PHARMACOEPI_SPARK_SPEC=1, on Spark too."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from pharmacoepi.characteristics import charlson
from tests.claims import Claims, build, d

INDEX = "2010-03-01"  # the D69.3 code's date: no first-line dispensing before it


def day(offset: int) -> str:
    return (d(INDEX) + dt.timedelta(days=offset)).isoformat()


def case(c: Claims, pid: int, **person) -> Claims:
    """A cohort member indexed on INDEX (observed from 2000 unless told)."""
    return c.person(pid, **person).diagnosis(pid, INDEX)


TABLE1 = {
    "windows": {
        "prior_year": [-365, -1],
        "any_time_prior": [None, -1],
        "index": [0, 0],
        # a class's eras see records from index_date - treatments.lookback_days
        "recent": [-183, -1],
    },
    "demographics": ["age", "sex"],
    "conditions": [
        {"codelist": "thrombosis", "windows": ["prior_year", "any_time_prior", "index"]}
    ],
    "drugs": [
        {"class": "tpo_ra", "windows": ["recent", "index"]},
        {"codelist": "rituximab", "windows": ["prior_year"]},
    ],
    "utilisation": ["hospital_stays", "hospital_days"],
    "scores": ["charlson"],
    "windows_for_scores": ["any_time_prior"],
    "covariates_file": True,
}


def run(c: Claims, tmp_path, **table1):
    built = build(c, tmp_path, characteristics={**TABLE1, **table1})
    return built, pl.read_parquet(built.out / "covariates.parquet")


def value(cov: pl.DataFrame, pid: int, feature: str, window: str | None = None):
    rows = cov.filter(
        (pl.col("person_id") == pid)
        & (pl.col("feature") == feature)
        & (pl.col("window").is_null() if window is None else pl.col("window") == window)
    )
    assert rows.height == 1, (pid, feature, window, rows)
    return rows["category"][0] if rows["category"][0] is not None else rows["value"][0]


def test_condition_window_ends_are_inclusive(tmp_path):
    c = Claims()
    case(c, 1).diagnosis(1, day(-365), code="I26")  # first day of prior_year
    case(c, 2).diagnosis(2, day(-366), code="I26")  # the day before it
    case(c, 3).diagnosis(3, day(-1), code="I26")  # last day
    case(c, 4).diagnosis(4, day(0), code="I26")  # the index date: not prior
    _, cov = run(c, tmp_path)
    got = {p: value(cov, p, "thrombosis", "prior_year") for p in (1, 2, 3, 4)}
    assert got == {1: 1.0, 2: 0.0, 3: 1.0, 4: 0.0}
    assert {p: value(cov, p, "thrombosis", "index") for p in (1, 2, 3, 4)} == {
        1: 0.0, 2: 0.0, 3: 0.0, 4: 1.0,
    }  # fmt: skip
    assert value(cov, 2, "thrombosis", "any_time_prior") == 1.0


def test_null_start_is_the_observation_start(tmp_path):
    c = Claims()
    # observed from 2007-01-01 (enough for the 730-day prior observation)
    case(c, 1, covered=("2007-01-01", "2014-12-31")).diagnosis(1, "2007-01-01", code="I26")
    case(c, 2, covered=("2007-01-01", "2014-12-31")).diagnosis(2, "2006-12-31", code="I26")
    _, cov = run(c, tmp_path)
    assert value(cov, 1, "thrombosis", "any_time_prior") == 1.0
    assert value(cov, 2, "thrombosis", "any_time_prior") == 0.0


def test_a_long_term_disease_status_holds_over_its_span(tmp_path):
    c = Claims()
    case(c, 1).ald(1, "2005-01-01", code="I26")  # open: holds in every window
    case(c, 2).ald(2, "2005-01-01", day(-366), code="I26")  # ended the day before
    case(c, 3).ald(3, "2005-01-01", day(-365), code="I26")  # ended on its first day
    _, cov = run(c, tmp_path)
    assert {p: value(cov, p, "thrombosis", "prior_year") for p in (1, 2, 3)} == {
        1: 1.0, 2: 0.0, 3: 1.0,
    }  # fmt: skip
    assert value(cov, 1, "thrombosis", "index") == 1.0


def test_drug_class_by_era_and_codelist_by_dispensing(tmp_path):
    c = Claims()
    # a TPO-RA box on day -30 covers 30 days: its era reaches day -1, not the index
    case(c, 1).dispensing(1, day(-30), atc="B02BX05")
    # from day -29 the era reaches day 0 (the index window)
    case(c, 2).dispensing(2, day(-29), atc="B02BX05")
    # rituximab dispensed on day -366 and day 0: neither in prior_year
    case(c, 3).dispensing(3, day(-366), atc="L01FA01").dispensing(3, day(0), atc="L01FA01")
    case(c, 4).dispensing(4, day(-365), atc="L01FA01")
    _, cov = run(c, tmp_path)
    assert [value(cov, p, "tpo_ra", "recent") for p in (1, 2)] == [1.0, 1.0]
    assert [value(cov, p, "tpo_ra", "index") for p in (1, 2)] == [0.0, 1.0]
    assert [value(cov, p, "rituximab", "prior_year") for p in (3, 4)] == [0.0, 1.0]


def test_hospital_use_is_cut_to_the_window(tmp_path):
    c = Claims()
    case(c, 1)
    stays = c.rows["hospital_stays"]
    # admitted before the window, discharged on its 3rd day: 3 days, not a stay in it
    stays.append({"stay_id": 1, "person_id": 1, "admission_date": d(day(-370)),
                  "discharge_date": d(day(-363))})  # fmt: skip
    # a same-day stay: one day, one stay
    stays.append({"stay_id": 2, "person_id": 1, "admission_date": d(day(-10)),
                  "discharge_date": d(day(-10))})  # fmt: skip
    # admitted on the last day, discharged after the index: 1 day in the window
    stays.append({"stay_id": 3, "person_id": 1, "admission_date": d(day(-1)),
                  "discharge_date": d(day(2))})  # fmt: skip
    case(c, 2)  # no stay: 0, not missing
    _, cov = run(c, tmp_path)
    assert value(cov, 1, "hospital_stays", "prior_year") == 2.0
    assert value(cov, 1, "hospital_days", "prior_year") == 3 + 1 + 1
    assert value(cov, 1, "hospital_days", "index") == 1.0
    assert value(cov, 1, "hospital_stays", "index") == 0.0
    assert [value(cov, 2, f, "prior_year") for f in ("hospital_stays", "hospital_days")] == [
        0.0, 0.0,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("codes", "components"),
    [
        (["K73", "I850"], {"mild_liver_disease", "moderate_severe_liver_disease"}),  # 4
        (["K73"], {"mild_liver_disease"}),  # 2
        (["E119", "E112"], {"diabetes_without_complications", "diabetes_with_complications"}),
        (["C509", "C787"], {"any_malignancy", "metastatic_solid_tumour"}),  # 6
        (["C509"], {"any_malignancy"}),  # 2
        (["I500", "F03", "J449", "N189", "B20", "G81", "M069"],
         {"congestive_heart_failure", "dementia", "chronic_pulmonary_disease",
          "renal_disease", "aids_hiv", "hemiplegia_paraplegia", "rheumatic_disease"}),
        (["I252", "I739", "G45", "K259"],  # four components that weigh 0
         {"myocardial_infarction", "peripheral_vascular_disease", "cerebrovascular_disease",
          "peptic_ulcer_disease"}),
    ],
)  # fmt: skip
def test_charlson_hierarchy_and_weights(tmp_path, codes, components):
    c = Claims()
    case(c, 1)
    for code in codes:
        c.diagnosis(1, "2008-05-01", code=code, setting="hospital_associated")
    case(c, 2)  # nothing: 0
    _, cov = run(c, tmp_path)
    expected = charlson.score(components)
    assert value(cov, 1, "charlson", "any_time_prior") == expected
    assert value(cov, 2, "charlson", "any_time_prior") == 0
    label = next(lab for lo, hi, lab in charlson.CATEGORIES
                 if expected >= lo and (hi is None or expected <= hi))  # fmt: skip
    assert value(cov, 1, "charlson_category", "any_time_prior") == label


def test_charlson_reference_values():
    """The weights of Quan et al. 2011 (Table 3), read by hand: the hierarchy keeps the
    greater of each pair; the index of every component at once is 24."""
    assert charlson.score({"mild_liver_disease", "moderate_severe_liver_disease"}) == 4
    assert charlson.score({"any_malignancy", "metastatic_solid_tumour"}) == 6
    assert charlson.score({"diabetes_without_complications", "diabetes_with_complications"}) == 1
    assert charlson.score(set(charlson.WEIGHTS)) == 24


def test_strata_levels_and_the_first_line(tmp_path):
    c = Claims()
    case(c, 1, sex="F").dispensing(1, day(10), atc="B02BX05")  # first line: tpo_ra
    case(c, 2, sex="M")  # no line: 'none'
    case(c, 3, sex="M").dispensing(3, day(5), atc="B02BX05")
    built, _ = run(c, tmp_path, strata=["sex", "first_line"], demographics=["age"])
    t = pl.read_parquet(built.out / "characteristics.parquet").filter(pl.col("feature") == "age")
    persons = {(s, lv): p for s, lv, p in t.select("stratum", "level", "persons").rows()}
    # every level has fewer than 11 persons: the counts are masked, the levels are there
    assert set(persons) == {("overall", "all"), ("sex", "F"), ("sex", "M"),
                            ("first_line", "tpo_ra"), ("first_line", "none")}  # fmt: skip
    assert persons[("overall", "all")] is None
    assert t.filter(pl.col("stratum") == "overall")["mean"].to_list() == [None]


def test_table_values_and_smd(tmp_path):
    """Twelve women aged 50 and twelve men aged 60, six of the men with a thrombosis code:
    counts, percents, means and the SMDs by sex, computed by hand."""
    c = Claims()
    for pid in range(1, 13):
        case(c, pid, sex="F", birth="1960-01-01")
    for pid in range(13, 25):
        case(c, pid, sex="M", birth="1950-01-01")
        if pid % 2:
            c.diagnosis(pid, day(-100), code="I26", setting="hospital_associated")
    built, _ = run(c, tmp_path, strata=["sex"], demographics=["age", "sex"])
    t = pl.read_parquet(built.out / "characteristics.parquet")

    def row(stratum, level, feature, window=None, category=None):
        f = t.filter((pl.col("stratum") == stratum) & (pl.col("level") == level)
                     & (pl.col("feature") == feature))  # fmt: skip
        f = f.filter(pl.col("window") == window) if window else f
        f = f.filter(pl.col("category") == category) if category else f
        assert f.height == 1
        return f.row(0, named=True)

    overall = row("overall", "all", "thrombosis", "prior_year")
    assert (overall["persons"], overall["n"], overall["percent"]) == (24, None, None)  # 6 < 11
    men = row("sex", "M", "age")
    assert (men["persons"], men["mean"], men["sd"], men["median"]) == (12, 60.0, 0.0, 60.0)
    # age: zero variance in both, different means: the SMD is undefined (null)
    assert men["smd"] is None and men["smd_reference"] == "F"
    assert row("overall", "all", "age")["sd"] == pytest.approx(5.107539184552492, abs=1e-9)
    # sex by sex: wholly one level each; categorical SMD of two one-point distributions
    assert row("sex", "F", "sex", category="F")["n"] == 12
    # the no-thrombosis complement of the men is 6 (small): hidden too
    assert row("sex", "M", "thrombosis", "prior_year")["n"] is None
    # zero in both groups: SMD 0
    assert row("sex", "F", "rituximab", "prior_year")["smd"] == 0.0
