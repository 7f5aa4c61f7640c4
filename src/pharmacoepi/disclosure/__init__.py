"""Disclosure control: the one place that decides what an aggregate output may show.

Every aggregate a run produces passes through `disclose` before the staging folder is
swapped in: the attrition is masked first; each other aggregate is masked by its own
rule (disclosure/tables.py), and, when the masked attrition hides the count its cells add
up to (the catalogue's `total`: the cohort size, the incident cases), all its counts and
what derives from them are hidden too, or the file is not written at all. Each file then
carries its threshold (min_cell_count) and exactly the catalogue's columns, in order.

The primitives (primary and secondary cell suppression) are in disclosure/rules.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from pharmacoepi.disclosure import tables
from pharmacoepi.disclosure.rules import hide_columns
from pharmacoepi.outputs.catalogue import BY_FILE, OutputSpec

ATTRITION = "attrition.parquet"
# The attrition step a catalogue `total` names: "cohort" is the last rule's survivors.
COHORT = "cohort"


class Attrition:
    """An attrition table (raw or masked) addressed by step name, not by position."""

    def __init__(self, frame: pl.DataFrame, steps: Sequence[str]):
        if frame.height != len(steps):
            raise ValueError(f"attrition has {frame.height} rows, {len(steps)} step names")
        self.frame = frame
        self.steps = tuple(steps)

    def persons(self, step: str) -> int | None:
        """Persons remaining after `step` ("cohort": after the last rule); None if masked."""
        index = len(self.steps) - 1 if step == COHORT else self.steps.index(step)
        return self.frame["persons"][index]


def _threshold(frame: pl.DataFrame, min_cell: int) -> pl.DataFrame:
    return frame.with_columns(pl.lit(min_cell, pl.Int32).alias("min_cell_count"))


def disclose(
    raw: Mapping[str, pl.DataFrame], steps: Sequence[str], min_cell: int
) -> dict[str, pl.DataFrame]:
    """Masked aggregates, by file name, from the raw ones (`raw` holds the raw attrition
    under "attrition.parquet", its rows named by `steps`)."""
    attrition = Attrition(_threshold(tables.attrition(raw[ATTRITION], min_cell), min_cell), steps)
    counted = Attrition(raw[ATTRITION], steps)
    context = tables.Context(min_cell, cohort_size=int(counted.persons(COHORT)))
    out = {ATTRITION: _published(BY_FILE[ATTRITION], attrition.frame)}
    for file, frame in raw.items():
        if file == ATTRITION:
            continue
        spec = BY_FILE[file]
        masked = _threshold(tables.MASKS[file](frame, context), min_cell)
        if spec.total is not None and attrition.persons(spec.total) is None:
            if spec.on_hidden_total == "omit":
                continue
            masked = hide_columns(masked, [*spec.counts, *spec.derived])
        out[file] = _published(spec, masked)
    return out


def _published(spec: OutputSpec, frame: pl.DataFrame) -> pl.DataFrame:
    """Exactly the catalogue's columns, in its order: a column a mask forgot, or one the
    catalogue does not know, fails here rather than reaching a file."""
    if set(frame.columns) != set(spec.column_names):
        raise ValueError(
            f"{spec.file}: columns {sorted(frame.columns)} differ from the catalogue's "
            f"{sorted(spec.column_names)}"
        )
    return frame.select(spec.column_names)
