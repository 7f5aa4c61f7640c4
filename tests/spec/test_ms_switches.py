"""Multiple sclerosis (cohorts/ms_dmt.yaml): case finding by G35 or repeated DMT
dispensings, and DMT switches (docs/treatments.md).

Persons are covered 2000-2014 and followed to 2014-12-31 unless a death says otherwise.
Monthly DMT boxes cover 30 days each (grace 30); natalizumab infusions 28 days.
"""

import datetime as dt

from tests.claims import Claims, build, d

INDEX = "2011-03-01"
IFN, GLAT, DMF, FINGO, NTZ = "L03AB07", "L03AX13", "N07XX09", "L04AE01", "L04AA23"


def ms_case(c: Claims, pid: int, **person) -> Claims:
    return c.person(pid, birth="1980-01-01", **person).diagnosis(
        pid, INDEX, code="G35", setting="long_term_disease"
    )


def monthly(c: Claims, pid: int, atc: str, first: str, boxes: int, every: int = 30) -> Claims:
    start = d(first)
    for k in range(boxes):
        setting = "hospital" if atc == NTZ else "community"
        c.dispensing(pid, (start + dt.timedelta(days=every * k)).isoformat(), atc=atc,
                     setting=setting)  # fmt: skip
    return c


def transitions(built, pid):
    return built.rows("switches", "from_class", "to_class", "transition", person=pid)


def test_case_finding_by_dispensings(tmp_path):
    c = Claims()
    # no G35 code: two DMT dispensing days find the case, dated at the first of them
    c.person(1, birth="1980-01-01").dispensing(1, "2011-01-10", atc=IFN)
    c.dispensing(1, "2012-01-10", atc="L04AK02")  # teriflunomide, another DMT: counts too
    # any time apart (the published algorithm sets no window): 366 days is a case too
    c.person(2, birth="1980-01-01").dispensing(2, "2011-01-10", atc=IFN)
    c.dispensing(2, "2012-01-11", atc=IFN)
    # two boxes the same day are one dispensing day: no case
    c.person(3, birth="1980-01-01").dispensing(3, "2011-01-10", atc=IFN, quantity=1)
    c.dispensing(3, "2011-01-10", atc=IFN, quantity=1)
    # rituximab is a DMT class but does not find cases (it treats other diseases)
    c.person(4, birth="1980-01-01").dispensing(4, "2011-01-10", atc="L01FA01", setting="hospital")
    c.dispensing(4, "2011-01-24", atc="L01FA01", setting="hospital")
    # a G35 code in an outpatient setting does not qualify
    c.person(5, birth="1980-01-01").diagnosis(5, INDEX, code="G35", setting="outpatient")
    # prevalent: DMT pairs before the period are MS evidence in the washout
    c.person(6, birth="1980-01-01")
    monthly(c, 6, IFN, "2009-06-01", 30)
    built = build(c, tmp_path, "ms_dmt")
    assert built.index_dates() == {1: d("2011-01-10"), 2: d("2011-01-10")}
    # the index date is the day of a dispensing, not of a code
    assert dict(built.cohort.select("person_id", "index_source").rows()) == {
        1: "dispensing",
        2: "dispensing",
    }


