"""Rules 4 and 5: primary (no secondary cause within +/-183 days of index_date) and adult
(>= 18 completed years at index_date)."""

from tests.claims import Claims, build, d

CODE = "2010-03-01"
INDEX = "2010-01-01"  # moved back by a corticosteroid dispensing


def _case(c: Claims, pid: int, **person) -> Claims:
    return c.person(pid, **person).diagnosis(pid, CODE).dispensing(pid, INDEX)


def test_secondary_window_is_around_the_index_date(tmp_path):
    c = Claims()
    _case(c, 1).diagnosis(1, "2009-07-02", code="C83")  # index - 183: secondary
    _case(c, 2).diagnosis(2, "2009-07-01", code="C83")  # index - 184: primary
    _case(c, 3).diagnosis(3, "2010-07-03", code="M32")  # index + 183: secondary
    _case(c, 4).diagnosis(4, "2010-07-04", code="M32")  # index + 184: primary
    _case(c, 5).diagnosis(5, "2010-08-15", code="B182")  # within 183 of code_date only: primary
    _case(c, 6).diagnosis(6, INDEX, code="K74.6", setting="outpatient")  # prefix K74, any setting
    _case(c, 7).diagnosis(7, INDEX, code="K70.0")  # alcoholic fatty liver: not K703
    _case(c, 8).diagnosis(8, INDEX, code="D68.6")  # antiphospholipid: secondary
    built = build(c, tmp_path)
    assert d(INDEX).toordinal() - d("2009-07-02").toordinal() == 183
    assert built.persons() == {2, 4, 5, 7}
    secondary = dict(built.incident.select("person_id", "secondary").rows())
    assert secondary == {1: True, 2: False, 3: True, 4: False, 5: False, 6: True, 7: False, 8: True}


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
