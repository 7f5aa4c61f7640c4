"""Incidence person-time (docs/methods.md): the internal denominator follows the case
rules, one boundary per person. itp_faith: study period 2009-07-01..2011-06-30 (730 days),
washout 730 days, prior observation 730 days."""

import datetime as dt

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from pharmacoepi.analyses import incidence
from pharmacoepi.analyses.lexis import lexis_split
from pharmacoepi.engines.duckdb import DuckDBEngine as Engine
from tests.claims import Claims, build, d

FULL = 730  # days in the study period


def _days(intervals: pl.DataFrame) -> dict[int, tuple[int, int]]:
    """person -> (at-risk days, events), from the at-risk intervals of the build."""
    totals = intervals.group_by("person_id").agg(
        ((pl.col("end_date") - pl.col("start_date")).dt.total_days() + 1).sum().alias("days"),
        pl.col("event_date").is_not_null().sum().alias("events"),
    )
    return {pid: (days, events) for pid, days, events in totals.rows()}


def _sql_cells(intervals: pl.DataFrame, years: range) -> pl.DataFrame:
    """The engine's Lexis split (sql/analyses/person_time_cells.sql) of these intervals."""
    with Engine() as e:
        e.register("at_risk_intervals", intervals.to_arrow())
        e.run("analyses/person_time_cells", {"years": list(years), "band_years": 5})
        return incidence.cells_of(e.frame("person_time_cells"))


def test_at_risk_days_follow_the_case_rules(tmp_path):
    c = Claims()
    c.person(1)  # covered throughout, no code: the whole period
    c.person(2).diagnosis(2, "2008-12-01")  # a code before: at risk from 2010-12-02
    c.person(3).diagnosis(3, "2010-03-01")  # incident case: 2009-07-01..2010-03-01, 1 event
    c.person(4, death="2010-06-30")  # alive to 2010-06-30
    # prevalent: the first code in the period (2009-09-01) follows one 20 months earlier
    c.person(5).diagnosis(5, "2008-01-01").diagnosis(5, "2009-09-01")
    c.person(6, covered=("2008-03-01", "2014-12-31"))  # 730 days of observation by 2010-03-01
    c.person(7, covered=("2000-01-01", "2010-01-31"))  # coverage ends 2010-01-31
    # the build's at-risk intervals (person-level: never an output), kept for the test
    built = build(c, tmp_path, keep=("at_risk_intervals",))
    span = lambda a, b: (d(b) - d(a)).days + 1  # noqa: E731
    assert _days(built.kept["at_risk_intervals"]) == {
        1: (FULL, 0),
        2: (span("2010-12-02", "2011-06-30"), 0),
        3: (span("2009-07-01", "2010-03-01"), 1),
        4: (span("2009-07-01", "2010-06-30"), 0),
        6: (span("2010-03-01", "2011-06-30"), 0),
        7: (span("2009-07-01", "2010-01-31"), 0),
    }
    rates = built.table("incidence")
    crude = rates.filter(pl.col("measure") == "crude").row(0, named=True)
    assert crude["events"] is None  # one case: masked, with its rate
    assert crude["rate"] is None and crude["person_years"] > 0


def test_lexis_split_across_a_birthday_and_new_year():
    intervals = pl.DataFrame(
        {"person_id": [1], "sex": ["F"], "birth_date": [dt.date(1960, 7, 15)],
         "start_date": [dt.date(2009, 7, 1)], "end_date": [dt.date(2011, 6, 30)],
         "event_date": [dt.date(2011, 6, 30)]}
    )  # fmt: skip
    got = lexis_split(intervals).select("year", "age_band", "start_date", "end_date", "days",
                                        "events").rows()  # fmt: skip
    assert got == [
        (2009, 45, d("2009-07-01"), d("2009-12-31"), 184, 0),
        (2010, 45, d("2010-01-01"), d("2010-07-14"), 195, 0),  # 50th birthday on 07-15
        (2010, 50, d("2010-07-15"), d("2010-12-31"), 170, 0),
        (2011, 50, d("2011-01-01"), d("2011-06-30"), 181, 1),
    ]
    # the engine's split gives these segments' cells
    assert _sql_cells(intervals, range(2009, 2012)).select(
        "year", "age_band", "events", "person_years"
    ).rows() == [
        (2009, 45, 0, 184 / 365.25),
        (2010, 45, 0, 195 / 365.25),
        (2010, 50, 0, 170 / 365.25),
        (2011, 50, 1, 181 / 365.25),
    ]


def test_a_29_february_birthday_is_reached_on_1_march():
    intervals = pl.DataFrame(
        {"person_id": [1], "sex": ["M"], "birth_date": [dt.date(1960, 2, 29)],
         "start_date": [dt.date(2010, 1, 1)], "end_date": [dt.date(2010, 12, 31)],
         "event_date": [None]}, schema_overrides={"event_date": pl.Date},
    )  # fmt: skip
    got = lexis_split(intervals).select("age_band", "start_date", "end_date").rows()
    assert got == [(45, d("2010-01-01"), d("2010-02-28")), (50, d("2010-03-01"), d("2010-12-31"))]
    cells = _sql_cells(intervals, range(2010, 2011)).select("age_band", "person_years").rows()
    assert cells == [(45, 59 / 365.25), (50, 306 / 365.25)]  # 1 Jan..28 Feb; 1 Mar..31 Dec


