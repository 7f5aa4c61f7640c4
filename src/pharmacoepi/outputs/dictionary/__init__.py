"""The data dictionary: every parquet file a build writes and every column of it, with its
type, unit, values and meaning (docs/outputs.md is rendered from it and the catalogue).

The catalogue (outputs/catalogue.py) says which files a run writes, their level and the
role of each aggregate column; the dictionary says what each column holds. One entry per
file, by family: cohort.py, treatments.py, analyses.py, characteristics.py.
tests/test_data_dictionary.py builds shipped definitions and fails on a file or column
written that the dictionary lacks, or one it describes that is not written, or a type
that differs.
"""

from __future__ import annotations

from pharmacoepi.outputs.dictionary import analyses, characteristics, cohort, treatments
from pharmacoepi.outputs.dictionary.model import Column, Table

TABLES: tuple[Table, ...] = (
    *cohort.TABLES,
    *treatments.TABLES,
    *analyses.TABLES,
    *characteristics.TABLES,
)
BY_FILE: dict[str, Table] = {t.file: t for t in TABLES}

# What each role of an aggregate column means for masking, stated once.
ROLES: dict[str, str] = {
    "label": "what a row is about (a class, a day, an age band): never masked",
    "count": "persons or events: a count from 1 to min_cell_count - 1 is masked (null), and "
    "so is any cell that would let a reader recompute one from the cells left visible "
    "(secondary suppression)",
    "derived": "computed from counts (a share, a rate, a confidence limit, a cumulative "
    "incidence, an SMD): hidden whenever a count it derives from is",
    "value": "a measure that is not a count of persons (person-years, person-days; Table 1's "
    "mean, sd and quartiles, hidden when their level has fewer than min_cell_count persons)",
    "threshold": "min_cell_count, the threshold the masking used",
}

__all__ = ["BY_FILE", "ROLES", "TABLES", "Column", "Table"]
