"""Rule 8 (itp_faith_chronic.yaml; FAITH protocol steps 6-7, review 1.9): adults with
primary ITP treated after month 3, re-indexed at their first persistent-ITP treatment,
with 12 months of follow-up from it. Diagnosis (index before re-indexing) 2010-03-01."""

import polars as pl

from tests.claims import Claims, build, d

DIAGNOSIS = "2010-03-01"
TPO, IVIG, PRED = "B02BX05", "J06BA02", "H02AB07"


def case(c: Claims, pid: int, **person) -> Claims:
    return c.person(pid, **person).diagnosis(pid, DIAGNOSIS)


def test_reindexed_at_the_first_treatment_after_month_3(tmp_path):
    c = Claims()
    case(c, 1).dispensing(1, "2010-05-30", atc=TPO)  # index + 90: not after month 3
    case(c, 2).dispensing(2, "2010-05-31", atc=TPO)  # index + 91: the new index
    case(c, 3).dispensing(3, "2010-05-30", atc=TPO).dispensing(3, "2010-09-01", atc=IVIG,
                                                                setting="hospital")  # fmt: skip
    case(c, 4).dispensing(4, "2011-01-01", atc=PRED)  # corticosteroids do not re-index
    case(c, 5).procedure(5, "2011-06-01")  # a splenectomy does
    # treated on 2013-06-01, followed to 2014-05-31 (365 days, inclusive): kept
    case(c, 6, death="2014-05-31").dispensing(6, "2013-06-01", atc=TPO)
    # ... followed to 2014-05-30 (364 days): out
    case(c, 7, death="2014-05-30").dispensing(7, "2013-06-01", atc=TPO)
    built = build(c, tmp_path, "itp_faith_chronic")
    rows = built.cohort.select("person_id", "diagnosis_date", "index_date", "follow_up_days")
    assert rows.rows() == [
        (2, d(DIAGNOSIS), d("2010-05-31"), (d("2014-12-31") - d("2010-05-31")).days + 1),
        (3, d(DIAGNOSIS), d("2010-09-01"), (d("2014-12-31") - d("2010-09-01")).days + 1),
        (5, d(DIAGNOSIS), d("2011-06-01"), (d("2014-12-31") - d("2011-06-01")).days + 1),
        (6, d(DIAGNOSIS), d("2013-06-01"), 365),
    ]
    attrition = built.attrition
    assert attrition["persons"].to_list()[-2:] == [7, 4]  # adults, then treated + followed
    assert attrition["description"][-1].startswith("persistent treatment:")
    # treatments are read from the new index: line 1 starts there
    lines = built.table("lines").filter(pl.col("line_number") == 1)
    assert dict(lines.select("person_id", "start_date").rows())[2] == d("2010-05-31")


def test_without_the_rule_index_date_is_the_diagnosis_date(tmp_path):
    c = Claims()
    case(c, 1).dispensing(1, "2010-02-01", atc=PRED)
    built = build(c, tmp_path)
    assert built.cohort.select("diagnosis_date", "index_date").rows() == [
        (d("2010-02-01"), d("2010-02-01"))
    ]
    assert len(built.attrition) == 5  # no step for the rule


def test_faith_2014_design_looks_back_6_months(tmp_path):
    """itp_faith_2014 (L4: incident = no diagnosis in the extract's first semester; L5:
    extracted 2009-2012): 183 days of washout and prior observation, follow-up to the
    end of 2012."""
    c = Claims()
    code = "2009-12-01"
    c.person(1).diagnosis(1, code).diagnosis(1, "2009-06-01")  # code - 183: prevalent
    c.person(2).diagnosis(2, code).diagnosis(2, "2009-05-31")  # code - 184: incident
    c.person(3, covered=("2009-06-01", "2014-12-31")).diagnosis(3, code)  # 183 days observed
    c.person(4, covered=("2009-06-02", "2014-12-31")).diagnosis(4, code)  # 182: out
    built = build(c, tmp_path, "itp_faith_2014")
    assert (d(code) - d("2009-06-01")).days == 183
    assert built.persons() == {2, 3}
    assert set(built.cohort["follow_up_end"]) == {d("2012-12-31")}
    # the modern default (2 years) would keep none of them
    assert build(c, tmp_path / "modern").persons() == set()
