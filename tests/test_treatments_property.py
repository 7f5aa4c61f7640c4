"""Property tests: on random dispensing histories the SQL treatment stages agree with the
sequential Python reference (tests/reference_treatments.py), and their outputs keep the
invariants every user relies on: eras of one class never overlap, every record lies in
exactly one era of its class, lines never overlap and cover follow-up exactly."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pharmacoepi.definition import load_definition
from tests.reference_treatments import Person, Record, _duration, expected_treatments
from tests.treatment_stages import run_treatment_stages

INDEX = dt.date(2010, 3, 1)
CLASSES = ["tpo_ra", "immunosuppressants", "rituximab", "splenectomy", "ivig", "corticosteroids"]


@st.composite
def histories(draw):
    persons, records = {}, []
    for pid in range(1, draw(st.integers(1, 4)) + 1):
        index = INDEX + dt.timedelta(days=draw(st.integers(0, 400)))
        end = index + dt.timedelta(days=draw(st.sampled_from([0, 30, 200, 400, 1500])))
        persons[pid] = Person(index, end)
        for _ in range(draw(st.integers(0, 14))):
            cls = draw(st.sampled_from(CLASSES))
            offset = draw(st.one_of(st.integers(-200, 450), st.sampled_from([-184, -183, 0])))
            date = index + dt.timedelta(days=offset)
            quantity = draw(st.sampled_from([0.5, 0.75, 1.0, 1.0, 2.0, 3.0]))
            supply = draw(st.one_of(st.none(), st.none(), st.sampled_from([0, 1, 10, 28, 90])))
            # an end date given by the source (OMOP): from the same day to 60 days on
            ends = st.one_of(st.none(), st.none(), st.none(), st.integers(0, 60))
            end_offset = draw(ends)
            end = None if end_offset is None else date + dt.timedelta(days=end_offset)
            records.append(Record(pid, cls, date, quantity, supply, end))
    overrides = {
        "treatments.convention": draw(st.sampled_from(["standard", "standard", "ohdsi"])),
        "treatments.classes.tpo_ra.grace_days": draw(st.sampled_from([0, 1, 29, 30, 60])),
        "treatments.classes.tpo_ra.stockpiling": draw(st.booleans()),
        "treatments.classes.immunosuppressants.stockpiling": draw(st.booleans()),
        "treatments.classes.rituximab.course_gap_days": draw(st.sampled_from([1, 14, 60])),
        "lines.combination_window_days": draw(st.sampled_from([0, 1, 30, 90])),
    }
    return records, persons, overrides


def _rows(frame, columns):
    return sorted(frame.select(columns).rows())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_sql_agrees_with_the_reference_and_keeps_invariants(history):
    records, persons, overrides = history
    loaded = load_definition("itp_faith", overrides)
    got = run_treatment_stages(loaded, records, persons)
    exposures, courses, lines = expected_treatments(records, persons, loaded.definition)

    era_cols = ["person_id", "class", "era_number", "start_date", "end_date",
                "n_dispensings", "days_supplied"]  # fmt: skip
    assert _rows(got["exposures"], era_cols) == sorted(exposures)
    course_cols = ["person_id", "class", "course_number", "start_date", "end_date",
                   "n_administrations"]  # fmt: skip
    assert _rows(got["courses"], course_cols) == sorted(courses)
    line_cols = ["person_id", "line_number", "regimen", "start_date", "end_date"]
    assert _rows(got["lines"], line_cols) == sorted(lines)

    eras = _rows(got["exposures"], ["person_id", "class", "start_date", "end_date"])
    for a, b in itertools.pairwise(eras):
        if a[:2] == b[:2]:
            assert b[2] > a[3], f"eras overlap: {a} {b}"
    kinds = {n: c.kind for n, c in loaded.definition.treatments.classes.items()}
    lookback = dt.timedelta(days=loaded.definition.treatments.lookback_days)
    for r in records:
        p = persons[r.person]
        if not p.index - lookback <= r.date <= p.follow_up_end:
            continue
        holding = [e for e in eras if e[:2] == (r.person, r.cls) and e[2] <= r.date <= e[3]]
        stockpiled = kinds[r.cls] != "course" and len(holding) == 0
        assert len(holding) == 1 or stockpiled and _pushed_past_end(r, eras), r
        cls = loaded.definition.treatments.classes[r.cls]
        if kinds[r.cls] in ("dispensing", "administration") and not cls.stockpiling:
            # every day the record covers (up to follow-up end) lies in that one era
            days = _duration(r, cls, loaded.definition.treatments.convention == "ohdsi")
            last = min(r.date + dt.timedelta(days=days - 1), p.follow_up_end)
            assert holding[0][3] >= last, (r, holding)

    by_person: dict[int, list] = {}
    for pid, number, _, start, end in _rows(got["lines"], line_cols):
        by_person.setdefault(pid, []).append((number, start, end))
    assert set(by_person) == set(persons)
    for pid, person_lines in by_person.items():
        person_lines.sort()
        assert person_lines[0][1] == persons[pid].index
        assert person_lines[-1][2] == persons[pid].follow_up_end
        for (_, _, end), (_, start, _) in itertools.pairwise(person_lines):
            assert start == end + dt.timedelta(days=1), f"lines of {pid} overlap or gap"


def _pushed_past_end(record, eras):
    """A stockpiled refill whose supply only starts after follow-up ends has no era day."""
    return not any(e[:2] == (record.person, record.cls) and e[2] > record.date for e in eras)