def test_published_snds_ms_algorithm(tmp_path):
    """Review 3.7 (Guinebretiere et al., Neurology 2025, public SAS code): an MS ALD, or
    for others two pieces of evidence on distinct days among G35 stays (DP, DR, DAS) and
    MS drugs; persons with a neuromyelitis optica (G36) stay left out; dated at the
    earliest evidence over ALD, stays and drugs; the whole history as washout. Before:
    one G35 stay was a case, no G36 exclusion, the date was the finding's, 2 years of
    washout."""
    c = Claims()
    person = lambda pid: c.person(pid, birth="1980-01-01")  # noqa: E731
    person(7).diagnosis(7, INDEX, code="G35", setting="hospital_associated")  # one stay: no
    person(8).diagnosis(8, "2010-06-01", code="G35").diagnosis(8, "2012-03-01", code="G35")
    # an interferon box, then an ALD: found by the ALD, dated at the box
    person(9).dispensing(9, "2010-03-01", atc=IFN).ald(9, "2011-05-01", code="G35")
    # a neuromyelitis optica stay (G36.0) at any date: never an MS case
    person(10).ald(10, INDEX, code="G35").diagnosis(10, "2013-05-01", code="G36.0")
    # an ALD 25 open since 1998, a stay in the period: prevalent
    person(11).ald(11, "1998-04-01", code="G35").diagnosis(11, INDEX, code="G35")
    # a stay in 2004, then two in the period: prevalent (no MS evidence at any earlier date)
    person(12).diagnosis(12, "2004-02-01", code="G35")
    c.diagnosis(12, INDEX, code="G35").diagnosis(12, "2012-01-01", code="G35")
    # fampridine (N07XX07) is MS evidence, with a stay
    person(13).dispensing(13, "2011-02-01", atc="N07XX07").diagnosis(13, INDEX, code="G35")
    # a stay and fampridine on one day, a stay later: the first day is a code's day
    person(14).diagnosis(14, "2010-09-01", code="G35").dispensing(14, "2010-09-01", atc="N07XX07")
    c.diagnosis(14, "2011-09-01", code="G35")
    built = build(c, tmp_path, "ms_dmt")
    assert built.index_dates() == {
        8: d("2010-06-01"),
        9: d("2010-03-01"),
        13: d("2011-02-01"),
        14: d("2010-09-01"),
    }
    sources = dict(built.cohort.select("person_id", "index_source").rows())
    assert sources == {8: "code", 9: "dispensing", 13: "dispensing", 14: "code"}
    specific = build(c, tmp_path / "specific", "ms_dmt_specific")
    # the ALD finds the case; stays and drugs only date it
    assert specific.index_dates() == {9: d("2010-03-01")}


def test_three_tiers_make_an_induction_an_escalation(tmp_path):
    """Review 3.4: with the slides' three tiers, natalizumab (high) -> alemtuzumab
    (induction) is an escalation; with two groups it was lateral."""
    c = Claims()
    monthly(ms_case(c, 1), 1, NTZ, INDEX, 6, every=28)
    for day in ("2011-08-20", "2011-08-21", "2011-08-22", "2011-08-23", "2011-08-24"):
        c.dispensing(1, day, atc="L04AA34", setting="hospital")
    two = build(c, tmp_path, "ms_dmt")
    three = build(c, tmp_path / "three", "ms_dmt_three_tier")
    assert transitions(two, 1)[0] == ("natalizumab", "alemtuzumab", "lateral")
    assert transitions(three, 1)[0] == ("natalizumab", "alemtuzumab", "escalation")


def test_switch_types(tmp_path):
    c = Claims()
    # interferon (platform) 6 boxes: era 03-01..08-27; natalizumab 60 days later: escalation
    monthly(ms_case(c, 1), 1, IFN, INDEX, 6)
    monthly(c, 1, NTZ, "2011-10-26", 12, every=28)
    # interferon -> glatiramer: lateral (platform to platform)
    monthly(ms_case(c, 2), 2, IFN, INDEX, 6)
    monthly(c, 2, GLAT, "2011-09-01", 6)
    # natalizumab -> dimethyl fumarate: de-escalation
    monthly(ms_case(c, 3), 3, NTZ, INDEX, 12, every=28)
    monthly(c, 3, DMF, "2012-02-01", 6)
    built = build(c, tmp_path, "ms_dmt")
    assert transitions(built, 1) == [
        ("interferon_beta", "natalizumab", "escalation"),
        ("natalizumab", None, "discontinuation"),
    ]
    assert transitions(built, 2) == [
        ("interferon_beta", "glatiramer", "lateral"),
        ("glatiramer", None, "discontinuation"),
    ]
    assert transitions(built, 3) == [
        ("natalizumab", "fumarates", "de-escalation"),
        ("fumarates", None, "discontinuation"),
    ]
    # lines follow the switches
    assert built.rows("lines", "regimen", person=1) == [("interferon_beta",), ("natalizumab",)]


