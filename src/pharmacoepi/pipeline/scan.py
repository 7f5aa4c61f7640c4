"""One scan for several definitions: the screening of a data folder run once for all the
definitions of a study that read it alike, then each definition on its own rows.

A study's cohorts and sensitivity variants mostly read the same big tables through
different codelists. The scan screens the union of their codelists in one pass (each
codelist keyed by name and content: two definitions' codelists that share a name but not
their codes are screened apart), shares the screened tables with one engine session per
definition, and each session first takes its own part: the vocabulary of its codelists
under its own names and the rows of the coded tables its own build would have screened,
problems included. From there its plan is build-cohort's, step for step.

A step every definition runs alike on the tables the screening makes whole (the same SQL
stage with the same values: observation_spells) runs once, in the screening, and is
shared like its tables (`common_steps`).

Definitions are scanned together when the screening would be the same for each: the
same source layout, valid dates and SNDS coverage settings (`scan_key`). A scan of one
definition shares nothing: its plan runs in the screening's own session, which is what
`build-cohort` does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import pyarrow as pa

from pharmacoepi.definition import Codelist, LoadedDefinition
from pharmacoepi.plan import RunState, Step, python, sql

# The screened tables a definition takes its own rows of (the rest it reads whole).
OWN_ROWS = {
    "code_vocabulary": "screen/own_code_vocabulary",
    "codelist_concepts": "screen/own_codelist_concepts",
    "screened_diagnoses": "screen/own_diagnoses",
    "screened_dispensings": "screen/own_dispensings",
    "screened_procedures": "screen/own_procedures",
}
# What the output step reads of the source besides its plan's tables (the manifest's
# problem counts).
ALSO_SHARED = ("source_problems",)


def scan_key(loaded: LoadedDefinition, source: str, date_range: tuple[dt.date, dt.date]):
    """Definitions with equal keys screen the data alike: one scan serves them all."""
    follow_up = loaded.definition.follow_up
    return (source, date_range, follow_up.snds_coverage, follow_up.snds_history_start)


def keyed_codelists(
    definitions: Sequence[LoadedDefinition],
) -> tuple[list[Codelist], list[dict[str, str]]]:
    """The union of the definitions' codelists, each distinct one once under a scan key
    (its name; `name~<sha>` when definitions give one name to different codes), and,
    per definition, its codelists' scan key -> own name."""
    contents: dict[str, set[str]] = {}
    for loaded in definitions:
        for name, codelist in loaded.codelists.items():
            contents.setdefault(name, set()).add(codelist.sha256)

    def key(codelist: Codelist) -> str:
        clash = len(contents[codelist.name]) > 1
        return f"{codelist.name}~{codelist.sha256[:12]}" if clash else codelist.name

    union: dict[str, Codelist] = {}
    keys = []
    for loaded in definitions:
        own = {}
        for codelist in loaded.codelists.values():
            union.setdefault(key(codelist), dataclasses.replace(codelist, name=key(codelist)))
            own[key(codelist)] = codelist.name
        keys.append(own)
    return list(union.values()), keys


def common_steps(
    definitions: Sequence[Sequence[Step]], whole: set[str]
) -> tuple[list[Step], list[list[Step]]]:
    """The steps every definition runs alike on tables the screening makes whole (the
    same SQL stage with the same values, reading nothing a definition made itself): run
    once, in the screening's session, and shared like its tables (observation_spells).
    Returns them, and each definition's plan without them."""
    common: list[Step] = []
    taken: list[set[int]] = [set() for _ in definitions]  # positions hoisted, per plan
    made = set(whole)
    for step in definitions[0]:
        if not _static(step):
            continue
        spots = [_spot(step, steps, made, t) for steps, t in zip(definitions, taken, strict=True)]
        if all(spot is not None for spot in spots):
            common.append(step)
            made.update(step.tables_created())
            for t, spot in zip(taken, spots, strict=True):
                t.add(spot)
    rest = [[s for j, s in enumerate(steps) if j not in t]
            for steps, t in zip(definitions, taken, strict=True)]  # fmt: skip
    return common, rest


def _spot(step: Step, steps: Sequence[Step], made: set[str], taken: set[int]) -> int | None:
    """Where `step` runs alike in `steps`: the same step, reading only shared tables that
    no step of this plan before it remade; None if nowhere, or if another step of the
    plan makes a table of the same name (the shared one would be shadowed)."""
    own = set()  # tables this plan makes itself before the step
    spot = None
    for j, other in enumerate(steps):
        if j in taken:
            continue
        if spot is None and _same(step, other) and set(other.tables_read()) <= made - own:
            spot = j
            continue
        own.update(other.tables_created())
    if spot is None or own & set(step.tables_created()):
        return None
    return spot


def _same(a: Step, b: Step) -> bool:
    """Two static SQL steps that run the same stage with the same values."""
    return (_static(a) and _static(b) and a.stage == b.stage
            and dict(a.params) == dict(b.params)
            and dict(a.identifiers) == dict(b.identifiers))  # fmt: skip


def _static(step: Step) -> bool:
    # values computed when the step runs (from earlier results) cannot be compared here
    return step.stage is not None and not callable(step.params) and not callable(step.identifiers)


def share_step(tables: Sequence[str]) -> Step:
    """In the screening's session: every table the definitions read of it, shared."""

    def share(state: RunState) -> None:
        for table in tables:
            state.engine.share(table)

    return python(
        "screen/share", share, inputs=tuple(tables), creates=tuple(f"shared_{t}" for t in tables)
    )


def own_rows_steps(tables: Sequence[str], keys: dict[str, str]) -> list[Step]:
    """In a definition's session: the shared tables under their usual names, its own part
    of the coded tables and of the vocabulary (`keys`: scan key -> its codelist name)."""
    whole = [t for t in tables if t not in OWN_ROWS]
    codelist_keys = pa.table(
        {
            "scan_key": pa.array(list(keys), pa.string()),
            "codelist": pa.array(list(keys.values()), pa.string()),
        }
    )

    def attach(state: RunState) -> None:
        state.engine.register("codelist_keys", codelist_keys)
        for table in whole:
            state.engine.alias(table, f"shared_{table}")

    return [
        python(
            "screen/shared_tables",
            attach,
            inputs=tuple(f"shared_{t}" for t in whole),
            creates=("codelist_keys", *whole),
        ),
        *(sql(OWN_ROWS[t]) for t in OWN_ROWS if t in tables),
    ]
