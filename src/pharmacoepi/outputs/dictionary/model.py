"""What the data dictionary says of a parquet output and of each of its columns.

Data only: the families (cohort.py, treatments.py, analyses.py, characteristics.py) fill
these in, docs.py renders them into docs/outputs.md, and tests/test_data_dictionary.py
holds them to the files real builds write.
"""

from __future__ import annotations

from dataclasses import dataclass

# Types as polars reads them from the parquet file (pl.read_parquet_schema): the names a
# reader of the files meets, whichever engine wrote them.
INT32, INT64, FLOAT64 = "Int32", "Int64", "Float64"
DATE, STRING, BOOLEAN, BINARY = "Date", "String", "Boolean", "Binary"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    meaning: str  # one line, in the domain's words; a date says whether its day is inclusive
    unit: str = ""
    # a tuple: every value the column takes (null aside; the test checks the builds' values
    # against it); text: what the values are when the definition or the data decide them
    values: tuple[str, ...] | str = ()
    # written only when the definition has this section (a Definition attribute that is
    # not None); None: in every file of this name
    only_with: str | None = None


@dataclass(frozen=True)
class Table:
    file: str
    row: str  # what one row is
    written: str  # when a build writes the file
    columns: tuple[Column, ...]


# Columns alike in many files.
PERSON_ID = Column(
    "person_id", INT64,
    "the person's identifier in the source (String when a source table holds ids as text: "
    "a CSV extract, SNDS pseudonyms)",
)  # fmt: skip
MIN_CELL_COUNT = Column(
    "min_cell_count", INT32,
    "the threshold the masking used (privacy.min_cell_count), the same on every row",
    "persons",
)  # fmt: skip
SEX = ("M", "F")
PROPORTION = "proportion 0-1"
