"""Time-to-event analyses of the cohort (analyses.survival, survival.parquet): the time and
event of each person per analysis, and the masking of the published curve points."""

import polars as pl

from pharmacoepi.analyses import survival
from pharmacoepi.definition import load_definition
from pharmacoepi.disclosure import tables
from tests.claims import Claims, build, d

INDEX = "2010-03-01"


def _times(c, tmp_path):
    built = build(c, tmp_path, keep=("survival_times",))
    rows = built.kept["survival_times"].sort("analysis", "person_id").rows()
    return {(a, p): (t, e) for a, p, t, e in rows}


def test_times_and_events_per_analysis(tmp_path):
    c = Claims()
    # 1: dies on 2011-03-01 (365 days after index), bleeding stay 2010-06-09 (100 days)
    c.person(1, death="2011-03-01").diagnosis(1, INDEX)
    c.diagnosis(1, "2010-06-09", code="K92.2", setting="hospital_primary")
    c.diagnosis(1, "2010-07-01", code="R58", setting="hospital_associated")  # not primary
    # 2: TPO-RA from 2010-05-01 (line 2, 61 days); rituximab course 2011-01-10, then a
    #    second course 2011-09-01 (234 days after the first)
    c.person(2).diagnosis(2, INDEX).dispensing(2, "2010-05-01", atc="B02BX05")
    c.dispensing(2, "2011-01-10", atc="L01FA01", setting="hospital")
    c.dispensing(2, "2011-09-01", atc="L01FA01", setting="hospital")
    # 3: a bleeding code on the index day is the diagnosis stay, not an outcome; an ITP
    #    code at index + 400 is read as chronic then; a TPO-RA era covering index + 366
    #    (person 2, from 2010-05-01 for 30 days: no) does not reach it
    c.person(3).diagnosis(3, INDEX).diagnosis(3, INDEX, code="R04", setting="hospital_primary")
    c.diagnosis(3, "2011-04-05")
    # 4: monthly IVIg (maintenance) on 2011-02-20, 03-20 and 04-18: the first date on or
    #    after index + 366 (2011-03-02) is 2011-03-20, day 384; its effect covering
    #    index + 366 does not count (dated evidence, review 2.12)
    c.person(4).diagnosis(4, INDEX)
    for day in ("2011-02-20", "2011-03-20", "2011-04-18"):
        c.dispensing(4, day, atc="J06BA02", setting="hospital")
    got = _times(c, tmp_path)
    end = (d("2014-12-31") - d(INDEX)).days
    assert got[("death", 1)] == (365, 1)
    assert got[("death", 2)] == (end, 0)
    assert got[("bleeding", 1)] == (100, 1)
    assert got[("bleeding", 3)] == (end, 0)
    assert got[("line_2", 1)] == (365, 2)  # death first: the competing event
    assert got[("line_2", 2)] == (61, 1)
    assert got[("next_after_course_1", 2)] == (234, 1)
    assert got[("next_after_course_2", 2)] == ((d("2014-12-31") - d("2011-09-01")).days, 0)
    assert ("next_after_course_1", 1) not in got
    assert got[("chronic_phase", 3)] == (400, 1)
    assert got[("chronic_phase", 4)] == (384, 1)
    assert got[("chronic_phase", 1)] == (365, 2)  # died on index + 365
    assert got[("chronic_phase", 2)][1] == 1  # rituximab course in 2011: evidence


def _context(cohort_size: int) -> tables.Context:
    return tables.Context(min_cell=11, cohort_size=cohort_size)


def test_published_points_are_masked_when_few():
    times = pl.DataFrame(
        {"analysis": ["death"] * 30, "person_id": range(30),
         "time": [10] * 3 + [400] * 27, "event": [1] * 3 + [0] * 27}
    )  # fmt: skip
    definition = load_definition("itp_faith").definition
    table = tables.survival(survival.survival_table(times, definition), _context(30))
    rows = table.select("time_days", "persons", "at_risk", "cumulative_incidence").rows()
    # 3 deaths by day 91: a point describing three persons is hidden; after day 400 fewer
    # than 11 remain at risk (none): hidden too
    assert rows[0] == (91, 30, None, None)
    assert all(r[2] is None and r[3] is None for r in rows)
    many = pl.DataFrame(
        {"analysis": ["death"] * 40, "person_id": range(40),
         "time": [10] * 15 + [400] * 25, "event": [1] * 15 + [0] * 25}
    )  # fmt: skip
    first = tables.survival(survival.survival_table(many, definition), _context(40))
    first = first.row(0, named=True)
    assert first["at_risk"] == 25
    assert abs(first["cumulative_incidence"] - 15 / 40) < 1e-12
