"""Rules 1 and 2: qualifying code, study period, washout and prior observation.

Each person is one boundary; the expected value per person is written next to it.
The default definition: study period 2009-07-01..2011-06-30, washout 730 days,
prior observation 730 days.
"""

from tests.claims import Claims, build, d

CODE = "2010-03-01"  # a code date well inside the study period


def test_settings_and_near_miss_codes(tmp_path):
    c = Claims()
    expected = {}
    for pid, setting in enumerate(
        ["hospital_primary", "hospital_related", "hospital_associated", "long_term_disease"], 1
    ):
        c.person(pid).diagnosis(pid, CODE, setting=setting)
        expected[pid] = d(CODE)
    c.person(10).diagnosis(10, CODE, setting="outpatient")  # outpatient never qualifies
    for pid, code in [(11, "D694"), (12, "D69"), (13, "D6930"), (14, "D696")]:
        c.person(pid).diagnosis(pid, CODE, code=code)  # near misses of an exact list
    built = build(c, tmp_path)
    assert built.index_dates() == expected


def test_codes_are_normalised_on_read(tmp_path):
    c = Claims()
    for pid, code in [(1, "d69.3"), (2, " D69.3 "), (3, "D 69 3"), (4, "d693")]:
        c.person(pid).diagnosis(pid, CODE, code=code)
    c.person(5).diagnosis(5, CODE).dispensing(5, "2010-01-10", atc="h02ab.07")
    built = build(c, tmp_path)
    assert built.index_dates() == {
        1: d(CODE),
        2: d(CODE),
        3: d(CODE),
        4: d(CODE),
        5: d("2010-01-10"),
    }


def test_study_period_days_are_inclusive(tmp_path):
    c = Claims()
    c.person(1).diagnosis(1, "2009-07-01")  # first day: in
    c.person(2).diagnosis(2, "2011-06-30")  # last day: in
    c.person(3).diagnosis(3, "2009-06-30")  # day before: out
    c.person(4).diagnosis(4, "2011-07-01")  # day after: out
    # first code before the period, second inside: the inside one is not incident
    c.person(5).diagnosis(5, "2009-06-30").diagnosis(5, "2009-07-01")
    built = build(c, tmp_path)
    assert built.index_dates() == {1: d("2009-07-01"), 2: d("2011-06-30")}
    assert built.attrition["persons"].to_list()[1] == 3  # 1, 2, 5 have a code in the period


def test_code_date_is_the_first_code_in_period(tmp_path):
    c = Claims()
    c.person(1).diagnosis(1, "2010-05-01").diagnosis(1, "2010-03-01").diagnosis(1, "2011-01-01")
    # same-day codes in two settings are one code date: one row, no duplicate
    c.person(2).diagnosis(2, CODE, setting="hospital_primary").diagnosis(
        2, CODE, setting="long_term_disease"
    )
    built = build(c, tmp_path)
    assert built.cohort.select("person_id", "code_date").rows() == [
        (1, d("2010-03-01")),
        (2, d(CODE)),
    ]


def test_washout_730_days_is_inclusive(tmp_path):
    c = Claims()
    c.person(1).diagnosis(1, CODE).diagnosis(1, "2008-03-01")  # code_date - 730: prevalent
    c.person(2).diagnosis(2, CODE).diagnosis(2, "2008-02-29")  # code_date - 731: incident
    c.person(3).diagnosis(3, "2009-07-01").diagnosis(3, "2009-06-30")  # code_date - 1: prevalent
    # an outpatient code in the washout does not make a case prevalent
    c.person(4).diagnosis(4, CODE).diagnosis(4, "2009-01-01", setting="outpatient")
    built = build(c, tmp_path)
    assert d(CODE).toordinal() - d("2008-03-01").toordinal() == 730
    assert built.persons() == {2, 4}


