"""Exposure windows and eras (docs/treatments.md), one boundary per person.

Every person has a qualifying D693 code on 2010-03-01 (index_date, no earlier first-line
drug), is followed to 2014-12-31 unless a death says otherwise. TPO-RA (eltrombopag
B02BX05) is a 'dispensing' class: 30 days per box, grace 30, no stockpiling by default.
"""

from tests.claims import Claims, build, d

INDEX = "2010-03-01"
TPO = "B02BX05"


def case(c: Claims, pid: int, **person) -> Claims:
    return c.person(pid, **person).diagnosis(pid, INDEX)


def eras(built, pid, cls="tpo_ra"):
    frame = built.table("exposures")
    rows = frame.filter((frame["person_id"] == pid) & (frame["class"] == cls))
    return rows.select(
        "era_number", "start_date", "end_date", "n_dispensings", "days_supplied"
    ).rows()


def test_grace_at_the_limit_merges_and_one_day_more_splits(tmp_path):
    c = Claims()
    # box 1 covers 04-01..04-30; the next box leaves 30 uncovered days (05-01..05-30)
    case(c, 1).dispensing(1, "2010-04-01", atc=TPO).dispensing(1, "2010-05-31", atc=TPO)
    # 31 uncovered days (05-01..05-31): two eras
    case(c, 2).dispensing(2, "2010-04-01", atc=TPO).dispensing(2, "2010-06-01", atc=TPO)
    # overlapping and touching windows merge whatever the grace
    case(c, 3).dispensing(3, "2010-04-01", atc=TPO).dispensing(3, "2010-05-01", atc=TPO)
    built = build(c, tmp_path)
    assert eras(built, 1) == [(1, d("2010-04-01"), d("2010-06-29"), 2, 60)]
    assert eras(built, 2) == [
        (1, d("2010-04-01"), d("2010-04-30"), 1, 30),
        (2, d("2010-06-01"), d("2010-06-30"), 1, 30),
    ]
    assert eras(built, 3) == [(1, d("2010-04-01"), d("2010-05-30"), 2, 60)]


def test_grace_is_read_from_the_definition(tmp_path):
    c = Claims()
    case(c, 1).dispensing(1, "2010-04-01", atc=TPO).dispensing(1, "2010-05-31", atc=TPO)
    built = build(c, tmp_path, **{"treatments.classes.tpo_ra.grace_days": 29})
    assert [e[1:3] for e in eras(built, 1)] == [
        (d("2010-04-01"), d("2010-04-30")),
        (d("2010-05-31"), d("2010-06-29")),
    ]


def test_days_supply_wins_over_boxes(tmp_path):
    c = Claims()
    case(c, 1).dispensing(1, "2010-04-01", atc=TPO, quantity=2)  # 2 boxes x 30 = 60 days
    case(c, 2).dispensing(2, "2010-04-01", atc=TPO, quantity=2, days_supply=10)  # 10 days
    case(c, 3).dispensing(3, "2010-04-01", atc=TPO, quantity=0.5)  # half a box: 15 days
    case(c, 4).dispensing(4, "2010-04-01", atc=TPO, days_supply=0)  # 0: not given, 1 box
    built = build(c, tmp_path)
    assert eras(built, 1) == [(1, d("2010-04-01"), d("2010-05-30"), 1, 60)]
    assert eras(built, 2) == [(1, d("2010-04-01"), d("2010-04-10"), 1, 10)]
    assert eras(built, 3) == [(1, d("2010-04-01"), d("2010-04-15"), 1, 15)]
    assert eras(built, 4) == [(1, d("2010-04-01"), d("2010-04-30"), 1, 30)]


def test_stockpiling_carries_early_refills_forward(tmp_path):
    c = Claims()
    # refill after 15 days: with stockpiling the second box starts on 05-01
    case(c, 1).dispensing(1, "2010-04-01", atc=TPO).dispensing(1, "2010-04-16", atc=TPO)
    # two boxes on one day, then a third 40 days later: supply runs to 05-30, then 05-31..
    case(c, 2).dispensing(2, "2010-04-01", atc=TPO).dispensing(2, "2010-04-01", atc=TPO)
    c.dispensing(2, "2010-05-11", atc=TPO)
    # stockpile ends, then a gap: 04-01 + 04-16 (to 05-30), next on 07-30 = 60 uncovered
    case(c, 3).dispensing(3, "2010-04-01", atc=TPO).dispensing(3, "2010-04-16", atc=TPO)
    c.dispensing(3, "2010-07-30", atc=TPO)
    on = build(c, tmp_path / "on", **{"treatments.classes.tpo_ra.stockpiling": True})
    off = build(c, tmp_path / "off")
    assert eras(on, 1) == [(1, d("2010-04-01"), d("2010-05-30"), 2, 60)]
    assert eras(off, 1) == [(1, d("2010-04-01"), d("2010-05-15"), 2, 60)]
    assert eras(on, 2) == [(1, d("2010-04-01"), d("2010-06-29"), 3, 90)]
    assert eras(off, 2) == [(1, d("2010-04-01"), d("2010-06-09"), 3, 90)]
    assert [e[1:3] for e in eras(on, 3)] == [
        (d("2010-04-01"), d("2010-05-30")),
        (d("2010-07-30"), d("2010-08-28")),
    ]


