"""Rule 3: index_date = the earliest dispensing of one of the four ITP corticosteroids
(prednisone H02AB07, prednisolone H02AB06, methylprednisolone H02AB04, dexamethasone
H02AB02), IVIg (J06BA02) or anti-D (J06BB01) in [code_date - 183, code_date], else code_date."""

from tests.claims import Claims, build, d

CODE = "2010-03-01"


def test_lookback_183_days_inclusive(tmp_path):
    c = Claims()
    c.person(1).diagnosis(1, CODE).dispensing(1, "2009-08-30")  # code_date - 183: used
    c.person(2).diagnosis(2, CODE).dispensing(2, "2009-08-29")  # code_date - 184: ignored
    c.person(3).diagnosis(3, CODE).dispensing(3, CODE)  # same day: a dispensing index
    c.person(4).diagnosis(4, CODE).dispensing(4, "2010-03-02")  # after code_date: ignored
    built = build(c, tmp_path)
    assert d(CODE).toordinal() - d("2009-08-30").toordinal() == 183
    assert built.index_dates() == {1: d("2009-08-30"), 2: d(CODE), 3: d(CODE), 4: d(CODE)}
    sources = dict(built.cohort.select("person_id", "index_source").rows())
    assert sources == {1: "dispensing", 2: "code", 3: "dispensing", 4: "code"}


def test_earliest_of_the_listed_drugs(tmp_path):
    c = Claims()
    c.person(1).diagnosis(1, CODE).dispensing(1, "2010-01-10").dispensing(1, "2009-12-01")
    c.person(2).diagnosis(2, CODE).dispensing(2, "2010-02-01", atc="J06BA02", setting="hospital")
    c.person(3).diagnosis(3, CODE).dispensing(3, "2010-02-01", atc="H02AB02")  # dexamethasone
    c.person(4).diagnosis(4, CODE).dispensing(4, "2010-02-01", atc="J06BA01")  # not IVIg
    c.person(5).diagnosis(5, CODE).dispensing(
        5, "2010-02-01", atc="B02BX05"
    )  # TPO-RA: not first line
    c.person(6).diagnosis(6, CODE).dispensing(6, "2010-02-01", atc="H02AA02")  # mineralocorticoid
    built = build(c, tmp_path)
    assert built.index_dates() == {
        1: d("2009-12-01"),
        2: d("2010-02-01"),
        3: d("2010-02-01"),
        4: d(CODE),
        5: d(CODE),
        6: d(CODE),
    }


def test_rejected_dispensings_do_not_set_the_index(tmp_path):
    c = Claims()
    c.person(1).diagnosis(1, CODE).dispensing(1, "2010-01-01", quantity=-1)  # a reversal
    c.person(2).diagnosis(2, CODE).dispensing(2, "2010-01-01", setting="mail")  # bad setting
    built = build(c, tmp_path)
    assert built.index_dates() == {1: d(CODE), 2: d(CODE)}


def test_only_the_four_itp_corticosteroids_move_the_diagnosis_date(tmp_path):
    """Review 1.5: back-dating takes the four corticosteroids FAITH names, not every
    systemic glucocorticoid (H02AB): hydrocortisone is replacement therapy, betamethasone
    an unrelated prescription; 15-17% of French adults fill an oral glucocorticoid each
    year (Benard-Laribiere, BMJ Open 2017), so the prefix moved many dates wrongly."""
    c = Claims()
    for pid, atc in enumerate(["H02AB07", "H02AB06", "H02AB04", "H02AB02", "J06BB01"], 1):
        c.person(pid).diagnosis(pid, CODE).dispensing(pid, "2010-02-01", atc=atc)
    c.person(6).diagnosis(6, CODE).dispensing(6, "2010-02-01", atc="H02AB09")  # hydrocortisone
    c.person(7).diagnosis(7, CODE).dispensing(7, "2010-02-01", atc="H02AB01")  # betamethasone
    c.person(8).diagnosis(8, CODE).dispensing(8, "2010-02-01", atc="H02AB08")  # triamcinolone
    built = build(c, tmp_path)
    moved = {pid: d("2010-02-01") for pid in range(1, 6)}
    assert built.index_dates() == {**moved, 6: d(CODE), 7: d(CODE), 8: d(CODE)}
