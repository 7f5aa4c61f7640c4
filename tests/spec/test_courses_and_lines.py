"""Courses, treatment lines and disease phases (docs/treatments.md).

Every person has a qualifying D693 code on 2010-03-01 = index_date and is followed to
2014-12-31 unless a death says otherwise. Classes of itp_faith.yaml: rituximab is a
course class (gap 60, effect 182), TPO-RA and immunosuppressants dispensing classes,
corticosteroids and IVIg rescue classes, splenectomy a point class.
"""

from tests.claims import Claims, build, d

INDEX = "2010-03-01"
TPO, RTX, AZA, PRED, IVIG = "B02BX05", "L01FA01", "L04AX01", "H02AB07", "J06BA02"


def case(c: Claims, pid: int, **person) -> Claims:
    return c.person(pid, **person).diagnosis(pid, INDEX)


def infusions(c: Claims, pid: int, *dates: str, atc: str = RTX) -> Claims:
    for date in dates:
        c.dispensing(pid, date, atc=atc, setting="hospital")
    return c


def lines(built, pid):
    return built.rows("lines", "line_number", "regimen", "start_date", "end_date", person=pid)


def test_course_gap_at_the_limit_starts_a_new_course(tmp_path):
    c = Claims()
    # four weekly infusions, then one exactly 60 days after the last: a second course
    infusions(case(c, 1), 1, "2010-04-01", "2010-04-08", "2010-04-15", "2010-04-22", "2010-06-21")
    # 59 days after the last: the same course (old and new ATC codes are one class)
    infusions(case(c, 2), 2, "2010-04-01", "2010-04-22")
    infusions(c, 2, "2010-06-20", atc="L01XC02")
    built = build(c, tmp_path)
    columns = ("course_number", "start_date", "end_date", "last_administration_date",
               "n_administrations")  # fmt: skip
    assert built.rows("courses", *columns, person=1) == [
        (1, d("2010-04-01"), d("2010-09-29"), d("2010-04-22"), 4),
        (2, d("2010-06-21"), d("2010-12-19"), d("2010-06-21"), 1),
    ]
    assert built.rows("courses", *columns, person=2) == [
        (1, d("2010-04-01"), d("2010-09-29"), d("2010-06-20"), 3)
    ]
    # a course's effect window is an exposure; overlapping course windows form one era
    assert built.rows("exposures", "class", "start_date", "end_date", person=1) == [
        ("rituximab", d("2010-04-01"), d("2010-12-19"))
    ]


def test_what_follows_a_course(tmp_path):
    c = Claims()
    # course 1, course 2 eight months later, then TPO-RA: a new line after course 2
    infusions(case(c, 1), 1, "2010-04-01", "2010-04-15", "2010-12-01", "2010-12-15")
    c.dispensing(1, "2011-06-01", atc=TPO)
    # course 1 then TPO-RA: the next treatment is a line
    infusions(case(c, 2), 2, "2010-04-01")
    c.dispensing(2, "2010-09-01", atc=TPO)
    # course 1 and nothing after: censored at follow-up end
    infusions(case(c, 3, death="2011-01-31"), 3, "2010-04-01")
    built = build(c, tmp_path)
    columns = ("course_number", "next_course_date", "next_line_date", "next_treatment",
               "days_to_next_treatment", "days_to_follow_up_end")  # fmt: skip
    assert built.rows("courses", *columns, person=1) == [
        (1, d("2010-12-01"), d("2011-06-01"), "course", 244, 1735),
        (2, None, d("2011-06-01"), "line", 182, 1491),
    ]
    assert built.rows("courses", *columns, person=2) == [
        (1, None, d("2010-09-01"), "line", 153, 1735)
    ]
    assert built.rows("courses", *columns, person=3) == [(1, None, None, None, None, 305)]


def test_combination_window_and_line_partition(tmp_path):
    c = Claims()
    # TPO-RA from 04-01, rituximab 30 days later: one line, 'rituximab+tpo_ra'
    case(c, 1).dispensing(1, "2010-04-01", atc=TPO)
    infusions(c, 1, "2010-05-01")
    # rituximab 31 days later: its own line
    case(c, 2).dispensing(2, "2010-04-01", atc=TPO)
    infusions(c, 2, "2010-05-02")
    built = build(c, tmp_path)
    assert lines(built, 1) == [
        (1, "none", d(INDEX), d("2010-03-31")),
        (2, "rituximab+tpo_ra", d("2010-04-01"), d("2014-12-31")),
    ]
    assert lines(built, 2) == [
        (1, "none", d(INDEX), d("2010-03-31")),
        (2, "tpo_ra", d("2010-04-01"), d("2010-05-01")),
        (3, "rituximab", d("2010-05-02"), d("2014-12-31")),
    ]


