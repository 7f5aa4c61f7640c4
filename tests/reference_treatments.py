"""A naive, sequential Python reading of the treatment rules (docs/treatments.md), written
independently of the SQL: one record at a time, in date order, as a pharmacist would
count boxes. The property tests check the SQL stages against it."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

ONE = dt.timedelta(days=1)


@dataclass(frozen=True)
class Record:
    person: int
    cls: str
    date: dt.date
    quantity: float = 1.0
    days_supply: int | None = None
    end_date: dt.date | None = None  # an exposure's own end (OMOP), inclusive


@dataclass(frozen=True)
class Person:
    index: dt.date
    follow_up_end: dt.date


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def _duration(r: Record, c, ohdsi: bool) -> int:
    if ohdsi:
        if r.end_date is not None:  # the CDM end: end = date + duration
            return (r.end_date - r.date).days
        return r.days_supply if r.days_supply and r.days_supply > 0 else 1
    if c.kind == "administration":
        return c.effect_days
    if r.end_date is not None:  # [date, end_date], both inclusive
        return (r.end_date - r.date).days + 1
    if r.days_supply and r.days_supply > 0:
        return r.days_supply
    # half a day rounds up, as SQL's round() does (Python's round() goes to even)
    return max(1, math.floor(r.quantity * c.days_per_box + 0.5))


def _order(r: Record):
    # the SQL's tie-break: date, then end_date, then days_supply (missing last), quantity
    return (
        r.date,
        r.end_date is None,
        r.end_date or r.date,
        r.days_supply is None,
        r.days_supply or 0,
        r.quantity,
    )


def windows_of(records: list[Record], c, p: Person, t) -> list[tuple]:
    """(start, end, grace, days) per record of a dispensing/administration class."""
    ohdsi = t.convention == "ohdsi"
    out, supply_end = [], None
    for r in sorted(records, key=_order):
        days = _duration(r, c, ohdsi)
        start = r.date
        if c.stockpiling and not ohdsi and supply_end is not None and supply_end >= start:
            start = supply_end + ONE  # leftover supply carries forward
        end = start + _days(days) if ohdsi else start + _days(days - 1)
        supply_end = end
        grace = t.ohdsi_persistence_days - 1 if ohdsi else c.grace
        if start <= p.follow_up_end:
            out.append((start, end, grace, days))
    return out


def courses_of(records: list[Record], c, p: Person) -> list[dict]:
    courses: list[dict] = []
    previous = None
    for r in sorted(records, key=_order):
        if previous is None or (r.date - previous).days >= c.course_gap_days:
            courses.append({"start": r.date, "dates": []})
        courses[-1]["dates"].append(r.date)
        previous = r.date
    for n, course in enumerate(courses, 1):
        course["number"] = n
        course["end"] = min(course["start"] + _days(c.course_effect_days - 1), p.follow_up_end)
    return courses


def merge(windows: list[tuple], p: Person) -> list[tuple]:
    """Eras: (start, end, n_records, days_supplied) from (start, end, grace, n, days)."""
    eras: list[list] = []
    covered = None
    for start, end, grace, n, days in sorted(windows, key=lambda w: (w[0], w[1])):
        if covered is None or start > covered + _days(grace + 1):
            eras.append([start, end, 0, 0])
            covered = end
        eras[-1][1] = max(eras[-1][1], end)
        covered = max(covered, end)
        eras[-1][2] += n
        eras[-1][3] = None if days is None or eras[-1][3] is None else eras[-1][3] + days
    return [(s, min(e, p.follow_up_end), n, days) for s, e, n, days in eras]


def expected_treatments(records: list[Record], persons: dict[int, Person], d):
    """-> (exposures, courses, lines): lists of tuples shaped like the output files."""
    t = d.treatments
    kept = [
        r for r in records
        if persons[r.person].index - _days(t.lookback_days) <= r.date
        <= persons[r.person].follow_up_end
    ]  # fmt: skip
    exposures, courses, episodes = [], [], {}
    for pid, p in sorted(persons.items()):
        episodes[pid] = []
        for name, c in sorted(t.classes.items()):
            mine = [r for r in kept if r.person == pid and r.cls == name]
            if not mine:
                continue
            if c.kind == "course":
                cs = courses_of(mine, c, p)
                courses += [
                    (pid, name, k["number"], k["start"], k["end"], len(k["dates"])) for k in cs
                ]
                windows = [
                    (k["start"], k["end"], 0, len(k["dates"]), c.course_effect_days) for k in cs
                ]
                if c.role == "line":
                    episodes[pid] += [(k["start"], k["end"], name) for k in cs]
            elif c.kind == "point":
                windows = [(r.date, p.follow_up_end, 0, 1, None) for r in mine]
            else:
                windows = [(s, e, g, 1, n) for s, e, g, n in windows_of(mine, c, p, t)]
            eras = merge(windows, p)
            exposures += [(pid, name, k, *era) for k, era in enumerate(eras, 1)]
            if c.role == "line" and c.kind != "course":
                episodes[pid] += [(s, e, name) for s, e, _, _ in eras]
    lines = []
    for pid, p in sorted(persons.items()):
        lines += _lines(pid, p, episodes[pid], d.lines.combination_window_days)
    return exposures, courses, lines


def _lines(pid: int, p: Person, episodes: list[tuple], window: int) -> list[tuple]:
    """Walk the episodes in start order, opening a line when a class outside the current
    regimen starts after the combination window."""
    regimen = {cls for s, e, cls in episodes if s < p.index <= e}
    starts, regimens = [p.index], [regimen]
    by_day: dict[dt.date, set[str]] = {}
    for start, _, cls in episodes:
        if p.index <= start <= p.follow_up_end:
            by_day.setdefault(start, set()).add(cls)
    for day in sorted(by_day):
        classes = by_day[day]
        if day <= starts[-1] + _days(window):
            regimens[-1] |= classes  # within the window: they join the line
        elif classes - regimens[-1]:
            # a class outside the regimen opens a line; every class starting that day joins
            starts.append(day)
            regimens.append(set(classes))
    ends = [s - ONE for s in starts[1:]] + [p.follow_up_end]
    return [
        (pid, n, "+".join(sorted(r)) or "none", s, e)
        for n, (s, e, r) in enumerate(zip(starts, ends, regimens, strict=True), 1)
    ]
