"""Safety outcomes (outcomes, analyses.outcome_incidence, analyses.outcome_survival): each
rule of docs/methods.md ("Safety outcomes") and its boundaries, per person, on tiny
extracts. Runs on DuckDB and, with PHARMACOEPI_SPARK_SPEC=1, on Spark too."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tests.claims as claims
from pharmacoepi.estimate import poisson_ci
from tests.claims import Claims, build, d

INDEX = "2010-03-01"
END = "2014-12-31"  # itp_faith's administrative end
OUTCOMES = {
    "bleeding": {"codelist": "bleeding", "settings": ["hospital_primary"]},
    "death": {"death": True},
    "splenectomy": {"codelist": "splenectomy"},
}


def day(offset: int, base: str = INDEX) -> str:
    return (d(base) + dt.timedelta(days=offset)).isoformat()


def span(start: int, end: int, start_anchor="index_date", end_anchor="index_date") -> dict:
    return {"start": {"anchor": start_anchor, "offset": start},
            "end": {"anchor": end_anchor, "offset": end}}  # fmt: skip


def incidence(name: str, tar: dict, outcome: str = "bleeding", **more) -> dict:
    return {"name": name, "outcome": outcome, "time_at_risk": tar, **more}


def run(c: Claims, tmp_path, incidences=(), survivals=()):
    keep = ("outcome_person_time", "outcome_incidence.parquet") if incidences else ()
    if survivals:
        keep += ("outcome_survival_times", "outcome_survival.parquet")
    return build(
        c, tmp_path, keep=keep, outcomes=OUTCOMES,
        **{"analyses.outcome_incidence": list(incidences),
           "analyses.outcome_survival": list(survivals)},
    )  # fmt: skip


def per_person(built, analysis: str) -> dict[int, tuple[int, int, int]]:
    """person -> (pre_days, days, events), summed over calendar years."""
    frame = (
        built.kept["outcome_person_time"]
        .filter(pl.col("analysis") == analysis)
        .group_by("person_id")
        .agg(pl.col("pre_days").sum(), pl.col("days").sum(), pl.col("events").sum())
    )
    return {p: (a, b, e) for p, a, b, e in frame.rows()}


def times(built) -> dict[tuple[str, int], tuple[int, int]]:
    rows = built.kept["outcome_survival_times"].rows()
    return {(a, p): (t, e) for a, p, t, e in rows}


def test_time_at_risk_is_cut_to_observation_and_follow_up(tmp_path):
    c = Claims()
    c.person(1, death=day(100)).diagnosis(1, INDEX)  # follow-up ends on index + 100
    c.person(2, covered=("2000-01-01", day(336))).diagnosis(2, INDEX)  # ends on index + 336
    # observed from index - 800 (the incident rule needs 730 days): a window from
    # index - 1000 starts on the first observed day
    c.person(3, covered=(day(-800), END)).diagnosis(3, INDEX)
    c.person(4).diagnosis(4, INDEX)
    built = run(
        c, tmp_path,
        incidences=[incidence("first_year", span(0, 365)), incidence("late", span(400, 500)),
                    incidence("before", span(-1000, -1))],
        survivals=[incidence("late_curve", span(400, 500))],
    )  # fmt: skip
    first_year = per_person(built, "first_year")
    assert first_year[1] == (101, 101, 0)  # [index, index + 100]: cut at follow_up_end
    assert first_year[4] == (366, 366, 0)  # both ends inclusive
    late = per_person(built, "late")
    assert 2 not in late  # empty after the cut: not at risk
    assert late[4] == (101, 101, 0)
    assert per_person(built, "before")[3] == (800, 800, 0)  # [index - 800, index - 1]
    assert per_person(built, "before")[4][0] == 1000
    assert ("late_curve", 2) not in times(built) and ("late_curve", 1) not in times(built)
    # person-time split at 1 January: 306 days of 2010 (1 March on), 60 of 2011
    years = built.kept["outcome_person_time"].filter(
        pl.col("analysis") == "first_year", pl.col("person_id") == 4
    )
    assert sorted(years.select("year", "days").rows()) == [(2010, 306), (2011, 60)]


def _bleeding(c: Claims, pid: int, offset: int, setting: str = "hospital_primary") -> None:
    c.diagnosis(pid, day(offset), code="K92.2", setting=setting)


def test_clean_windows_duplicates_first_only_and_prior_outcomes(tmp_path):
    c = Claims()
    c.person(1).diagnosis(1, INDEX)
    # index - 10 (before the TAR), index + 5 (removed: within 30 days of it, and extends the
    # removal to index + 35), index + 50 twice (one occurrence), index + 60 (removed)
    for offset in (-10, 5, 50, 60):
        _bleeding(c, 1, offset)
    c.diagnosis(1, day(50), code="R58", setting="hospital_primary")  # same day, other code
    _bleeding(c, 1, 120, setting="hospital_associated")  # not in the outcome's settings
    c.person(2).diagnosis(2, INDEX)  # no outcome
    year = span(0, 365)
    built = run(
        c, tmp_path,
        incidences=[
            incidence("clean_30", year, clean_window_days=30),
            incidence("clean_0", year),
            incidence("first", year, first_only=True),
            incidence("prior_10", year, exclude_prior_days=10),
            incidence("prior_9", year, exclude_prior_days=9),
            incidence("prior_all", year, exclude_prior_days="all"),
        ],
    )  # fmt: skip
    # removed: [index, index + 35] (36 days) and [index + 51, index + 90] (40 days)
    assert per_person(built, "clean_30")[1] == (366, 366 - 76, 1)
    assert per_person(built, "clean_0")[1] == (366, 366, 3)  # 5, 50, 60: each day once
    assert per_person(built, "first")[1] == (366, 6, 1)  # ends on index + 5, inclusive
    assert per_person(built, "prior_10")[1] == (366, 0, 0)  # index - 10 is in [-10, -1]
    assert per_person(built, "prior_9")[1] == (366, 366, 3)
    assert per_person(built, "prior_all")[1] == (366, 0, 0)
    assert per_person(built, "prior_all")[2] == (366, 366, 0)
    table = built.kept["outcome_incidence.parquet"]
    crude = table.filter(pl.col("analysis") == "clean_30", pl.col("stratum") == "crude")
    row = crude.row(0, named=True)
    assert (row["persons_pre_exclusion"], row["persons"], row["persons_with_outcome"]) == (2, 2, 1)
    assert (row["person_days_pre_exclusion"], row["person_days"], row["events"]) == (732, 656, 1)
    years = 656 / 365.25
    lower, upper = poisson_ci(1, years)
    assert abs(row["rate"] - 1 / years * 100_000) < 1e-9
    assert abs(row["ci_lower"] - lower * 100_000) < 1e-9
    assert abs(row["ci_upper"] - upper * 100_000) < 1e-9
    prior = table.filter(pl.col("analysis") == "prior_10", pl.col("stratum") == "crude").row(
        0, named=True
    )
    assert (prior["persons_pre_exclusion"], prior["persons"]) == (2, 1)


def test_on_and_off_treatment_partition_follow_up(tmp_path):
    c = Claims()
    # TPO-RA: a box on index - 20 covers [index - 20, index + 9]; one on index + 61 covers
    # [index + 61, index + 90]; bleeding on index + 5 (on), index + 30 (off), + 61 (on)
    c.person(1, death=day(400)).diagnosis(1, INDEX)
    for offset in (-20, 61):
        c.dispensing(1, day(offset), atc="B02BX05")
    for offset in (5, 30, 61):
        _bleeding(c, 1, offset)
    c.person(2).diagnosis(2, INDEX)  # never exposed: all of follow-up is off
    built = run(
        c, tmp_path,
        incidences=[incidence("on", {"during": "tpo_ra"}), incidence("off", {"outside": "tpo_ra"})],
    )  # fmt: skip
    on, off = per_person(built, "on"), per_person(built, "off")
    assert on[1] == (40, 40, 2)  # [index, index + 9] and [index + 61, index + 90]
    assert off[1] == (401 - 40, 401 - 40, 1)
    assert 2 not in on
    assert off[2][0] == (d(END) - d(INDEX)).days + 1


@st.composite
def _exposed_persons(draw):
    persons = []
    for pid in range(1, draw(st.integers(1, 4)) + 1):
        boxes = draw(st.lists(st.tuples(st.integers(-150, 900), st.integers(1, 3)), max_size=5))
        bleeds = draw(st.lists(st.integers(-100, 900), max_size=4))
        death = draw(st.one_of(st.none(), st.integers(0, 1000)))
        persons.append((pid, boxes, bleeds, death))
    return persons


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_exposed_persons())
def test_on_plus_off_person_days_are_follow_up_days(tmp_path_factory, persons):
    if claims.ENGINE["name"] == "spark":  # the same SQL: on Spark by the specs above
        pytest.skip("a property test of the SQL: DuckDB only (Spark: 15 s a build)")
    c = Claims()
    for pid, boxes, bleeds, death in persons:
        c.person(pid, death=day(death) if death is not None else None).diagnosis(pid, INDEX)
        for offset, quantity in boxes:
            c.dispensing(pid, day(offset), atc="B02BX05", quantity=float(quantity))
        for offset in bleeds:
            _bleeding(c, pid, offset)
    built = run(
        c, tmp_path_factory.mktemp("partition"),
        incidences=[incidence("on", {"during": "tpo_ra"}), incidence("off", {"outside": "tpo_ra"}),
                    incidence("all", span(0, 0, end_anchor="follow_up_end"))],
    )  # fmt: skip
    follow_up = dict(built.cohort.select("person_id", "follow_up_days").rows())
    on, off, whole = (per_person(built, a) for a in ("on", "off", "all"))
    for pid, days in follow_up.items():
        on_days, on_events = on.get(pid, (0, 0, 0))[1], on.get(pid, (0, 0, 0))[2]
        off_days, off_events = off.get(pid, (0, 0, 0))[1], off.get(pid, (0, 0, 0))[2]
        assert on_days + off_days == days
        assert on_events + off_events == whole[pid][2]


def test_survival_from_the_time_at_risk_start_with_death_competing(tmp_path):
    c = Claims()
    c.person(1, death=day(365)).diagnosis(1, INDEX)
    _bleeding(c, 1, 100)
    c.person(2, death=day(200)).diagnosis(2, INDEX)
    c.person(3).diagnosis(3, INDEX)
    _bleeding(c, 3, 0)  # the index day: before a window from index + 1
    c.person(4).diagnosis(4, INDEX)
    _bleeding(c, 4, -5)
    # rituximab course 1 on 2011-01-10, a bleeding 22 days later
    c.person(5).diagnosis(5, INDEX).dispensing(5, "2011-01-10", atc="L01FA01", setting="hospital")
    c.diagnosis(5, "2011-02-01", code="K92.2")
    after_index = {**span(1, 0, end_anchor="follow_up_end")}
    course = {"start": {"anchor": "course_start", "class": "rituximab", "number": 1},
              "end": {"anchor": "follow_up_end"}}  # fmt: skip
    built = run(
        c, tmp_path,
        survivals=[
            incidence("bleeding", after_index, origin={"anchor": "index_date"}),
            incidence("half_year", span(1, 180), origin={"anchor": "index_date"}),
            incidence("no_prior", after_index, exclude_prior_days=30),
            incidence("after_course", course),
            incidence("death", span(0, 0, end_anchor="follow_up_end"), outcome="death"),
        ],
    )  # fmt: skip
    got = times(built)
    full = (d(END) - d(INDEX)).days
    assert got[("bleeding", 1)] == (100, 1)
    assert got[("bleeding", 2)] == (200, 2)  # died first
    assert got[("bleeding", 3)] == (full, 0)
    assert got[("half_year", 1)] == (100, 1)
    assert got[("half_year", 2)] == (180, 0)  # died after the window: censored at its end
    assert got[("no_prior", 1)] == (99, 1)  # timed from the window's start, index + 1
    assert ("no_prior", 4) not in got  # the outcome 5 days before: not at risk
    assert got[("after_course", 5)] == (22, 1)
    assert {p for a, p in got if a == "after_course"} == {5}
    assert got[("death", 1)] == (365, 1) and got[("death", 3)] == (full, 0)
    table = built.kept["outcome_survival.parquet"]
    assert set(table.filter(pl.col("analysis") == "death")["method"]) == {"kaplan_meier"}
    assert set(table.filter(pl.col("analysis") == "bleeding")["method"]) == {"aalen_johansen"}
    point = table.filter(pl.col("analysis") == "bleeding", pl.col("time_days") == 182)
    # 5 persons, one bleeding on day 100: cumulative incidence 1/5 from day 100 on, so the
    # mean days free of it up to day 182 are 182 - (182 - 100) / 5
    row = point.row(0, named=True)
    assert abs(row["cumulative_incidence"] - 0.2) < 1e-12
    assert abs(row["restricted_mean_days"] - (182 - 82 / 5)) < 1e-9


def test_the_survival_block_is_outcome_survival_entries(tmp_path):
    """death, bleeding, line 2 and the next treatment after courses 1 and 2 written as
    outcome_survival entries give survival.parquet's times, person by person."""
    c = Claims()
    c.person(1, death="2011-03-01").diagnosis(1, INDEX)
    c.diagnosis(1, "2010-06-09", code="K92.2", setting="hospital_primary")
    c.person(2).diagnosis(2, INDEX).dispensing(2, "2010-05-01", atc="B02BX05")
    c.dispensing(2, "2011-01-10", atc="L01FA01", setting="hospital")
    c.dispensing(2, "2011-09-01", atc="L01FA01", setting="hospital")
    c.person(3).diagnosis(3, INDEX).diagnosis(3, INDEX, code="R04", setting="hospital_primary")
    whole = span(0, 0, end_anchor="follow_up_end")
    entries = [
        incidence("death", whole, outcome="death"),
        incidence("bleeding", span(1, 0, end_anchor="follow_up_end"),
                  origin={"anchor": "index_date"}),
        incidence("line_2", whole, outcome="new_line"),
    ] + [
        incidence(
            f"next_after_course_{n}",
            {"start": {"anchor": "course_start", "class": "rituximab", "number": n, "offset": 1},
             "end": {"anchor": "follow_up_end"}},
            outcome="next_treatment",
            origin={"anchor": "course_start", "class": "rituximab", "number": n},
        )
        for n in (1, 2)
    ]  # fmt: skip
    outcomes = {**OUTCOMES, "new_line": {"new_line": True},
                "next_treatment": {"new_line": True, "new_course": ["rituximab"]}}  # fmt: skip
    built = build(
        c, tmp_path, keep=("outcome_survival_times", "survival_times"), outcomes=outcomes,
        **{"analyses.outcome_incidence": [], "analyses.outcome_survival": entries},
    )  # fmt: skip
    block = {
        (a, p): (t, e) for a, p, t, e in built.kept["survival_times"].rows() if a != "chronic_phase"
    }
    explicit = {
        (a, p): (t, e)
        for a, p, t, e in built.kept["outcome_survival_times"].rows()
        if not a.startswith("survival.")
    }
    assert explicit == block
    assert block[("next_after_course_1", 2)] == (234, 1)
    assert block[("line_2", 2)] == (61, 1)