@given(
    st.lists(
        st.tuples(st.dates(dt.date(1900, 1, 1), dt.date(2010, 1, 1)), st.integers(0, 2000),
                  st.integers(0, 3000)),
        min_size=1, max_size=20,
    )
)  # fmt: skip
def test_split_person_time_sums_to_unsplit_person_time(rows):
    start0 = dt.date(2005, 1, 1)
    frame = pl.DataFrame(
        {
            "person_id": list(range(len(rows))),
            "sex": ["F"] * len(rows),
            "birth_date": [b for b, _, _ in rows],
            "start_date": [max(start0 + dt.timedelta(days=s), b) for b, s, _ in rows],
            "event_date": [None] * len(rows),
        },
        schema_overrides={"event_date": pl.Date},
    ).with_columns(
        (pl.col("start_date") + pl.duration(days=pl.Series([n for _, _, n in rows])))
        .alias("end_date")
    )  # fmt: skip
    segments = lexis_split(frame)
    unsplit = ((frame["end_date"] - frame["start_date"]).dt.total_days() + 1).sum()
    assert segments["days"].sum() == unsplit
    assert (segments["start_date"].dt.year() == segments["end_date"].dt.year()).all()
    assert (segments["start_date"] <= segments["end_date"]).all()


def test_external_denominator_is_population_times_the_year_fraction(tmp_path):
    c = Claims()
    c.person(1, birth="1970-05-01").diagnosis(1, "2010-03-01")  # a case: 2010, F, 35-39
    data = c.write(tmp_path / "data")
    rows = ["year,sex,age_band,population"]
    rows += [f"{y},{s},35,1000" for y in (2009, 2010, 2011) for s in "FM"]
    (data / "census.csv").write_text("\n".join(rows) + "\n")
    built = build(c, tmp_path, **{"analyses.incidence.population_file": "census.csv"})
    table = built.table("incidence")
    assert set(table["denominator"]) == {"external"}
    # 2009: 1 Jul..31 Dec = 184/365 of the year; 2010 whole; 2011: 181/365
    by_year = dict(
        table.filter(pl.col("measure") == "year").select("stratum", "person_years").rows()
    )
    assert abs(by_year["2009"] - 2000 * 184 / 365) < 1e-9
    assert abs(by_year["2010"] - 2000) < 1e-9
    assert abs(by_year["2011"] - 2000 * 181 / 365) < 1e-9


def test_external_denominator_without_a_year_is_a_data_error(tmp_path):
    from tests.cli import assert_user_error, run_cli

    data = Claims().person(1).diagnosis(1, "2010-03-01").write(tmp_path / "data")
    (data / "census.csv").write_text("year,sex,age_band,population\n2010,F,45,10\n")
    result = run_cli("build-cohort", "itp_faith", "--data", data, "--out", tmp_path / "out",
                     "--set", "analyses.incidence.population_file=census.csv")  # fmt: skip
    assert_user_error(result, "no rows for year(s) [2009, 2011]", "census.csv")


_birth = st.one_of(
    st.dates(dt.date(1900, 1, 1), dt.date(2012, 12, 31)),
    st.sampled_from([dt.date(1960, 2, 29), dt.date(1964, 2, 29), dt.date(2000, 2, 29)]),
)


@given(
    st.lists(
        st.tuples(_birth, st.sampled_from("FM"), st.integers(0, 2500), st.integers(0, 2500),
                  st.integers(-1, 2500)),
        min_size=1, max_size=25,
    )
)  # fmt: skip
def test_the_engine_split_gives_the_reference_split_cells(rows):
    """Two implementations of the Lexis split must agree cell by cell, to the day: the
    Polars reference (lexis_split, then cells_of) and the engine's SQL stage."""
    start0 = dt.date(2005, 1, 1)
    starts = [max(start0 + dt.timedelta(days=s), b) for b, _, s, _, _ in rows]
    ends = [s + dt.timedelta(days=n) for s, (_, _, _, n, _) in zip(starts, rows, strict=True)]
    events = [
        s + dt.timedelta(days=min(e, (end - s).days)) if e >= 0 else None
        for s, end, (_, _, _, _, e) in zip(starts, ends, rows, strict=True)
    ]
    intervals = pl.DataFrame(
        {
            "person_id": list(range(len(rows))),
            "sex": [sex for _, sex, _, _, _ in rows],
            "birth_date": [b for b, _, _, _, _ in rows],
            "start_date": starts,
            "end_date": ends,
            "event_date": events,
        },
        schema_overrides={"event_date": pl.Date},
    )
    years = range(min(starts).year, max(ends).year + 1)
    assert _sql_cells(intervals, years).equals(incidence.cells_of(lexis_split(intervals)))