def test_line_one_holds_what_starts_within_the_window_of_index(tmp_path):
    c = Claims()
    case(c, 1).dispensing(1, "2010-03-31", atc=TPO)  # index + 30: joins line 1
    case(c, 2).dispensing(2, "2010-04-01", atc=TPO)  # index + 31: opens line 2
    # an era started in the lookback and still running on index_date belongs to line 1
    case(c, 3).dispensing(3, "2010-02-15", atc=TPO)
    built = build(c, tmp_path)
    assert lines(built, 1) == [(1, "tpo_ra", d(INDEX), d("2014-12-31"))]
    assert lines(built, 2) == [
        (1, "none", d(INDEX), d("2010-03-31")),
        (2, "tpo_ra", d("2010-04-01"), d("2014-12-31")),
    ]
    assert lines(built, 3) == [(1, "tpo_ra", d(INDEX), d("2014-12-31"))]


def test_a_class_in_the_regimen_continues_the_line(tmp_path):
    c = Claims()
    # two TPO-RA eras (a 4-month gap) and a second rituximab course: still one line each
    case(c, 1).dispensing(1, "2010-04-01", atc=TPO).dispensing(1, "2010-09-01", atc=TPO)
    infusions(c, 1, "2011-03-01")
    infusions(c, 1, "2011-10-01")
    built = build(c, tmp_path)
    assert lines(built, 1) == [
        (1, "none", d(INDEX), d("2010-03-31")),
        (2, "tpo_ra", d("2010-04-01"), d("2011-02-28")),
        (3, "rituximab", d("2011-03-01"), d("2014-12-31")),
    ]
    # back to TPO-RA after rituximab: TPO-RA is not in line 3's regimen, so line 4
    c.dispensing(1, "2012-01-01", atc=TPO)
    again = build(c, tmp_path / "again")
    assert lines(again, 1)[-2:] == [
        (3, "rituximab", d("2011-03-01"), d("2011-12-31")),
        (4, "tpo_ra", d("2012-01-01"), d("2014-12-31")),
    ]


def test_rescue_classes_never_open_a_line(tmp_path):
    c = Claims()
    case(c, 1).dispensing(1, "2010-06-01", atc=PRED, quantity=3)
    c.dispensing(1, "2011-01-01", atc=IVIG, setting="hospital")
    c.procedure(1, "2012-02-02", code="FFFA001")  # splenectomy: a line of its own
    built = build(c, tmp_path)
    assert lines(built, 1) == [
        (1, "none", d(INDEX), d("2012-02-01")),
        (2, "splenectomy", d("2012-02-02"), d("2014-12-31")),
    ]
    assert built.rows("exposures", "class", person=1) == [
        ("corticosteroids",),
        ("ivig",),
        ("splenectomy",),
    ]


def test_lines_end_at_follow_up_end(tmp_path):
    c = Claims()
    case(c, 1, death="2011-05-05").dispensing(1, "2010-04-01", atc=AZA)
    c.dispensing(1, "2011-06-01", atc=TPO)  # after death: rejected, never a line
    built = build(c, tmp_path)
    assert lines(built, 1) == [
        (1, "none", d(INDEX), d("2010-03-31")),
        (2, "immunosuppressants", d("2010-04-01"), d("2011-05-05")),
    ]


def phases(built):
    return dict(built.cohort.select("person_id", "phase").rows())


def test_phase_boundaries(tmp_path):
    c = Claims()
    case(c, 1).diagnosis(1, "2010-05-30")  # index + 90: still newly diagnosed
    case(c, 2).diagnosis(2, "2010-05-31")  # index + 91: persistent
    case(c, 3).diagnosis(3, "2011-03-01")  # index + 365: persistent
    case(c, 4).diagnosis(4, "2011-03-02")  # index + 366: chronic
    case(c, 5).dispensing(5, "2010-05-31", atc=TPO)  # a TPO-RA box on index + 91: persistent
    # corticosteroids are not evidence in itp_faith.yaml (phase.evidence_classes)
    case(c, 7).dispensing(7, "2011-06-01", atc=PRED)
    # follow-up ends on index + 365 with no chronic evidence: undecided
    case(c, 8, death="2011-03-01").diagnosis(8, "2010-06-01")
    # follow-up reaches index + 366: decided
    case(c, 9, death="2011-03-02").diagnosis(9, "2010-06-01")
    case(c, 10).procedure(10, "2012-01-01")  # splenectomy after a year: chronic
    built = build(c, tmp_path)
    assert phases(built) == {
        1: "newly_diagnosed",
        2: "persistent",
        3: "persistent",
        4: "chronic",
        5: "persistent",
        7: "newly_diagnosed",
        8: "insufficient_follow_up",
        9: "persistent",
        10: "chronic",
    }
    everything = build(c, tmp_path / "all", **{"phase.evidence_classes": None})
    assert phases(everything)[7] == "chronic"


