"""The disclosure audit (issue: hardening, section 1): the three recoveries a hostile review
made from the published files of itp_faith on the default dataset, replayed as a reader
would do them; the audit's end state on both shipped definitions; the linear model on
tiny cases."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from pharmacoepi.definition import load_definition
from pharmacoepi.disclosure.model import Count, Model, at_most, equal
from pharmacoepi.disclosure.relations import Facts, Tables, build_model
from pharmacoepi.estimate import ESP2013, WHO_WORLD
from pharmacoepi.outputs.catalogue import aggregates
from pharmacoepi.pipeline.build import build_cohort
from pharmacoepi.pipeline.outputs import audit_facts
from pharmacoepi.progress import Reporter

N = 11  # the shipped definitions' min_cell_count
RAW = tuple(s.file for s in aggregates())


def _build(name: str, data, out):
    loaded = load_definition(f"cohorts/{name}.yaml")
    produced = [s.file for s in aggregates() if s.when(loaded.definition)]
    result = build_cohort(
        loaded, data, out, reporter=Reporter.for_stderr(quiet=True),
        keep=("published", "attrition_steps", "disclosure_audit", *produced),
    )  # fmt: skip
    return loaded, result


@pytest.fixture(scope="module")
def itp(default_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("audit") / "itp"
    _build("itp_faith", default_data, out)
    return {f.name: pl.read_parquet(f) for f in out.glob("*.parquet")}


@pytest.fixture(scope="module")
def ms(default_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("audit") / "ms"
    _build("ms_dmt", default_data, out)
    return {f.name: pl.read_parquet(f) for f in out.glob("*.parquet")}


def _cohort_size(files) -> int:
    return files["attrition.parquet"]["persons"][-1]


# --- finding 1: incidence age bands pinned by the standardised rates -------------------


def _standard_terms(incidence: pl.DataFrame, standard: pl.DataFrame, per: float = 100_000):
    """The reader's coefficients: rate = sum over bands of weight / total weight x events /
    person-years of the band (bands above the standard's open top band join it)."""
    bands = incidence.filter(pl.col("measure") == "age_band").with_columns(
        pl.col("stratum").cast(pl.Int64).alias("band")
    )
    top = standard["stratum"].max()
    bands = bands.with_columns(pl.min_horizontal("band", pl.lit(top)).alias("group"))
    years = dict(bands.group_by("group").agg(pl.col("person_years").sum()).rows())
    weights = dict(standard.select("stratum", "weight").rows())
    total = sum(weights.values())
    return {
        row["stratum"]: weights[row["group"]] / total * per / years[row["group"]]
        for row in bands.iter_rows(named=True)
    }


def _compositions(total: int, parts: int):
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in _compositions(total - first, parts - 1):
            yield (first, *rest)


def _age_band_solutions(incidence: pl.DataFrame) -> tuple[list[str], np.ndarray]:
    """Every assignment of the masked age bands' events a reader finds consistent with the
    crude count, the shown bands and the standardised rates shown (to 9 digits)."""
    bands = incidence.filter(pl.col("measure") == "age_band")
    crude = incidence.filter(pl.col("measure") == "crude")["events"][0]
    hidden = bands.filter(pl.col("events").is_null())["stratum"].to_list()
    known = dict(bands.filter(pl.col("events").is_not_null()).select("stratum", "events").rows())
    options = np.array(list(_compositions(crude - sum(known.values()), len(hidden))), float)
    keep = np.ones(len(options), dtype=bool)
    for measure, standard in (("standardised_esp2013", ESP2013),
                              ("standardised_who_world", WHO_WORLD)):  # fmt: skip
        rate = incidence.filter(pl.col("measure") == measure)["rate"][0]
        if rate is None:
            continue
        c = _standard_terms(incidence, standard)
        rest = rate - sum(c[s] * e for s, e in known.items())
        got = options @ np.array([c[s] for s in hidden])
        keep &= np.isclose(got, rest, rtol=1e-9, atol=0)
    return hidden, options[keep]


def test_incidence_masked_age_bands_are_not_pinned_by_standardised_rates(ms):
    """ms_dmt on the default dataset masks five age bands (22 events between them): the
    ESP 2013 and WHO rates left a single assignment, the true one."""
    hidden, solutions = _age_band_solutions(ms["incidence.parquet"])
    assert len(hidden) >= 3, "the default dataset masks some age bands"
    assert len(solutions) > 1
    for i, stratum in enumerate(hidden):
        low, high = solutions[:, i].min(), solutions[:, i].max()
        assert low <= 0 and high >= N - 1, (stratum, low, high)


# --- finding 2: survival's at-risk numbers reveal follow-up exposed_at hides ------------


def test_survival_at_risk_does_not_reveal_persons_leaving_follow_up(itp):
    survival, exposed = itp["survival.parquet"], itp["exposed_at.parquet"]
    cohort = _cohort_size(itp)
    shown = survival.filter(pl.col("at_risk").is_not_null(), pl.col("persons").is_not_null())
    left = (shown["persons"] - shown["at_risk"]).to_list()
    assert not [n for n in left if 0 < n < N], "persons - at risk is a small count"
    hidden_days = exposed.filter(pl.col("persons_in_follow_up").is_null())[
        "days_after_index"].unique().to_list()  # fmt: skip
    assert hidden_days, "the default dataset hides some follow-up counts"
    for day in hidden_days:
        same_day = shown.filter(pl.col("origin") == "index_date", pl.col("time_days") == day)
        assert not [n for n in (cohort - same_day["at_risk"]).to_list() if 0 < n < N], day


def test_phases_are_not_completed_from_survival_at_risk(itp):
    """The review: 126 - at risk on day 365 = 5 persons followed too briefly for a phase;
    then persistent = 126 - 37 - 68 - 5 = 16; both were masked."""
    phases = dict(itp["phases.parquet"].select("phase", "persons").rows())
    cohort = _cohort_size(itp)
    on_365 = itp["survival.parquet"].filter(
        pl.col("origin") == "index_date", pl.col("time_days") == 365,
        pl.col("at_risk").is_not_null(),
    )  # fmt: skip
    for at_risk in on_365["at_risk"].to_list():
        brief = cohort - at_risk
        others = [v for k, v in phases.items() if k != "insufficient_follow_up"]
        recovered = [brief] + ([cohort - brief - sum(v for v in others if v is not None)]
                               if sum(v is None for v in others) == 1 else [])  # fmt: skip
        assert not [n for n in recovered if 0 < n < N], recovered


def test_masked_deaths_by_day_182_are_not_recovered(itp):
    """The review: deaths by day 182 (masked) = 126 - at risk on day 182 of an analysis
    with no event before day 365 (chronic phase) = 1."""
    survival = itp["survival.parquet"]
    death = survival.filter(pl.col("analysis") == "death", pl.col("time_days") == 182)
    assert death["cumulative_incidence"][0] is None  # masked: 1 to 10 deaths
    on_182 = survival.filter(pl.col("time_days") == 182, pl.col("origin") == "index_date",
                             pl.col("at_risk").is_not_null())  # fmt: skip
    left = (_cohort_size(itp) - on_182["at_risk"]).to_list()
    assert not [n for n in left if 0 < n < N]


# --- finding 3: retreatment minus pathways ----------------------------------------------


def test_retreatment_minus_pathways_does_not_give_a_masked_pathway_cell(itp):
    retreatment, pathways = itp["retreatment.parquet"], itp["pathways.parquet"]
    firsts = retreatment.filter(pl.col("course_number") == 1, pl.col("persons").is_not_null())
    for klass, persons in firsts.select("class", "persons").rows():
        into = pathways.filter(pl.col("to_regimen").str.split("+").list.contains(klass))
        hidden = into.filter(pl.col("persons").is_null()).height
        if hidden == 1:  # the review: 17 - 14 = 3
            rest = persons - into["persons"].sum()
            assert not 0 < rest < N, (klass, rest)
        elif hidden > 1:  # each hidden cell is at most persons - the shown ones
            assert persons - into["persons"].sum() >= N - 1, klass


# --- the audit's end state, both shipped definitions ------------------------------------


@pytest.mark.parametrize("name", ["itp_faith", "ms_dmt"])
def test_every_sensitive_count_is_protected_after_the_audit(name, default_data, tmp_path):
    loaded, result = _build(name, default_data, tmp_path / name)
    kept = result.kept
    raw = {f: kept[f] for f in RAW if f in kept["published"]}
    model = build_model(
        Tables(raw, kept["published"]), kept["attrition_steps"], audit_facts(loaded.definition)
    )
    assert model.broken == []  # every identity holds on the run's numbers
    sensitive = model.sensitive()
    assert len(sensitive) > 20
    for count in sensitive:
        low, high = model.feasible_range(count, model.relations)
        assert low <= 0 and high >= N - 1, (str(count), low, high)
    record = kept["disclosure_audit"]
    assert record["sensitive_counts_checked"] == len(sensitive)
    assert record["relations_not_holding"] == []
    # the standardised rates rest on masked age bands: hidden, and the manifest says why
    hid = {(e["file"], e["row"].get("measure")) for e in record["extra_suppressed"]}
    assert ("incidence.parquet", "standardised_esp2013") in hid
    assert ("incidence.parquet", "standardised_who_world") in hid
    incidence = kept["published"]["incidence.parquet"]
    assert incidence.filter(pl.col("measure").str.starts_with("standardised"))[
        "rate"].is_null().all()  # fmt: skip


# --- the model on tiny cases ------------------------------------------------------------


def _cells(model: Model, values: dict[str, tuple[int, bool]]) -> dict[str, Count]:
    return {
        name: model.count(Count("t", (("cell", name),), "n"), v, shown)
        for name, (v, shown) in values.items()
    }


def test_a_masked_pair_under_a_shown_total_ranges_over_the_total():
    model = Model(11)
    c = _cells(model, {"a": (3, False), "b": (14, False), "total": (17, True)})
    model.relate(equal({c["a"]: 1, c["b"]: 1, c["total"]: -1}, 0, "a + b = total"))
    assert model.feasible_range(c["a"], model.relations) == (0, 17)
    assert model.protected(c["a"], model.relations)


def test_two_small_masked_cells_whose_sum_is_small_are_not_protected():
    # the classic rule (never a single masked cell) holds, yet both are at most 6
    model = Model(11)
    c = _cells(model, {"a": (3, False), "b": (3, False), "rest": (11, True), "t": (17, True)})
    model.relate(equal({c["a"]: 1, c["b"]: 1, c["rest"]: 1, c["t"]: -1}, 0, "sum"))
    assert model.feasible_range(c["a"], model.relations) == (0, 6)
    assert not model.protected(c["a"], model.relations)


def test_a_relation_resting_on_hidden_derived_values_is_dropped():
    model = Model(11)
    c = _cells(model, {"a": (3, False), "b": (20, False)})
    rate = Count("t", (("cell", "rate"),), "rate")
    model.relate(equal({c["a"]: 1}, 3, "the rate pins a", rests_on=(rate,)))
    model.relate(at_most({c["a"]: 1, c["b"]: -1}, 0, "a <= b"))
    assert model.feasible_range(c["a"], model.active(set())) == (3, 3)
    assert model.feasible_range(c["a"], model.active({rate})) == (0, np.inf)


def test_an_identity_the_numbers_break_is_listed_and_an_inference_is_left_out():
    model = Model(11)
    c = _cells(model, {"a": (3, False), "b": (5, True)})
    assert not model.relate(equal({c["a"]: 1, c["b"]: -1}, 0, "a = b"))
    assert model.broken == ["a = b"]
    assert not model.relate(equal({c["a"]: 1, c["b"]: -1}, 0, "a = b?"), inference=True)
    assert model.broken == ["a = b"] and model.relations == []


def test_the_audit_hides_the_smallest_count_that_protects():
    from pharmacoepi.disclosure.audit import audit

    # retreatment: next course 3 and next line 3 masked, no next treatment 11 shown, 17 in
    # all: both masked cells are at most 6 until the 11 is hidden too
    raw = {
        "attrition.parquet": pl.DataFrame({"step": [0], "description": ["all"],
                                           "persons": [100], "excluded": [None]},
                                          schema_overrides={"step": pl.Int32,
                                                            "excluded": pl.Int64}),
        "retreatment.parquet": pl.DataFrame(
            {"class": ["x"], "course_number": [1], "persons": [17], "next_course": [3],
             "next_line": [3], "no_next_treatment": [11]},
            schema_overrides={"course_number": pl.Int32},
        ),
    }  # fmt: skip
    from pharmacoepi.disclosure import disclose

    masked = disclose(raw, ["cohort"], 11)
    assert masked["retreatment.parquet"]["no_next_treatment"][0] == 11  # the table alone
    audited = audit(raw, masked, ["cohort"], Facts(min_cell=11))
    row = audited.published["retreatment.parquet"].row(0, named=True)
    assert (row["persons"], row["next_course"], row["next_line"]) == (17, None, None)
    assert row["no_next_treatment"] is None and row["share_retreated"] is None
    [extra] = audited.record["extra_suppressed"]
    assert extra["columns"] == ["no_next_treatment", "share_retreated"]


def test_the_terminal_says_what_the_audit_did_and_warns_of_a_broken_relation():
    from pharmacoepi.cli import _audit_line

    extra = [{"file": "incidence.parquet"}, {"file": "pathways.parquet"}]
    record = {
        "sensitive_counts_checked": 78,
        "relations_not_holding": [],
        "extra_suppressed": extra,
    }
    line = _audit_line(record)
    assert line.startswith("disclosure audit: 78 hidden small counts checked")
    assert "2 more hidden (incidence.parquet, pathways.parquet)" in line
    assert "warning" not in line
    broken = _audit_line({**record, "relations_not_holding": ["a = b"]})
    assert "warning: 1 relation(s) of the disclosure audit did not hold" in broken


def test_a_rate_shown_beside_masked_events_is_hidden_by_the_audit():
    """A mask that forgot a rate would give its events away (rate x person-years / per)."""
    from pharmacoepi.disclosure import disclose
    from pharmacoepi.disclosure.audit import audit

    incidence = pl.DataFrame(
        {"measure": ["crude", "sex", "sex"], "stratum": ["all", "F", "M"],
         "events": [30, 4, 26], "person_years": [1000.0, 500.0, 500.0],
         "rate": [3000.0, 800.0, 5200.0], "ci_lower": [1.0, 1.0, 1.0],
         "ci_upper": [2.0, 2.0, 2.0], "denominator": ["internal"] * 3},
    )  # fmt: skip
    attrition = pl.DataFrame(
        {"step": [0, 1], "description": ["all", "incident"], "persons": [900, 30],
         "excluded": [None, 870]}, schema_overrides={"step": pl.Int32, "excluded": pl.Int64},
    )  # fmt: skip
    raw = {"attrition.parquet": attrition, "incidence.parquet": incidence}
    steps = ["extract", "incident"]
    masked = disclose(raw, steps, 11)
    sex = masked["incidence.parquet"].filter(pl.col("measure") == "sex")
    assert sex["events"].to_list() == [None, None]  # 4 and, with it, 26
    forgot = pl.when(pl.col("stratum") == "F").then(800.0).otherwise(pl.col("rate"))
    table = masked["incidence.parquet"].with_columns(forgot.alias("rate"))
    broken = {**masked, "incidence.parquet": table}
    audited = audit(raw, broken, steps, Facts(min_cell=11)).published["incidence.parquet"]
    assert audited.filter(pl.col("stratum") == "F")["rate"][0] is None


def test_a_small_count_a_mask_let_through_is_hidden_by_the_audit():
    from pharmacoepi.disclosure.audit import audit

    pathways = pl.DataFrame(
        {"from_line": [1, 1], "from_regimen": ["none", "none"], "to_regimen": ["a", "b"],
         "persons": [4, 30], "min_cell_count": [11, 11]},
        schema_overrides={"from_line": pl.Int32, "min_cell_count": pl.Int32},
    )  # fmt: skip
    raw = {"pathways.parquet": pathways.drop("min_cell_count")}
    audited = audit(raw, {"pathways.parquet": pathways}, [], Facts(min_cell=11))
    assert audited.published["pathways.parquet"]["persons"].to_list() == [None, 30]
    [entry] = audited.record["extra_suppressed"]
    assert entry["through"] == ["a count from 1 to min_cell_count - 1 was shown"]
