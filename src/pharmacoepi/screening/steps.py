"""Screening: one pass over each input table that types it, checks its rows and keeps
only what later stages need (rows with a problem, rows whose code is on a codelist).

Shared by `validate` and `build-cohort`, which differ in the coded tables' rows they check:
- `validate` (rows="all") checks every row and keeps the rows with a problem;
- `build-cohort` (rows="codelist") checks only the rows its codelists select, filtered
  inside the scan, so the billions of dispensings on no codelist cost one column read.
  Rows outside its codelists are not read, so not set aside either: `validate` is the
  data-quality pass over a whole extract.
Persons and observation periods are always checked whole. No rule reads hospital stays:
only `validate` checks them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Literal

import pyarrow as pa

from pharmacoepi.data.contract import (
    MAX_DATE,
    MAX_DAYS_SUPPLY,
    MAX_QUANTITY,
    MIN_DATE,
    TABLES,
    allowed_values,
)
from pharmacoepi.definition import Codelist
from pharmacoepi.errors import DataError
from pharmacoepi.plan import RunState, Step, python, sql

# The valid dates of an extract, both ends inclusive (--date-range): rows dated outside
# are set aside as implausible.
DEFAULT_DATE_RANGE = (MIN_DATE, MAX_DATE)
# A table is called shifted when more than half its rows checked, and at least this many,
# fall outside the valid dates (a few bad rows in a tiny table are bad rows, set aside).
SHIFTED_MIN_ROWS = 20

_EMPTY_CONCEPTS = pa.table(
    {
        "codelist": pa.array([], pa.string()),
        "domain": pa.array([], pa.string()),
        "concept_id": pa.array([], pa.string()),
    }
)


def codelist_codes(codelists: Iterable[Codelist]) -> pa.Table:
    """Codes reach SQL as a table, never as text pasted into a query."""
    rows = [(c.name, c.domain, c.match, code) for c in codelists for code in c.codes]
    return pa.table(
        {
            "codelist": pa.array([r[0] for r in rows], pa.string()),
            "domain": pa.array([r[1] for r in rows], pa.string()),
            "match": pa.array([r[2] for r in rows], pa.string()),
            "code": pa.array([r[3] for r in rows], pa.string()),
        }
    )


def _id_types(*columns: str):
    """Identifier slots from the source read: ids are compared as integers only when every
    table stores integers. If any table holds them as text, all are compared as text:
    '1e0' or '1.5' is never re-read as a number (it becomes an unknown person, set aside
    and counted)."""

    def identifiers(state: RunState) -> dict[str, str]:
        source = state.results["source"]
        return {f"{c}_type": source.id_type(c) for c in columns}

    return identifiers


def _with(identifiers, **fixed: str):
    return lambda state: {**identifiers(state), **fixed}


def steps(
    codelists: Iterable[Codelist],
    rows: Literal["codelist", "all"] = "codelist",
    *,
    concept_steps: Sequence[Step] = (),
    after: Sequence[Step] = (),
    date_range: tuple[dt.date, dt.date] = DEFAULT_DATE_RANGE,
) -> list[Step]:
    """Every screening step, after the source's (which give "source").

    rows: which rows of the coded tables (diagnoses, dispensings, procedures) are checked:
    those whose code is on a codelist, or all of them. concept_steps: the source's stages
    that create `codelist_concepts` (OMOP concept codelists); without them the table is
    empty. after: the source's stages that run on the screened tables. date_range: the
    valid dates (inclusive) rows are checked against. `checks` comes after."""
    codes = codelist_codes(codelists)
    dates = {"min_date": date_range[0], "max_date": date_range[1]}
    pid = _id_types("person_id")
    both = _id_types("person_id", "stay_id")
    limits = {"max_quantity": MAX_QUANTITY, "max_days_supply": MAX_DAYS_SUPPLY}
    concepts = list(concept_steps) or [
        python(
            "screen/codelist_concepts",
            lambda state: state.engine.register("codelist_concepts", _EMPTY_CONCEPTS),
            creates=("codelist_concepts",),
        )
    ]
    return [
        python(
            "screen/codelist_codes",
            lambda state: state.engine.register("codelist_codes", codes),
            creates=("codelist_codes",),
        ),
        sql("screen/persons", dates, pid),
        sql("screen/valid_persons"),
        sql("screen/observation_periods", dates, pid),
        sql("screen/code_vocabulary"),
        *concepts,
        sql(
            "screen/diagnoses",
            {**dates, "settings": allowed_values("diagnoses", "setting")},
            _with(both, rows=rows),
        ),
        sql(
            "screen/dispensings",
            {**dates, **limits, "settings": allowed_values("dispensings", "setting")},
            _with(pid, rows=rows),
        ),
        sql("screen/procedures", dates, _with(both, rows=rows)),
        sql("screen/hospital_stays", dates, _with(both, rows=rows)),
        *after,
    ]


def checks(
    date_range: tuple[dt.date, dt.date] = DEFAULT_DATE_RANGE, codelists: Iterable[Codelist] = ()
) -> list[Step]:
    """After the screening, for one definition (of a shared scan: on its own rows): the
    codelists that match no code of the data (gives "unmatched_codelists", for a warning),
    the rows set aside, and a stop when most of a table is outside the valid dates."""
    # OMOP concept lists are in the vocabulary whether or not the data holds them, and the
    # shipped Charlson components are not the user's to fix: neither is checked here
    checked = sorted(
        c.name for c in codelists
        if c.match in ("exact", "prefix") and not c.name.startswith("charlson_")
    )  # fmt: skip

    def unmatched(state: RunState) -> None:
        found = set(state.engine.frame("code_vocabulary")["codelist"].to_list())
        state.results["unmatched_codelists"] = [n for n in checked if n not in found]

    return [
        python(
            "screen/unmatched_codelists",
            unmatched,
            inputs=("code_vocabulary",),
            gives=("unmatched_codelists",),
        ),
        sql("screen/rejected_rows"),
        sql("screen/dates_out_of_range"),
        python(
            "screen/date_range_check",
            lambda state: _check_date_range(state, date_range),
            inputs=("dates_out_of_range",),
        ),
    ]


def _check_date_range(state: RunState, date_range: tuple[dt.date, dt.date]) -> None:
    """Most of a table outside the valid dates: shifted dates (a de-identified CDM such as
    MIMIC-IV, moved into 2110-2202) or a wrong range, not data to screen away."""
    order = [t.name for t in TABLES]  # persons first: their dates say most
    rows = sorted(state.engine.rows("dates_out_of_range"), key=lambda r: order.index(r[0]))
    for table, checked, outside in rows:
        if outside >= SHIFTED_MIN_ROWS and outside * 2 > checked:
            start, end = date_range
            raise DataError(
                f"{outside:,} of the {checked:,} {table} rows checked have a date outside "
                f"the valid range {start}..{end}",
                where=str(state.data_dir),
                hint="an extract whose dates were shifted (de-identified CDMs such as "
                "MIMIC-IV move them into the 2100s) needs --date-range to cover them, e.g. "
                "--date-range 1900-01-01:2300-12-31",
            )