def test_phase_evidence_is_the_date_of_care_not_its_exposure(tmp_path):
    """Review 2.12: phases are decided from care and dispensing dates. Read from exposure
    eras, a TPO-RA box on day 65 (30 days) or a rituximab course in month 11 (182 days)
    reached into the next phase's window and called the case persistent or chronic."""
    c = Claims()
    case(c, 1).dispensing(1, "2010-05-05", atc=TPO)  # index + 65, covers to + 94: newly dx
    case(c, 2).dispensing(2, "2010-05-30", atc=TPO)  # index + 90: newly diagnosed
    # a rituximab course from index + 320 (weekly x4, to + 341): persistent, not chronic
    infusions(case(c, 3), 3, "2011-01-15", "2011-01-22", "2011-01-29", "2011-02-05")
    case(c, 4).procedure(4, "2010-09-01")  # splenectomy in month 6: persistent, not chronic
    built = build(c, tmp_path)
    assert phases(built) == {
        1: "newly_diagnosed",
        2: "newly_diagnosed",
        3: "persistent",
        4: "persistent",
    }


def test_ivig_is_maintenance_with_three_monthly_administrations(tmp_path):
    """Review 2.9: FAITH counted IVIg as a corticoid-sparing (maintenance) treatment only
    with 3 monthly dispensings; one administration is rescue and no evidence of
    persistence. A run: 3 dates, each at most 45 days after the previous."""
    c = Claims()
    case(c, 1).dispensing(1, "2010-06-01", atc=IVIG, setting="hospital")  # one: rescue
    for day in ("2010-06-01", "2010-07-01", "2010-08-15"):  # 30 then 45 days apart: a run
        c.dispensing(2, day, atc=IVIG, setting="hospital")
    case(c, 2)
    for day in ("2010-06-01", "2010-07-01", "2010-08-16"):  # 46 days: two runs, too short
        c.dispensing(3, day, atc=IVIG, setting="hospital")
    case(c, 3)
    # anti-D is in the IVIg class: a run of three counts alike
    for day in ("2010-06-01", "2010-07-01", "2010-08-01"):
        c.dispensing(4, day, atc="J06BB01", setting="hospital")
    case(c, 4)
    # a run that starts in month 2: its dates after index + 90 are evidence
    for day in ("2010-04-01", "2010-05-01", "2010-06-01"):
        c.dispensing(5, day, atc=IVIG, setting="hospital")
    case(c, 5)
    built = build(c, tmp_path)
    assert phases(built) == {
        1: "newly_diagnosed",
        2: "persistent",
        3: "newly_diagnosed",
        4: "persistent",
        5: "persistent",
    }


def test_persistent_or_chronic_is_decided_by_evidence_after_month_3(tmp_path):
    """Review 2.13: FAITH reports "persistence or chronicity" (67% of adults). Evidence
    after month 3 is enough: a person who dies in month 5 after care in month 4 is
    persistent or chronic (before, dropped as insufficient_follow_up); without evidence,
    the flag is decided with the phase (false), or not yet (null)."""
    c = Claims()
    case(c, 1, death="2010-08-01").diagnosis(1, "2010-06-15")  # care on day 106, dies day 153
    case(c, 2, death="2010-08-01")  # no care after month 3, dies on day 153: undecided
    case(c, 3).diagnosis(3, "2010-05-30")  # care on day 90 only: newly diagnosed (false)
    case(c, 4).diagnosis(4, "2012-01-01")  # chronic
    case(c, 5).diagnosis(5, "2010-06-15")  # persistent
    built = build(c, tmp_path)
    rows = built.cohort.select("person_id", "phase", "persistent_or_chronic").rows()
    assert rows == [
        (1, "insufficient_follow_up", True),
        (2, "insufficient_follow_up", None),
        (3, "newly_diagnosed", False),
        (4, "chronic", True),
        (5, "persistent", True),
    ]
    table = dict(built.table("phases").select("phase", "persons").rows())
    # 1..10 persons are masked (min_cell_count 11): every count here is small
    assert set(table) == {
        "newly_diagnosed", "persistent", "chronic", "insufficient_follow_up",
        "persistent_or_chronic",
    }  # fmt: skip
    raw = build(c, tmp_path / "open", **{"privacy.min_cell_count": 1})
    counts = dict(raw.table("phases").select("phase", "persons").rows())
    assert counts["persistent_or_chronic"] == 3
    shares = dict(raw.table("phases").select("phase", "share_of_decided").rows())
    assert shares["persistent_or_chronic"] == round(3 / 4, 4)  # of newly diagnosed + it


def test_a_course_started_before_index_is_not_followed_by_line_one(tmp_path):
    c = Claims()
    # course 1 in the lookback (it covers index_date: line 1 is 'rituximab'), course 2 later
    infusions(case(c, 1), 1, "2010-02-15", "2010-10-01")
    built = build(c, tmp_path)
    assert lines(built, 1) == [(1, "rituximab", d(INDEX), d("2014-12-31"))]
    columns = ("course_number", "next_line_date", "next_treatment", "days_to_next_treatment")
    assert built.rows("courses", *columns, person=1) == [
        (1, None, "course", 228),
        (2, None, None, None),
    ]