def test_eras_are_truncated_at_follow_up_end(tmp_path):
    c = Claims()
    case(c, 1, death="2010-04-10").dispensing(1, "2010-04-01", atc=TPO, quantity=3)
    # coverage ends: the spell holding the index date ends on 2010-04-20
    case(c, 2, covered=("2000-01-01", "2010-04-20")).dispensing(2, "2010-04-01", atc=TPO)
    built = build(c, tmp_path)
    assert eras(built, 1) == [(1, d("2010-04-01"), d("2010-04-10"), 1, 90)]
    assert eras(built, 2) == [(1, d("2010-04-01"), d("2010-04-20"), 1, 30)]


def test_records_are_searched_from_index_minus_lookback(tmp_path):
    c = Claims()
    case(c, 1).dispensing(1, "2009-08-30", atc=TPO)  # index - 183: in
    case(c, 2).dispensing(2, "2009-08-29", atc=TPO)  # index - 184: out
    built = build(c, tmp_path)
    assert eras(built, 1) == [(1, d("2009-08-30"), d("2009-09-28"), 1, 30)]
    assert eras(built, 2) == []


def test_administrations_cover_their_effect_days(tmp_path):
    c = Claims()
    case(c, 1).dispensing(1, "2010-04-01", atc="J06BA02", setting="hospital", quantity=4)
    built = build(c, tmp_path)
    # quantity is not a duration for an administration class: 30 days of effect
    assert eras(built, 1, "ivig") == [(1, d("2010-04-01"), d("2010-04-30"), 1, 30)]


def test_splenectomy_is_exposed_to_the_end_of_follow_up(tmp_path):
    c = Claims()
    case(c, 1).procedure(1, "2011-01-10", code="FFFC001")
    case(c, 2, death="2012-05-05").procedure(2, "2011-01-10", code="fffa001")
    case(c, 3).procedure(3, "2011-01-10", code="FFFA002")  # not a splenectomy
    built = build(c, tmp_path)
    assert eras(built, 1, "splenectomy") == [(1, d("2011-01-10"), d("2014-12-31"), 1, None)]
    assert eras(built, 2, "splenectomy") == [(1, d("2011-01-10"), d("2012-05-05"), 1, None)]
    assert eras(built, 3, "splenectomy") == []


def test_ohdsi_convention_reproduces_a_hand_worked_drug_era(tmp_path):
    """The OMOP standard drug_era: exposure end = start + days_supply (1 day when missing
    or 0), exposures merged when the next start is at most 30 days after the latest end.

    A 2010-04-01 +30 -> end 05-01; B 05-31 (30 days after A's end: merged) +30 -> 06-30;
    C 07-31 (31 days after 06-30: new era) +10 -> 08-10; D 08-20 days_supply 0 -> 1 day,
    end 08-21 (merged with C); E 10-01 no days_supply, 3 boxes -> 1 day (boxes ignored),
    end 10-02 (41 days after 08-21: new era).
    """
    c = Claims()
    case(c, 1)
    for date, supply, qty in [
        ("2010-04-01", 30, 1), ("2010-05-31", 30, 1), ("2010-07-31", 10, 1),
        ("2010-08-20", 0, 1), ("2010-10-01", None, 3),
    ]:  # fmt: skip
        c.dispensing(1, date, atc=TPO, quantity=qty, days_supply=supply)
    built = build(c, tmp_path, **{"treatments.convention": "ohdsi"})
    assert eras(built, 1) == [
        (1, d("2010-04-01"), d("2010-06-30"), 2, 60),
        (2, d("2010-07-31"), d("2010-08-21"), 2, 11),
        (3, d("2010-10-01"), d("2010-10-02"), 1, 1),
    ]
