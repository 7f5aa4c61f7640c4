"""What a reader can deduce from a run's published numbers: counts as integer unknowns,
the relations the tool knows between them, and each hidden count's feasible range.

A `Count` is one count of a published table (a cell) or one the tables imply without
showing it (a latent count: the persons no longer followed on a day, the events so far of
a survival curve). Shown counts are constants; hidden ones are non-negative integers.
A `Relation` is lo <= sum(coef x count) <= hi, true of the run's own numbers. A relation
may rest on published derived values (a standardised rate): hiding them drops it.

The reader is assumed to know every relation and every rule; a hidden count is protected
when the integer solutions of the relations still allow it both 0 and min_cell_count - 1
(`Model.protected`), checked with scipy's MILP solver (HiGHS) on the connected group of
hidden counts it belongs to.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, order=True)
class Count:
    file: str
    row: tuple[tuple[str, object], ...]  # the row's labels, (column, value) in file order
    column: str  # a count column, or the name of a latent count
    # the groups and solutions look counts up millions of times: hashed once
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.file, self.row, self.column)))

    def __hash__(self) -> int:
        return self._hash

    def __str__(self) -> str:
        row = ", ".join(f"{k}={v}" for k, v in self.row)
        return f"{self.file} [{row}] {self.column}"


@dataclass(frozen=True)
class Relation:
    terms: tuple[tuple[Count, int], ...]
    lo: float  # -inf: no lower end
    hi: float  # inf: no upper end
    why: str  # what the relation is, for the record and for errors
    # published derived values that give it, shown together (all hidden: dropped)
    rests_on: tuple[Count, ...] = ()


def equal(terms: Mapping[Count, int], value: int, why: str, rests_on=()) -> Relation:
    return Relation(tuple(terms.items()), value, value, why, tuple(rests_on))


def at_most(terms: Mapping[Count, int], value: float, why: str) -> Relation:
    return Relation(tuple(terms.items()), -math.inf, value, why)


class Model:
    """Counts (with their true values and whether shown) and relations between them."""

    def __init__(self, min_cell: int):
        self.min_cell = min_cell
        self.truth: dict[Count, int] = {}
        self.shown: dict[Count, bool] = {}
        self.relations: list[Relation] = []
        self.broken: list[str] = []
        # a shown count -> the columns of its row to null to hide it (the cell and what
        # derives from it; for a count a curve reveals, the curve's values)
        self.hide: dict[Count, tuple[str, ...]] = {}
        self._version = 0  # bumped when a count is shown or hidden: the groups change
        self._active: tuple | None = None  # (key, relations) of the last `active` call
        self._groups: tuple | None = None  # (relations, version, groups) of the last call
        self._points: dict[Count, list[dict[Count, int]]] = {}
        self._index: tuple | None = None  # (relations, count -> its relations' positions)

    def count(self, count: Count, truth: int, shown: bool) -> Count:
        self.truth[count] = int(truth)
        self.shown[count] = shown
        return count

    def relate(self, relation: Relation, *, inference: bool = False) -> bool:
        """Add a relation if it holds on the run's own numbers. An identity (true of every
        run by construction) that does not hold is a bug of the audit: it is left out and
        listed in `broken` (the manifest shows it, the tests fail on it). An inference (a
        reader's plausible assumption) is added only when it holds: then it recovers true
        values."""
        unknown = [c for c, _ in relation.terms if c not in self.truth]
        if unknown:
            return False  # a table the run did not publish
        total = sum(k * self.truth[c] for c, k in relation.terms)
        if not relation.lo <= total <= relation.hi:
            if not inference:
                self.broken.append(relation.why)
            return False
        self.relations.append(relation)
        return True

    def set_shown(self, count: Count, shown: bool) -> None:
        self.shown[count] = shown
        self._version += 1

    def sensitive(self) -> list[Count]:
        """Hidden counts from 1 to min_cell_count - 1: what the audit protects."""
        return sorted(
            c for c, t in self.truth.items() if not self.shown[c] and 0 < t < self.min_cell
        )

    def active(self, dropped: set[Count]) -> list[Relation]:
        """The relations still in force once the derived values in `dropped` are hidden
        (the same list object for the same state, so groups are computed once)."""
        key = (frozenset(dropped), len(self.relations))
        if self._active is None or self._active[0] != key:
            kept = [
                r for r in self.relations
                if not (r.rests_on and all(d in dropped for d in r.rests_on))
            ]  # fmt: skip
            self._active = (key, kept)
        return self._active[1]

    def group(self, count: Count, relations: list[Relation]) -> tuple[list[Count], list]:
        """The hidden counts linked to `count` through relations on hidden counts, and
        those relations in the model's order (shown counts are constants)."""
        cached = self._groups
        if cached is None or cached[0] is not relations or cached[1] != self._version:
            cached = (relations, self._version, {})
            self._groups = cached
            self._points = {}  # feasible points found, per group (valid for this state)
        found = cached[2].get(count)
        if found is None:
            found = self._search(count, relations)
            for c in found[0]:
                cached[2][c] = found
        return found

    def _search(self, count: Count, relations: list[Relation]) -> tuple[list[Count], list]:
        """`count`'s group, walked from it alone: a trial hiding (the audit's remedies try
        many) changes one group, which is all that is walked again."""
        if self.shown[count]:
            return [count], []
        touching = self._touching(relations)
        members, used, todo = {count}, set(), [count]
        while todo:
            for i in touching.get(todo.pop(), ()):
                if i in used:
                    continue
                used.add(i)
                for c, _ in relations[i].terms:
                    if c not in members and not self.shown[c]:
                        members.add(c)
                        todo.append(c)
        return sorted(members), [relations[i] for i in sorted(used)]

    def _touching(self, relations: list[Relation]) -> dict[Count, list[int]]:
        """Each count -> the positions of the relations it is a term of (per list)."""
        if self._index is None or self._index[0] is not relations:
            touching: dict[Count, list[int]] = {}
            for i, r in enumerate(relations):
                for c, _ in r.terms:
                    touching.setdefault(c, []).append(i)
            self._index = (relations, touching)
        return self._index[1]

    def _problem(self, count: Count, relations: list[Relation]):
        """The group of `count` as a MILP: (members, their index, rows, lows, highs)."""
        members, used = self.group(count, relations)
        index = {c: i for i, c in enumerate(members)}
        rows, lo, hi = [], [], []
        for r in used:
            row = np.zeros(len(members))
            constant = 0.0
            for c, k in r.terms:
                if self.shown[c]:
                    constant += k * self.truth[c]
                else:
                    row[index[c]] += k
            rows.append(row)
            lo.append(r.lo - constant)
            hi.append(r.hi - constant)
        return members, index, rows, lo, hi

    @staticmethod
    def _milp(objective, rows, lo, hi, lower, upper):
        # imported here: scipy.optimize costs a tenth of a second, which every command
        # would pay at start-up
        from scipy.optimize import Bounds, LinearConstraint, milp

        constraints = [LinearConstraint(np.array(rows), lo, hi)] if rows else []
        return milp(objective, constraints=constraints, integrality=np.ones(len(objective)),
                    bounds=Bounds(lower, upper))  # fmt: skip

    def _solve(self, count: Count, relations: list[Relation], *, sense: int):
        """min (sense 1) or max (sense -1) of `count` under the relations of its group."""
        members, index, rows, lo, hi = self._problem(count, relations)
        objective = np.zeros(len(members))
        objective[index[count]] = sense
        result = self._milp(objective, rows, lo, hi, np.zeros(len(members)),
                            np.full(len(members), np.inf))  # fmt: skip
        if result.status == 0:
            return round(result.x[index[count]])
        # unbounded (or a solver limit): no finite end, which protects as much as anything
        return math.inf if sense == -1 else 0

    def feasible(self, count: Count, relations: list[Relation], lo: float, hi: float) -> bool:
        """Whether `count` can lie in [lo, hi]. Every point found is kept for its group: a
        later question it already answers is not asked of the solver again. The point
        sought pushes toward [lo, hi] every sensitive count of the group that no point
        has put there yet, so that one solve answers most of the group's questions."""
        points = self._points.setdefault(self.group(count, relations)[0][0], [])
        if any(lo <= p[count] <= hi for p in points):
            return True
        members, index, rows, lows, highs = self._problem(count, relations)
        # a generous finite bound keeps "largest total" bounded; a point a reader could
        # use lies far below it
        cap = 100 * (max(self.truth.values(), default=0) + self.min_cell)
        lower, upper = np.zeros(len(members)), np.full(len(members), float(cap))
        lower[index[count]], upper[index[count]] = lo, min(hi, cap)
        sense = 1.0 if hi == 0 else -1.0  # toward zeros, or toward large values
        pending = [
            sense if 0 < self.truth[c] < self.min_cell
            and not any(lo <= p[c] <= hi for p in points) else 0.0
            for c in members
        ]  # fmt: skip
        result = self._milp(np.array(pending), rows, lows, highs, lower, upper)
        if result.status != 0:
            return False  # infeasible within the bounds
        points.append({c: round(result.x[i]) for c, i in index.items()})
        return True

    def protected(self, count: Count, relations: list[Relation]) -> bool:
        """Both 0 and min_cell_count - 1 are consistent with everything published."""
        if not self.group(count, relations)[1]:
            return True  # in no relation: anything goes
        return self.feasible(count, relations, 0, 0) and self.feasible(
            count, relations, self.min_cell - 1, math.inf
        )

    def feasible_range(self, count: Count, relations: list[Relation]) -> tuple[float, float]:
        """The least and greatest value `count` can take (for tests and diagnostics)."""
        return (
            self._solve(count, relations, sense=1),
            self._solve(count, relations, sense=-1),
        )

    def neighbours(self, count: Count, relations: list[Relation]) -> Iterable[Count]:
        """Shown counts in the relations of `count`'s group: hiding one may protect it."""
        _, used = self.group(count, relations)
        return sorted({c for r in used for c, _ in r.terms if self.shown[c]})
