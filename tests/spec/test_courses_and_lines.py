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
    # exposure overlapping the window counts: TPO-RA 2010-05-02..05-31 reaches index + 91
    case(c, 5).dispensing(5, "2010-05-02", atc=TPO)
    case(c, 6).dispensing(6, "2010-05-01", atc=TPO)  # ..05-30: not past index + 90
    # corticosteroids are not evidence in itp_faith.yaml (phase.evidence_classes)
    case(c, 7).dispensing(7, "2011-06-01", atc=PRED)
    # follow-up ends on index + 365 with no chronic evidence: undecided
    case(c, 8, death="2011-03-01").diagnosis(8, "2010-06-01")
    # follow-up reaches index + 366: decided
    case(c, 9, death="2011-03-02").diagnosis(9, "2010-06-01")
    case(c, 10).procedure(10, "2012-01-01")  # splenectomy: exposed from then on
    built = build(c, tmp_path)
    assert phases(built) == {
        1: "newly_diagnosed",
        2: "persistent",
        3: "persistent",
        4: "chronic",
        5: "persistent",
        6: "newly_diagnosed",
        7: "newly_diagnosed",
        8: "insufficient_follow_up",
        9: "persistent",
        10: "chronic",
    }
    everything = build(c, tmp_path / "all", **{"phase.evidence_classes": None})
    assert phases(everything)[7] == "chronic"


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
