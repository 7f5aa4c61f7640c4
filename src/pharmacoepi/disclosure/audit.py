"""The disclosure audit: every published number of a run, read together.

After each table is masked on its own (disclosure/tables.py), the audit builds what a
reader can deduce from everything the run publishes (disclosure/relations/) and checks,
for each hidden count from 1 to min_cell_count - 1 (a sensitive count, shown or latent),
that the published numbers still allow it both 0 and min_cell_count - 1. When one does
not, it hides more, in this order, until it does:

1. the derived values a leaking relation rests on (a standardised rate and its interval);
2. the smallest shown count among the relations that pin it (with the derived values of
   its row: a rate, a share, a curve point).

Hiding never narrows a range, so counts checked earlier stay protected. The record
(cells checked, relations, what was hidden and what it protects) goes to the manifest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from pharmacoepi.disclosure.model import Count, Model
from pharmacoepi.disclosure.relations import Facts, Tables, build_model
from pharmacoepi.outputs.catalogue import BY_FILE


@dataclass(frozen=True)
class Audited:
    published: dict[str, pl.DataFrame]
    record: dict[str, Any]  # for the manifest


def audit(
    raw: Mapping[str, pl.DataFrame],
    published: Mapping[str, pl.DataFrame],
    steps: Sequence[str],
    facts: Facts,
) -> Audited:
    """The published frames with whatever more the audit hides, and its record."""
    model = build_model(Tables(raw, published), steps, facts)
    dropped: set[Count] = set()  # derived values hidden (relations on them dropped)
    hidden: list[Count] = []  # shown counts hidden
    extra: list[dict[str, Any]] = []
    for count in sorted(model.hide):  # the masks never show one; if one ever does, hide it
        if model.shown[count] and 0 < model.truth[count] < model.min_cell:
            model.set_shown(count, False)
            hidden.append(count)
            extra.append(
                _entry(
                    [(count.file, count.row, c) for c in model.hide[count]],
                    count,
                    ["a count from 1 to min_cell_count - 1 was shown"],
                )
            )
    sensitive = model.sensitive()
    for count in sensitive:
        while not model.protected(count, model.active(dropped)):
            unit, why = _remedy(model, count, dropped)
            if isinstance(unit, tuple):
                dropped.update(unit)
                cells = [(c.file, c.row, c.column) for c in unit]
            else:
                model.set_shown(unit, False)
                hidden.append(unit)
                cells = [(unit.file, unit.row, c) for c in model.hide[unit]]
            extra.append(_entry(cells, count, why))
    record = {
        "counts": len(model.truth),
        "sensitive_counts_checked": len(sensitive),
        "relations": len(model.relations),
        "extra_suppressed": extra,
        "relations_not_holding": model.broken,
    }
    return Audited(_apply(published, dropped, hidden, model), record)


def _entry(cells, count: Count, why: list[str]) -> dict[str, Any]:
    """The manifest's line for one further suppression."""
    return {
        "file": cells[0][0],
        "row": dict(cells[0][1]),
        "columns": [c for _, _, c in cells],
        "protects": str(count),
        "through": why,
    }


def _remedy(model: Model, count: Count, dropped: set[Count]):
    """What to hide next for `count`: the first candidate that protects it alone, else the
    first candidate (a further step toward it). Returns (a derived unit or a count, the
    relations it breaks)."""
    relations = model.active(dropped)
    _, used = model.group(count, relations)
    units = list(dict.fromkeys(r.rests_on for r in used if r.rests_on))
    counts = sorted(
        (c for c in model.neighbours(count, relations) if c in model.hide),
        key=lambda c: (model.truth[c] == 0, model.truth[c], c),
    )
    candidates: list[Any] = [*units, *counts]
    if not candidates:
        raise AssertionError(f"disclosure audit: nothing left to hide to protect {count}")
    for candidate in candidates:
        if isinstance(candidate, tuple):
            trial = model.active(dropped | set(candidate))
            if model.protected(count, trial):
                return candidate, _whys(used, candidate)
        else:
            model.set_shown(candidate, False)
            ok = model.protected(count, relations)
            model.set_shown(candidate, True)
            if ok:
                return candidate, _whys(used, candidate)
    return candidates[0], _whys(used, candidates[0])


def _whys(used, candidate) -> list[str]:
    if isinstance(candidate, tuple):
        return sorted({r.why for r in used if r.rests_on == candidate})
    return sorted({r.why for r in used if any(c == candidate for c, _ in r.terms)})


def _apply(published, dropped: set[Count], hidden: list[Count], model: Model):
    """Null the audit's cells in the published frames (and, for a table whose derived
    values come from all its counts, every derived value)."""
    cells: dict[str, list[tuple[tuple, str]]] = {}
    for c in dropped:
        cells.setdefault(c.file, []).append((c.row, c.column))
    for c in hidden:
        cells.setdefault(c.file, []).extend((c.row, column) for column in model.hide[c])
    out = dict(published)
    for file, items in cells.items():
        frame = out[file]
        spec = BY_FILE[file]
        for row, column in items:
            where = pl.all_horizontal(pl.col(k).eq_missing(pl.lit(v)) for k, v in row)
            frame = frame.with_columns(
                pl.when(where).then(None).otherwise(pl.col(column)).alias(column)
            )
        if spec.derived_scope == "table":
            frame = frame.with_columns(pl.lit(None).cast(frame.schema[c]).alias(c)
                                       for c in spec.derived)  # fmt: skip
        out[file] = frame
    return out


__all__ = ["Audited", "Facts", "audit"]
