"""Property test: on random small extracts aimed at the rule boundaries, the SQL stages and
a naive Python reading of the rules (tests/reference_rules.py) agree person by person."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.claims import Claims, build
from tests.reference_rules import expected_incident

# Offsets that sit on and beside every window edge of the definition.
EDGES = [-731, -730, -729, -184, -183, -182, -1, 0, 1, 182, 183, 184]
ANCHORS = [dt.date(2009, 7, 1), dt.date(2010, 2, 28), dt.date(2011, 6, 30)]


@st.composite
def offsets(draw):
    return draw(st.one_of(st.sampled_from(EDGES), st.integers(-900, 400)))


@st.composite
def person_rows(draw, pid: int, claims: Claims) -> None:
    anchor = draw(st.sampled_from(ANCHORS))

    def at(offset: int) -> str:
        return (anchor + dt.timedelta(days=offset)).isoformat()

    birth = anchor - dt.timedelta(
        days=draw(st.sampled_from([18 * 365 + 4, 18 * 365 + 5, 6000, 20000]))
    )
    death = draw(st.one_of(st.none(), st.integers(-30, 1500).map(at)))
    claims.person(
        pid, sex=draw(st.sampled_from("MF")), birth=birth.isoformat(), death=death, covered=None
    )
    # coverage mostly long enough for the 730-day prior observation, sometimes a day short
    start = draw(st.sampled_from([-2000, -731, -730, -729]))
    claims.period(pid, at(start), at(start + draw(st.integers(700, 4000))))
    if draw(st.booleans()):
        start = draw(offsets())
        claims.period(pid, at(start), at(start + draw(st.integers(0, 2500))))
    # a qualifying code on the anchor (usually), then codes around the window edges
    claims.diagnosis(
        pid,
        at(0),
        setting=draw(
            st.sampled_from(
                ["hospital_primary", "hospital_related", "long_term_disease", "outpatient"]
            )
        ),
    )
    for _ in range(draw(st.integers(0, 4))):
        code = draw(st.sampled_from(["D693", "d69.3", "D694", "C83", "K74.6", "M32", "Z21"]))
        setting = draw(
            st.sampled_from(
                ["hospital_primary", "hospital_associated", "long_term_disease", "outpatient"]
            )
        )
        day = draw(offsets())
        # an ALD holds from its day to an end (open, before it: set aside, or after it)
        end = (
            draw(st.sampled_from([None, -1, 0, 1, 365, 729, 730, 731, 2000]))
            if setting == "long_term_disease"
            else None
        )
        claims.diagnosis(
            pid, at(day), code=code, setting=setting, end=None if end is None else at(day + end)
        )
    for _ in range(draw(st.integers(0, 3))):
        atc = draw(
            st.sampled_from(["H02AB07", "H02AB09", "J06BA02", "J06BB01", "B02BX05", "H02AA02"])
        )
        claims.dispensing(pid, at(draw(offsets())), atc=atc)


@st.composite
def extracts(draw) -> Claims:
    claims = Claims()
    for pid in range(1, draw(st.integers(1, 6)) + 1):
        draw(person_rows(pid, claims))
    return claims


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(extracts())
def test_sql_stages_agree_with_the_reference(claims):
    expected = expected_incident(claims.rows)
    with tempfile.TemporaryDirectory() as tmp:
        built = build(claims, Path(tmp))
    got = {
        r["person_id"]: (r["index_date"], r["code_date"], r["secondary"], r["age_at_index"])
        for r in built.incident.iter_rows(named=True)
    }
    assert got == {p: (e.index_date, e.code_date, e.secondary, e.age) for p, e in expected.items()}
    cohort = {r["person_id"]: r["follow_up_end"] for r in built.cohort.iter_rows(named=True)}
    assert cohort == {
        p: e.follow_up_end for p, e in expected.items() if not e.secondary and e.age >= 18
    }
