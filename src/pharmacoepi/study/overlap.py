"""How many persons two cohorts of a study share: one masked row per pair of cohorts.

The cohorts' person-level files are read here, inside the secure environment; only the
masked counts leave (index.html draws them)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

COUNTS = ("persons_a", "persons_b", "persons_both", "persons_a_only", "persons_b_only")
SCHEMA = {"cohort_a": pl.String, "cohort_b": pl.String} | dict.fromkeys(COUNTS, pl.Int64)
# The sums a reader can do on a row (positions in COUNTS, the total first):
# persons_a = persons_both + persons_a_only and persons_b = persons_both + persons_b_only.
SUMS = ([0, 2, 3], [1, 2, 4])


def mask_pair(
    counts: Sequence[int], min_cell: int, sizes_hidden: tuple[bool, bool] = (False, False)
) -> list[int | None]:
    """Mask one pair's counts (in COUNTS order); None: masked.

    1. A count from 1 to min_cell - 1 is masked (a 0 is shown: it tells no one apart).
    2. Each sum (persons_a = both + a_only, persons_b = both + b_only) left with exactly
       one masked cell would give it back by subtraction, so a second cell of that sum is
       masked: the smallest visible term, a 0 included (a both of 2 and an a_only of 0
       make persons_a = 2 public: masking both alone leaves it as a - 0). Masking
       persons_both that way reaches the other sum, which is then fixed the same way.
       A cohort size is chosen only when no term is left: it is published in the
       cohort's attrition, so masking it here would protect nothing.
    3. A cohort whose own attrition.parquet masks its size (`sizes_hidden`; its last step
       hidden so that a small exclusion cannot be recomputed) must not get it back from
       this row, where the other cohort's size is public anyway: only that other size is
       shown, every other count of the row is masked (a rare case; simple and safe).
    """
    counts = list(counts)
    if any(sizes_hidden):
        public = [
            not h and not 0 < n < min_cell for n, h in zip(counts[:2], sizes_hidden, strict=True)
        ]
        return [n if i < 2 and public[i] else None for i, n in enumerate(counts)]
    hide = [0 < n < min_cell for n in counts]
    changed = True
    while changed:  # rules.spread_suppression, with the size as the last resort
        changed = False
        for total, *terms in SUMS:
            if sum(hide[i] for i in (total, *terms)) != 1:
                continue
            # a visible term, the smallest, a 0 included (masking a 0 tells nothing, and
            # it blocks the subtraction when the other term is the small one); the size
            # only when no term is left, as attrition.parquet publishes it
            visible = [(counts[i], i) for i in terms if not hide[i]]
            hide[min(visible or [(counts[total], total)])[1]] = changed = True
    return [None if h else n for n, h in zip(counts, hide, strict=True)]


def cohort_overlap(entries: Sequence[tuple[str, Path]], min_cell: int) -> pl.DataFrame:
    """Persons in a, in b, in both, in a only and in b only, for every pair of cohorts
    (a before b in `entries`), masked by `mask_pair`. `entries`: (cohort, the folder of its
    main variant); a cohort whose folder holds no cohort.parquet has no row."""
    persons, hidden = {}, {}
    for cohort, folder in entries:
        if (folder / "cohort.parquet").is_file():
            frame = pl.read_parquet(folder / "cohort.parquet", columns=["person_id"])
            persons[cohort] = frame["person_id"].unique()
            hidden[cohort] = _size_masked(folder)
    names = list(persons)
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            both = int(persons[a].is_in(persons[b].implode()).sum())  # implode: as a set
            n_a, n_b = persons[a].len(), persons[b].len()
            counts = [n_a, n_b, both, n_a - both, n_b - both]
            shown = mask_pair(counts, min_cell, (hidden[a], hidden[b]))
            rows.append({"cohort_a": a, "cohort_b": b, **dict(zip(COUNTS, shown, strict=True))})
    return pl.DataFrame(rows, schema=SCHEMA).with_columns(
        pl.lit(min_cell, dtype=pl.Int32).alias("min_cell_count")
    )


def _size_masked(folder: Path) -> bool:
    """Whether the cohort's masked attrition hides its last step (the cohort's size)."""
    path = folder / "attrition.parquet"
    if not path.is_file():
        return False
    last = pl.read_parquet(path, columns=["step", "persons"]).sort("step").tail(1)
    return last.height == 1 and last["persons"][0] is None
