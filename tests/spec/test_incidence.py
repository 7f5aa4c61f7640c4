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


def _sql_months(intervals: pl.DataFrame, years: range) -> pl.DataFrame:
    """The engine's person-time by calendar month (sql/analyses/person_time_months.sql)."""
    with Engine() as e:
        e.register("at_risk_intervals", intervals.to_arrow())
        e.run("analyses/person_time_months", {"years": list(years), "months": incidence.MONTHS})
        return e.frame("person_time_months").sort("year", "month")


def _reference_months(intervals: pl.DataFrame) -> pl.DataFrame:
    """Every at-risk day listed, then counted by calendar month: the naive reading."""
    days = intervals.select(
        pl.date_ranges("start_date", "end_date").alias("day"), "event_date"
    ).explode("day")
    events = intervals.filter(pl.col("event_date").is_not_null()).select(
        pl.col("event_date").dt.year().cast(pl.Int32).alias("year"),
        pl.col("event_date").dt.month().cast(pl.Int32).alias("month"),
    )
    counted = days.group_by(
        pl.col("day").dt.year().cast(pl.Int32).alias("year"),
        pl.col("day").dt.month().cast(pl.Int32).alias("month"),
    ).agg(pl.len().cast(pl.Int64).alias("days"))
    per_month = events.group_by("year", "month").agg(pl.len().cast(pl.Int64).alias("events"))
    return (
        counted.join(per_month, on=["year", "month"], how="left")
        .with_columns(pl.col("events").fill_null(0))
        .select("year", "month", "events", "days")
        .sort("year", "month")
    )


@given(
    st.lists(
        st.tuples(st.integers(0, 2500), st.integers(0, 800), st.integers(-1, 800)),
        min_size=1, max_size=25,
    )
)  # fmt: skip
def test_person_time_by_month_agrees_with_counting_every_day(rows):
    """The month stage counts at-risk persons by the days coverage changes (no row per
    person and month); it must give what listing every day gives, to the day."""
    start0 = dt.date(2005, 1, 1)
    starts = [start0 + dt.timedelta(days=s) for s, _, _ in rows]
    ends = [s + dt.timedelta(days=n) for s, (_, n, _) in zip(starts, rows, strict=True)]
    events = [
        s + dt.timedelta(days=min(e, (end - s).days)) if e >= 0 else None
        for s, end, (_, _, e) in zip(starts, ends, rows, strict=True)
    ]
    intervals = pl.DataFrame(
        {"person_id": list(range(len(rows))), "start_date": starts, "end_date": ends,
         "event_date": events},
        schema_overrides={"event_date": pl.Date},
    )  # fmt: skip
    years = range(min(starts).year, max(ends).year + 1)
    got = _sql_months(intervals, years).filter((pl.col("days") > 0) | (pl.col("events") > 0))
    assert got.select("year", "month", "events", "days").equals(_reference_months(intervals))


def test_incident_cases_count_on_their_index_date(tmp_path):
    """Review 1.12: FAITH dates a case at its drug-refined diagnosis date, which matters
    for incidence by calendar month and year. The case counts on its index date, never
    before it is countable (the period's first day), and its person-time ends there."""
    c = Claims()
    # code 2010-03-01, prednisone 2009-12-20: counted in December 2009
    c.person(1).diagnosis(1, "2010-03-01").dispensing(1, "2009-12-20")
    # code 2009-08-01, prednisone 2009-06-15 (before the period): counted on 2009-07-01
    c.person(2).diagnosis(2, "2009-08-01").dispensing(2, "2009-06-15")
    c.person(3).diagnosis(3, "2011-01-10")  # no dispensing: its code date
    built = build(c, tmp_path, keep=("at_risk_intervals",))
    events = built.kept["at_risk_intervals"].filter(pl.col("event_date").is_not_null())
    assert events.select("person_id", "end_date", "event_date").sort("person_id").rows() == [
        (1, d("2009-12-20"), d("2009-12-20")),
        (2, d("2009-07-01"), d("2009-07-01")),
        (3, d("2011-01-10"), d("2011-01-10")),
    ]
    table = build(c, tmp_path / "open", **{"privacy.min_cell_count": 1}).table("incidence")
    by = lambda m: dict(  # noqa: E731
        table.filter((pl.col("measure") == m) & (pl.col("events") > 0))
        .select("stratum", "events")
        .rows()
    )
    assert by("month") == {"12": 1, "7": 1, "1": 1}
    assert by("year") == {"2009": 2, "2011": 1}
    assert by("age_band_sex") == {"F:45": 2, "F:50": 1}  # born 1960-01-01
    by_code = {"privacy.min_cell_count": 1, "analyses.incidence.dated_at": "code_date"}
    coded = build(c, tmp_path / "coded", **by_code)
    months = coded.table("incidence").filter(
        (pl.col("measure") == "month") & (pl.col("events") > 0)
    )
    assert dict(months.select("stratum", "events").rows()) == {"3": 1, "8": 1, "1": 1}


def test_month_and_age_band_by_sex_margins_add_up(tmp_path):
    c = Claims()
    for pid, (sex, birth, code) in enumerate(
        [("F", "1950-01-01", "2009-07-10"), ("M", "1950-01-01", "2010-01-15"),
         ("M", "1990-05-05", "2010-02-01"), ("F", "1990-05-05", "2011-01-20")], 1,
    ):  # fmt: skip
        c.person(pid, sex=sex, birth=birth).diagnosis(pid, code)
    for pid in range(10, 30):
        c.person(pid, sex="F" if pid % 2 else "M")
    table = build(c, tmp_path, **{"privacy.min_cell_count": 1}).table("incidence")
    for measure in ("month", "age_band_sex"):
        part = table.filter(pl.col("measure") == measure)
        crude = table.filter(pl.col("measure") == "crude")
        assert part["events"].sum() == crude["events"][0] == 4
        assert abs(part["person_years"].sum() - crude["person_years"][0]) < 1e-9
    cross = table.filter(pl.col("measure") == "age_band_sex")
    strata = cross["stratum"].to_list()  # sex, then band in numeric order
    assert strata == sorted(strata, key=lambda s: (s[0], int(s[2:])))
    assert strata[:3] == ["F:15", "F:20", "F:45"]
    assert dict(cross.filter(pl.col("events") > 0).select("stratum", "events").rows()) == {
        "F:55": 1, "M:60": 1, "M:15": 1, "F:20": 1,
    }  # fmt: skip
