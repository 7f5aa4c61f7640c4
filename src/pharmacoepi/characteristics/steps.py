"""The steps of Table 1 (`characteristics:`): the definition's features as registered
tables (no value pasted into SQL), the persons, windows and strata, the coded features
(their codelists were screened with the others, in the one pass over the coded tables),
hospital use and drug variety when asked for, every person's covariates, and the raw cells;
then characteristics.parquet (raw here: the disclosure package masks it)."""

from __future__ import annotations

import pyarrow as pa

from pharmacoepi.characteristics import charlson
from pharmacoepi.characteristics.features import (
    FEATURES_SCHEMA,
    age_bands_table,
    features,
    windows_table,
)
from pharmacoepi.characteristics.table import characteristics_table
from pharmacoepi.definition import Definition
from pharmacoepi.plan import RunState, Step, python, sql

# the characters of an ATC code's 4th level (chemical subgroup, 'B01AF')
ATC4_LENGTH = 5
_EMPTY = {
    "exposures": pa.schema(
        [
            ("person_id", pa.int64()),
            ("class", pa.string()),
            ("start_date", pa.date32()),
            ("end_date", pa.date32()),
        ]
    ),  # fmt: skip
    "first_lines": pa.schema(
        [("person_id", pa.int64()), ("regimen", pa.string()), ("efficacy_group", pa.string())]
    ),
    "person_phases": pa.schema([("person_id", pa.int64()), ("phase", pa.string())]),
    "hospital_use": pa.schema(
        [
            ("person_id", pa.int64()),
            ("feature", pa.string()),
            ("window_name", pa.string()),
            ("value", pa.float64()),
        ]
    ),  # fmt: skip
}
_EMPTY["drug_variety"] = _EMPTY["hospital_use"]


def _class_groups(d: Definition) -> pa.Table:
    classes = d.treatments.classes if d.treatments else {}
    pairs = [(n, k.efficacy_group) for n, k in classes.items() if k.efficacy_group]
    return pa.table(
        {"class": [p[0] for p in pairs], "efficacy_group": [p[1] for p in pairs]},
        schema=pa.schema([("class", pa.string()), ("efficacy_group", pa.string())]),
    )


def steps(d: Definition) -> list[Step]:
    c = d.characteristics
    if c is None:
        return []
    registered = {
        "characteristic_features": pa.Table.from_pylist(features(c), schema=FEATURES_SCHEMA),
        "characteristic_window_defs": windows_table(c),
        "characteristic_age_bands": age_bands_table(c),
        "characteristic_strata": pa.table({"stratum": pa.array(list(c.strata), pa.string())}),
        "characteristic_class_groups": _class_groups(d),
        "charlson_components": charlson.components_table(),
        "charlson_categories": charlson.categories_table(),
    }
    treated = d.treatments is not None
    empty = [] if treated else ["exposures", "first_lines"]
    if d.phase is None:
        empty.append("person_phases")
    stays = any(u in c.utilisation for u in ("hospital_stays", "hospital_days"))
    variety = "distinct_atc4" in c.utilisation
    empty += [] if stays else ["hospital_use"]
    empty += [] if variety else ["drug_variety"]

    def register(state: RunState) -> None:
        for name, table in registered.items():
            state.engine.register(name, table)
        for name in empty:
            state.engine.register(name, _EMPTY[name].empty_table())

    def summarise(state: RunState) -> None:
        cells = state.engine.frame("characteristic_cells")
        state.results["characteristics.parquet"] = characteristics_table(cells, c)

    person_id = _person_id_type
    plan = [
        python("characteristics/definitions", register, creates=(*registered, *empty)),
        sql("characteristics/characteristic_persons"),
        sql("characteristics/characteristic_windows"),
    ]
    if treated:
        plan.append(sql("characteristics/first_lines"))
    if d.phase is not None:
        plan.append(sql("characteristics/person_phases"))
    plan.append(sql("characteristics/person_strata"))
    plan.append(sql("characteristics/coded_features"))
    if stays:
        plan.append(sql("characteristics/hospital_use", identifiers=person_id))
    if variety:
        plan.append(sql("characteristics/drug_variety", {"atc4_length": ATC4_LENGTH}, person_id))
    plan += [
        sql("characteristics/covariates"),
        sql(
            "characteristics/characteristic_cells",
            {"lower_quartile": 0.25, "median": 0.5, "upper_quartile": 0.75},
        ),
        python(
            "characteristics/characteristics.parquet",
            summarise,
            inputs=("characteristic_cells",),
            gives=("characteristics.parquet",),
        ),
    ]
    return plan


def _person_id_type(state: RunState) -> dict[str, str]:
    """Identifiers are compared as the source stores them (screening/steps.py)."""
    return {"person_id_type": state.results["source"].id_type("person_id")}
