"""A plain-Python reading of the itp_faith rules, written from docs/cohort-definitions.md,
to check the SQL stages against (tests/test_rules_property.py). Deliberately naive."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pharmacoepi.definition import load_definition, normalise_code

QUALIFYING = {"hospital_primary", "hospital_related", "hospital_associated", "long_term_disease"}
SECONDARY_PREFIXES = load_definition("itp_faith").codelists["secondary_itp"].codes
BACKDATING_DRUGS = {"H02AB07", "H02AB06", "H02AB04", "H02AB02", "J06BA02", "J06BB01"}
OPEN = dt.date(2999, 12, 31)
START, END, ADMIN_END = dt.date(2009, 7, 1), dt.date(2011, 6, 30), dt.date(2014, 12, 31)
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Expected:
    index_date: dt.date
    code_date: dt.date
    secondary: bool
    age: int
    follow_up_end: dt.date


def _spells(periods: list[tuple[dt.date, dt.date]]) -> list[list[dt.date]]:
    spells: list[list[dt.date]] = []
    for start, end in sorted(p for p in periods if p[1] >= p[0]):
        if spells and start <= spells[-1][1] + DAY:
            spells[-1][1] = max(spells[-1][1], end)
        else:
            spells.append([start, end])
    return spells


def _age(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def expected_incident(rows: dict[str, list[dict]]) -> dict[int, Expected]:
    result = {}
    for person in rows["persons"]:
        pid, death = person["person_id"], person["death_date"]

        def alive(day, death=death):
            return death is None or day <= death

        def last_day(r):  # an ALD holds to its end (open: for ever), a code for its day
            if r["setting"] != "long_term_disease":
                return r["date"]
            return r.get("end_date") or OPEN

        diagnoses = [
            (r["date"], normalise_code(r["code"]), r["setting"], last_day(r))
            for r in rows["diagnoses"]
            if r["person_id"] == pid
            and alive(r["date"])
            and (r.get("end_date") is None or r["end_date"] >= r["date"])
        ]
        qualifying = [
            (day, until)
            for day, code, setting, until in diagnoses
            if code == "D693" and setting in QUALIFYING
        ]
        in_period = [day for day, _ in qualifying if START <= day <= END]
        if not in_period:
            continue
        code_date = min(in_period)
        if any(
            day <= code_date - DAY and until >= code_date - 730 * DAY for day, until in qualifying
        ):
            continue
        periods = [
            (r["start_date"], r["end_date"])
            for r in rows["observation_periods"]
            if r["person_id"] == pid and alive(r["start_date"])
        ]
        spell = [s for s in _spells(periods) if s[0] <= code_date - 730 * DAY and s[1] >= code_date]
        if not spell:
            continue
        drugs = [
            r["date"]
            for r in rows["dispensings"]
            if r["person_id"] == pid
            and alive(r["date"])
            and normalise_code(r["atc"]) in BACKDATING_DRUGS
            and code_date - 183 * DAY <= r["date"] <= code_date
        ]
        index = min(drugs, default=code_date)
        secondary = any(
            code.startswith(SECONDARY_PREFIXES)
            and day <= index + 183 * DAY
            and until >= index - 365 * DAY
            for day, code, _, until in diagnoses
        )
        ends = [spell[0][1], ADMIN_END] + ([death] if death else [])
        result[pid] = Expected(
            index, code_date, secondary, _age(person["birth_date"], index), min(ends)
        )
    return result