def test_switch_gap_boundary_discontinuation_and_ongoing(tmp_path):
    c = Claims()
    # one box 03-01..03-30; fingolimod on 03-30 + 90 = 06-28: a switch
    ms_case(c, 1).dispensing(1, INDEX, atc=IFN).dispensing(1, "2011-06-28", atc=FINGO)
    # fingolimod on 06-29, 91 days after the end: a discontinuation, then a new start
    ms_case(c, 2).dispensing(2, INDEX, atc=IFN).dispensing(2, "2011-06-29", atc=FINGO)
    # the same class again within the gap (a new era after 31..90 uncovered days)
    ms_case(c, 3).dispensing(3, INDEX, atc=IFN).dispensing(3, "2011-05-30", atc=IFN)
    # the era ends 2014-10-02 and follow-up on 2014-12-31 (90 days later): not decidable
    ms_case(c, 4).dispensing(4, "2014-09-03", atc=IFN)
    # 91 days of follow-up after the end: decidable, a discontinuation
    ms_case(c, 5).dispensing(5, "2014-09-02", atc=IFN)
    built = build(c, tmp_path, "ms_dmt")
    assert transitions(built, 1) == [
        ("interferon_beta", "s1p_modulators", "escalation"),
        ("s1p_modulators", None, "discontinuation"),
    ]
    assert transitions(built, 2) == [
        ("interferon_beta", None, "discontinuation"),
        ("s1p_modulators", None, "discontinuation"),
    ]
    assert transitions(built, 3) == [
        ("interferon_beta", None, "continuation"),
        ("interferon_beta", None, "discontinuation"),
    ]
    assert transitions(built, 4)[-1] == ("interferon_beta", None, "ongoing")
    assert transitions(built, 5)[-1] == ("interferon_beta", None, "discontinuation")


def test_switch_counts_by_year_are_masked(tmp_path):
    c = Claims()
    for pid in range(1, 13):  # 12 escalations in 2011: shown; 12 discontinuations in 2012
        monthly(ms_case(c, pid), pid, IFN, INDEX, 3)
        monthly(c, pid, NTZ, "2011-06-01", 6, every=28)
    monthly(ms_case(c, 20), 20, GLAT, INDEX, 3)  # one lateral switch: masked
    monthly(c, 20, DMF, "2011-06-01", 3)
    built = build(c, tmp_path, "ms_dmt")
    table = built.table("switch_types_by_year").select("year", "transition", "episodes").rows()
    assert (2011, "escalation", 12) in table
    assert (2011, "lateral", None) in table


def test_resumption_first_and_a_drug_taken_alongside(tmp_path):
    c = Claims()
    # interferon 03-01..03-30, again 05-15..06-13 (a new era), fingolimod from 06-20: the
    # first era continues, the second switches
    ms_case(c, 1).dispensing(1, INDEX, atc=IFN).dispensing(1, "2011-05-15", atc=IFN)
    monthly(c, 1, FINGO, "2011-06-20", 12)
    # interferon and fingolimod started together; interferon stops, fingolimod goes on:
    # not a discontinuation, a switch to the drug that continues
    ms_case(c, 2).dispensing(2, INDEX, atc=IFN)
    monthly(c, 2, FINGO, INDEX, 12)
    # a natalizumab era nested inside the fingolimod era is not where fingolimod goes
    monthly(ms_case(c, 3), 3, FINGO, INDEX, 12)
    monthly(c, 3, NTZ, "2011-06-01", 2, every=28)
    built = build(c, tmp_path, "ms_dmt")
    assert transitions(built, 1) == [
        ("interferon_beta", None, "continuation"),
        ("interferon_beta", "s1p_modulators", "escalation"),
        ("s1p_modulators", None, "discontinuation"),
    ]
    assert transitions(built, 2) == [
        ("interferon_beta", "s1p_modulators", "escalation"),
        ("s1p_modulators", None, "discontinuation"),
    ]
    assert transitions(built, 3) == [
        ("s1p_modulators", None, "discontinuation"),
        ("natalizumab", "s1p_modulators", "lateral"),
    ]


