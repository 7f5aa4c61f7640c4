"""Rules 4 and 5: primary (no secondary cause in [index_date - 365, index_date + 183]) and adult
(>= 18 completed years at index_date)."""

from tests.claims import Claims, build, d

CODE = "2010-03-01"
INDEX = "2010-01-01"  # moved back by a corticosteroid dispensing


def _case(c: Claims, pid: int, **person) -> Claims:
    return c.person(pid, **person).diagnosis(pid, CODE).dispensing(pid, INDEX)


def test_secondary_window_is_the_year_before_and_the_semester_after_the_index_date(tmp_path):
    """Review 1.7: FAITH searched secondary causes "in the year before and the semester
    after" the diagnosis (ASH 2014 abstract): [index_date - 365, index_date + 183]."""
    c = Claims()
    _case(c, 1).diagnosis(1, "2009-01-01", code="C83")  # index - 365: secondary
    _case(c, 2).diagnosis(2, "2008-12-31", code="C83")  # index - 366: primary
    _case(c, 3).diagnosis(3, "2010-07-03", code="M32")  # index + 183: secondary
    _case(c, 4).diagnosis(4, "2010-07-04", code="M32")  # index + 184: primary
    _case(c, 5).diagnosis(5, "2010-08-15", code="B182")  # within 183 of code_date only: primary
    _case(c, 6).diagnosis(6, INDEX, code="K74.6", setting="outpatient")  # prefix K74, any setting
    _case(c, 7).diagnosis(7, INDEX, code="K70.0")  # alcoholic fatty liver: not K703
    _case(c, 8).diagnosis(8, INDEX, code="D68.6")  # antiphospholipid: secondary
    _case(c, 9).diagnosis(9, "2009-06-01", code="C83")  # index - 214: secondary (183 before)
    # a lupus ALD since 2003, still held: the person has lupus at diagnosis (secondary)
    _case(c, 10).ald(10, "2003-04-01", code="M321")
    # ... one that ended 366 days before the index date: primary
    _case(c, 11).ald(11, "2003-04-01", end="2008-12-31", code="M321")
    built = build(c, tmp_path)
    assert d(INDEX).toordinal() - d("2009-01-01").toordinal() == 365
    assert built.persons() == {2, 4, 5, 7, 11}
    secondary = dict(built.incident.select("person_id", "secondary").rows())
    assert secondary == {
        1: True, 2: False, 3: True, 4: False, 5: False, 6: True, 7: False, 8: True, 9: True,
        10: True, 11: False,
    }  # fmt: skip


def test_adult_is_18_completed_years_at_index(tmp_path):
    c = Claims()
    _case(c, 1, birth="1992-01-01")  # 18th birthday on the index date: adult
    _case(c, 2, birth="1992-01-02")  # 18 the day after: a child
    _case(c, 3, birth="1950-06-15")
    # born 29 February: 18 on 1 March in a common year
    c.person(4, birth="1992-02-29").diagnosis(4, "2010-03-01")
    c.person(5, birth="1992-02-29").diagnosis(5, "2010-02-28")
    built = build(c, tmp_path)
    ages = dict(built.incident.select("person_id", "age_at_index").rows())
    assert ages == {1: 18, 2: 17, 3: 59, 4: 18, 5: 17}
    assert built.persons() == {1, 3, 4}
    assert built.attrition["persons"].to_list() == [5, 5, 5, 5, 3]


def test_secondary_cases_by_cause(tmp_path):
    """Review 4.8: FAITH reports secondary ITP by cause (malignancy 10.9%, MDS 2.3% of
    adults). The cause is the group (codelist column `group`) of the earliest secondary
    code in the window; the most specific entry names it (K703 alcoholic cirrhosis)."""
    c = Claims()
    _case(c, 1).diagnosis(1, "2009-10-01", code="C833")  # lymphoma
    _case(c, 2).diagnosis(2, "2010-02-01", code="D46.9").diagnosis(2, "2009-12-01", code="M32")
    _case(c, 3).diagnosis(3, INDEX, code="K70.3")  # alcoholic cirrhosis
    _case(c, 4)  # primary
    _case(c, 5, birth="2000-01-01").diagnosis(5, INDEX, code="B24")  # a child: not counted
    built = build(c, tmp_path, **{"privacy.min_cell_count": 1})
    causes = dict(built.incident.select("person_id", "secondary_cause").rows())
    assert causes == {1: "lymphoid_malignancy", 2: "lupus", 3: "cirrhosis", 4: None, 5: "hiv"}
    table = built.table("secondary_causes").select("cause", "persons", "share").rows()
    assert table == [
        ("primary", 1, 0.25),
        ("cirrhosis", 1, 0.25),
        ("lupus", 1, 0.25),
        ("lymphoid_malignancy", 1, 0.25),
    ]
    masked = build(c, tmp_path / "masked").table("secondary_causes")
    assert masked["persons"].to_list() == [None] * 4
