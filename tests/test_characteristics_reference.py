"""Table 1 against the reference packages (dev dependencies):

- tableone 0.9.6 (Pollard et al., JAMIA Open 2018): on the synthetic ITP cohort, the
  means, SDs, percents and SMDs by sex of characteristics.parquet equal what tableone
  computes from covariates.parquet, to 1e-9 (min_cell_count 1: nothing masked);
- comorbidipy 0.5.0: the Charlson index of each person equals comorbidipy's Quan-2011
  weighted score on a generated set of ICD-10 code lists, person by person. comorbidipy
  gives AIDS/HIV weight 2 where Quan et al. (2011, Table 3) give 4
  (cohorts/codelists/charlson/README.md): the test sets it to the paper's value.
"""

from __future__ import annotations

import datetime as dt
import random
import warnings
from pathlib import Path

import polars as pl
import pytest

from tests.claims import Claims, build

pd = pytest.importorskip("pandas")
TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def faith(faith_unmasked) -> Path:
    return faith_unmasked


def _wide(covariates: pl.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    """One row per person, one column per feature and window, as tableone reads them:
    binary columns declared categorical (its SMD is then the binary formula)."""
    frame = covariates.with_columns(
        pl.concat_str([pl.col("feature"), pl.col("window").fill_null("")], separator="|")
        .str.strip_chars_end("|")
        .alias("column")
    )
    categorical = frame.filter(pl.col("category").is_not_null())
    numeric = frame.filter(pl.col("category").is_null())
    wide = numeric.pivot("column", index="person_id", values="value").join(
        categorical.pivot("column", index="person_id", values="category"), on="person_id"
    )
    binary = [
        c
        for c in numeric["column"].unique().to_list()
        if set(numeric.filter(pl.col("column") == c)["value"].unique()) <= {0.0, 1.0}
    ]
    continuous = sorted(set(numeric["column"].unique()) - set(binary))
    cats = sorted(set(categorical["column"].unique()) | set(binary))
    return wide.sort("person_id").to_pandas(), continuous, cats


def test_table1_by_sex_equals_tableone(faith):
    from tableone import TableOne

    table = pl.read_parquet(faith / "characteristics.parquet")
    wide, continuous, categorical = _wide(pl.read_parquet(faith / "covariates.parquet"))
    categorical = [c for c in categorical if c != "sex"]
    for c in categorical:
        wide[c] = wide[c].map(lambda v: str(int(v)) if isinstance(v, float) else v)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pandas idioms inside tableone
        t = TableOne(wide, columns=continuous + categorical, categorical=categorical,
                     continuous=continuous, groupby="sex", smd=True, pval=False,
                     missing=False)  # fmt: skip
    smds = t.smd_table.astype(float)["SMD (F,M)"]
    sex = table.filter(pl.col("stratum") == "sex")
    checked = 0
    for column in continuous:
        feature, _, window = column.partition("|")
        for level in ("F", "M"):
            r = sex.filter(
                (pl.col("level") == level)
                & (pl.col("feature") == feature)
                & (pl.col("window").fill_null("") == window)
            ).row(0, named=True)
            assert abs(r["mean"] - t.cont_describe["mean"][level][column]) < TOLERANCE
            assert abs(r["sd"] - t.cont_describe["std"][level][column]) < TOLERANCE
            assert abs(r["median"] - t.cont_describe["median"][level][column]) < TOLERANCE
            assert abs(r["q1"] - t.cont_describe["q25"][level][column]) < TOLERANCE
            assert abs(r["q3"] - t.cont_describe["q75"][level][column]) < TOLERANCE
        m = sex.filter((pl.col("level") == "M") & (pl.col("feature") == feature)
                       & (pl.col("window").fill_null("") == window))["smd"][0]  # fmt: skip
        # tableone: M - F over the pooled SD; ours on the M row: M against F
        if m is None:
            assert pd.isna(smds[column]) or smds[column] == 0
        else:
            assert abs(m - smds[column]) < TOLERANCE, column
        checked += 1
    for column in categorical:
        feature, _, window = column.partition("|")
        rows = sex.filter((pl.col("feature") == feature)
                          & (pl.col("window").fill_null("") == window))  # fmt: skip
        for r in rows.iter_rows(named=True):
            category = r["category"] if r["kind"] == "categorical" else "1"
            if r["kind"] == "binary" or category in set(wide[column]):
                describe = t.cat_describe["percent"][r["level"]]
                expected = describe.get((column, category), 0.0)
                assert abs(r["percent"] - expected) < TOLERANCE, (column, r["level"])
            smd = r["smd"]
            assert smd is not None
            assert abs(abs(smd) - smds[column]) < TOLERANCE, column
        checked += 1
    # every feature of itp_faith's Table 1 was compared (sex, the grouping, aside)
    overall = table.filter(pl.col("stratum") == "overall")
    assert checked == overall.select("feature", "window").unique().height - 1 == 17


# ---- Charlson against comorbidipy -------------------------------------------------------


def _comorbidipy():
    """comorbidipy 0.5.0 imports SettingWithCopyWarning from pandas.core.common, where
    pandas 2.x no longer has it: give it the name before importing it."""
    import pandas.core.common as common
    from pandas.errors import SettingWithCopyWarning

    common.SettingWithCopyWarning = SettingWithCopyWarning  # type: ignore[attr-defined]
    from comorbidipy import comorbidity

    return comorbidity


CHARLSON_DIR = Path(__file__).parents[1] / "cohorts" / "codelists" / "charlson"


def _charlson_codes() -> list[str]:
    codes = []
    for f in sorted(CHARLSON_DIR.glob("*.csv")):
        codes += pl.read_csv(f, infer_schema=False)["code"].to_list()
    return codes


def test_charlson_equals_comorbidipy(tmp_path):
    comorbidity = _comorbidipy()
    from comorbidipy.weights import weights

    rng = random.Random(20261130)
    listed = _charlson_codes()
    noise = ["R51", "Z001", "S720", "J189", "K350", "I10"]
    c = Claims()
    persons: dict[int, list[str]] = {}
    for pid in range(1, 301):
        c.person(pid, sex=rng.choice("FM")).diagnosis(pid, "2010-03-01")
        picks = rng.sample(listed, rng.randint(0, 6)) + rng.sample(noise, rng.randint(0, 2))
        # a code on the list, or one of its sub-codes (prefix matching)
        codes = [code + (str(rng.randint(0, 9)) if len(code) == 3 and rng.random() < 0.5
                 else "") for code in picks]  # fmt: skip
        for code in codes:
            date = dt.date(2009, 3, 1) + dt.timedelta(days=rng.randint(1, 364))
            c.diagnosis(pid, date.isoformat(), code=code, setting="hospital_associated")
        persons[pid] = codes
    windows = {"prior_year": [-365, -1]}
    # no secondary-cause rule: a lymphoma or lupus code must not take a person out
    built = build(c, tmp_path, primary=None, characteristics={
        "windows": windows, "demographics": [], "scores": ["charlson"],
        "windows_for_scores": ["prior_year"], "covariates_file": True,
    })  # fmt: skip
    cov = pl.read_parquet(built.out / "covariates.parquet").filter(pl.col("feature") == "charlson")
    ours = dict(cov.select("person_id", "value").rows())
    long = pd.DataFrame(
        [(p, code) for p, codes in persons.items() for code in codes], columns=["id", "code"]
    )
    quan = weights["charlson_icd10_quan"]["quan"]
    original = dict(quan)
    quan["aids"] = 4  # Quan et al. 2011, Table 3
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            theirs = comorbidity(
                long, id="id", code="code", age=None, score="charlson", icd="icd10",
                variant="quan", weighting="quan", assign0=True,
            )  # fmt: skip
    finally:
        quan.clear()
        quan.update(original)
    reference = dict(zip(theirs["id"], theirs["comorbidity_score"], strict=True))
    assert set(ours) == set(persons)  # every cohort member has a score, 0 included
    differ = {p: (ours[p], reference.get(p, 0)) for p in persons if ours[p] != reference.get(p, 0)}
    assert differ == {}
    assert sum(1 for v in ours.values() if v >= 5) > 10  # the high scores were exercised