CLADRIBINE = "L04AA40"


def cladribine_course(c: Claims, pid: int, first: str) -> Claims:
    start = d(first)  # tablets in weeks 1 and 5
    for offset in (0, 28):
        c.dispensing(pid, (start + dt.timedelta(days=offset)).isoformat(), atc=CLADRIBINE)
    return c


def test_a_completed_induction_regimen_is_not_a_discontinuation(tmp_path):
    """Review 3.6: cladribine is two courses a year apart and nothing in years 3 and 4;
    the year-2 course may be delayed up to 6 months (Mavenclad SmPC 4.2). Finishing it
    is `induction_completed`; before, a discontinuation, and a late year-2 course broke
    the regimen in two eras."""
    c = Claims()
    # 1: courses on 2011-03-01 and 2012-03-01 (era to 2013-02-28), nothing after
    cladribine_course(cladribine_course(ms_case(c, 1), 1, "2011-03-01"), 1, "2012-03-01")
    # 2: the first course covers 2011-03-01..2012-02-28; the year-2 course after 183
    #    uncovered days (2012-08-30): one era, completed
    cladribine_course(cladribine_course(ms_case(c, 2), 2, "2011-03-01"), 2, "2012-08-30")
    # 3: after 184 uncovered days: two eras of one course each; the first, followed by
    #    the same class more than 90 days later, is a discontinuation
    cladribine_course(cladribine_course(ms_case(c, 3), 3, "2011-03-01"), 3, "2012-08-31")
    # 4: one course, nothing after: a discontinuation once 183 days have passed
    cladribine_course(ms_case(c, 4), 4, "2011-03-01")
    # 5: a full regimen, then interferon within 90 days: a switch (de-escalation)
    cladribine_course(cladribine_course(ms_case(c, 5), 5, "2011-03-01"), 5, "2012-03-01")
    monthly(c, 5, IFN, "2013-04-01", 6)
    built = build(c, tmp_path, "ms_dmt")
    assert transitions(built, 1) == [("cladribine", None, "induction_completed")]
    assert transitions(built, 2) == [("cladribine", None, "induction_completed")]
    assert transitions(built, 3) == [
        ("cladribine", None, "discontinuation"),
        ("cladribine", None, "discontinuation"),
    ]
    assert transitions(built, 4) == [("cladribine", None, "discontinuation")]
    assert transitions(built, 5) == [
        ("cladribine", "interferon_beta", "de-escalation"),
        ("interferon_beta", None, "discontinuation"),
    ]
    eras = built.rows("exposures", "start_date", "end_date", person=2)
    assert eras == [(d("2011-03-01"), d("2013-08-29"))]


def test_an_unfinished_induction_is_ongoing_while_its_next_course_may_come(tmp_path):
    c = Claims()
    # one course on 2013-06-01 (covered to 2014-05-31); follow-up ends 2014-12-31, 214
    # days later: past the 183 days a year-2 course may wait, a discontinuation
    cladribine_course(ms_case(c, 1), 1, "2013-06-01")
    # one course on 2013-09-01 (covered to 2014-08-31): 122 days left, past the 90-day
    # switch gap but under 183: the year-2 course may still come, ongoing
    cladribine_course(ms_case(c, 2), 2, "2013-09-01")
    built = build(c, tmp_path, "ms_dmt")
    assert transitions(built, 1) == [("cladribine", None, "discontinuation")]
    assert transitions(built, 2) == [("cladribine", None, "ongoing")]
