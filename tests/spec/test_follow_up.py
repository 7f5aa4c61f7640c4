"""Rule 6: follow-up ends at the earliest of death, end of the observation spell holding the
index date and the administrative end (2014-12-31); end_reason ties: death >
administrative_end > end_of_observation."""

from tests.claims import Claims, build, d

CODE = "2010-03-01"


def test_follow_up_end_and_reason(tmp_path):
    c = Claims()
    c.person(1, death="2012-05-05").diagnosis(1, CODE)
    c.person(2, covered=("2005-01-01", "2013-01-31")).diagnosis(2, CODE)
    c.person(3).diagnosis(3, CODE)  # covered to 2014-12-31 = administrative end
    c.person(4, covered=("2005-01-01", "2016-12-31")).diagnosis(4, CODE)
    c.person(5, death="2013-01-31", covered=("2005-01-01", "2013-01-31")).diagnosis(5, CODE)
    c.person(6, death="2015-06-01", covered=("2005-01-01", "2016-12-31")).diagnosis(6, CODE)
    # a later spell after a gap is not follow-up
    c.person(7, covered=("2005-01-01", "2011-12-31")).period(7, "2012-02-01", "2014-12-31")
    c.diagnosis(7, CODE)
    built = build(c, tmp_path)
    got = {
        r[0]: (r[1], r[2])
        for r in built.cohort.select("person_id", "follow_up_end", "end_reason").rows()
    }
    assert got == {
        1: (d("2012-05-05"), "death"),
        2: (d("2013-01-31"), "end_of_observation"),
        3: (d("2014-12-31"), "administrative_end"),
        4: (d("2014-12-31"), "administrative_end"),
        5: (d("2013-01-31"), "death"),
        6: (d("2014-12-31"), "administrative_end"),
        7: (d("2011-12-31"), "end_of_observation"),
    }
    days = dict(built.cohort.select("person_id", "follow_up_days").rows())
    assert days[1] == d("2012-05-05").toordinal() - d(CODE).toordinal() + 1  # both ends count