def test_during_and_outside_within_bounds_and_an_efficacy_group(tmp_path):
    """ms_dmt: natalizumab and S1P modulators are both 'high' efficacy: their eras merge
    where they overlap, and outside: high is the rest of [index + 1, follow_up_end]."""
    c = Claims()
    c.person(1, birth="1980-01-01").ald(1, INDEX, code="G35")
    # fingolimod 2 boxes from index + 10: [index + 10, index + 69]; natalizumab on
    # index + 60 (effect 28 days: [index + 60, index + 87]): one merged era
    c.dispensing(1, day(10), atc="L04AE01", quantity=2.0)
    c.dispensing(1, day(60), atc="L04AG03", setting="hospital")
    c.diagnosis(1, day(80), code="G35", setting="hospital_primary")  # during
    c.diagnosis(1, day(200), code="G35", setting="hospital_primary")  # outside
    bounds = span(1, 0, end_anchor="follow_up_end")
    built = build(
        c, tmp_path, definition="ms_dmt", keep=("outcome_person_time",),
        outcomes={"relapse": {"codelist": "ms", "settings": ["hospital_primary"]}},
        **{"analyses.outcome_incidence": [
            incidence("on_high", {"during": "high", **bounds}, outcome="relapse"),
            incidence("off_high", {"outside": "high", **bounds}, outcome="relapse"),
        ]},
    )  # fmt: skip
    follow_up = built.cohort["follow_up_days"][0]
    merged = 87 - 10 + 1
    assert per_person(built, "on_high")[1] == (merged, merged, 1)
    assert per_person(built, "off_high")[1] == (follow_up - 1 - merged,) * 2 + (1,)