def test_prior_observation_730_days(tmp_path):
    c = Claims()
    c.person(1, covered=("2008-03-01", "2014-12-31")).diagnosis(1, CODE)  # exactly 730: in
    c.person(2, covered=("2008-03-02", "2014-12-31")).diagnosis(2, CODE)  # 729: out
    # two periods that touch (end + 1 day = start) are one spell
    c.person(3, covered=None).period(3, "2005-01-01", "2009-12-31").period(
        3, "2010-01-01", "2014-12-31"
    ).diagnosis(3, CODE)
    # a one-day gap breaks the spell inside the 730 days
    c.person(4, covered=None).period(4, "2005-01-01", "2009-12-30").period(
        4, "2010-01-01", "2014-12-31"
    ).diagnosis(4, CODE)
    # overlapping periods merge as well
    c.person(5, covered=None).period(5, "2005-01-01", "2010-01-31").period(
        5, "2009-06-01", "2014-12-31"
    ).diagnosis(5, CODE)
    # coverage must reach the code date itself; ending that day is enough
    c.person(6, covered=("2005-01-01", CODE)).diagnosis(6, CODE)
    c.person(7, covered=("2005-01-01", "2010-02-28")).diagnosis(7, CODE)
    built = build(c, tmp_path)
    assert built.persons() == {1, 3, 5, 6}
    assert dict(built.cohort.select("person_id", "observation_start").rows())[3] == d("2005-01-01")


def test_overrides_change_the_rules(tmp_path):
    c = Claims()
    c.person(1).diagnosis(1, CODE).diagnosis(1, "2009-03-01")  # 365 days before
    c.person(2).diagnosis(2, CODE, setting="outpatient")
    built = build(
        c,
        tmp_path,
        **{
            "incident.washout_days": 364,
            "case_finding.settings": ["outpatient", "hospital_primary"],
        },
    )
    assert built.persons() == {1, 2}


def test_an_ald_is_a_status_held_from_its_start_to_its_end(tmp_path):
    """Review 1.4: an ALD registration is a status over [IMB_ALD_DTD, IMB_ALD_DTF], not a
    one-day code. A person in an ALD for the disease on any day of the washout is
    prevalent, however long ago the ALD began (before the fix, persons 1 and 3 were
    counted incident: their ALD *start* lies before the washout)."""
    c = Claims()
    # an open ALD since 2004 (prevalent chronic ITP), then a stay in the period: prevalent
    c.person(1).ald(1, "2004-05-01").diagnosis(1, CODE)
    # an ALD that ended the day before the washout (code_date - 731): incident
    c.person(2).ald(2, "2004-05-01", end="2008-02-29").diagnosis(2, CODE)
    # ... that ended on the washout's first day (code_date - 730): prevalent
    c.person(3).ald(3, "2004-05-01", end="2008-03-01").diagnosis(3, CODE)
    # an ALD that began in the period is the first evidence: incident, dated at its start
    c.person(4).ald(4, "2009-10-01", end="2014-10-01").diagnosis(4, "2010-06-01")
    # an ALD that ended before the period, nothing in it: not a case
    c.person(5).ald(5, "2004-05-01", end="2007-12-31")
    # an ALD of another disease does not count
    c.person(6).ald(6, "2004-05-01", code="E11").diagnosis(6, CODE)
    built = build(c, tmp_path)
    assert d(CODE).toordinal() - d("2008-02-29").toordinal() == 731
    assert built.index_dates() == {2: d(CODE), 4: d("2009-10-01"), 6: d(CODE)}
    assert built.attrition["persons"].to_list()[1:3] == [5, 3]  # 1-4 and 6 found; 2, 4, 6 kept


def test_an_ald_ending_before_it_starts_is_set_aside(tmp_path):
    c = Claims()
    c.person(1).ald(1, "2004-05-01", end="2004-04-30").diagnosis(1, CODE)
    built = build(c, tmp_path)
    # the broken ALD row is not evidence: the stay makes an incident case
    assert built.index_dates() == {1: d(CODE)}
    rejected = built.table("rejected_rows")
    assert rejected.select("table_name", "reject_reason", "reject_column").rows() == [
        ("diagnoses", "end before start", "end_date")
    ]


def test_washout_all_looks_at_the_whole_history(tmp_path):
    c = Claims()
    c.person(1).diagnosis(1, CODE).diagnosis(1, "2001-01-01")  # 9 years before: prevalent
    c.person(2).diagnosis(2, CODE)
    built = build(c, tmp_path, **{"incident.washout_days": "all"})
    assert built.persons() == {2}
