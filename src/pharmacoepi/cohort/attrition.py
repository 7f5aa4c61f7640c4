"""The attrition table: persons remaining after each rule, raw and with small cells masked."""

from __future__ import annotations

import polars as pl

from pharmacoepi.definition import Definition
from pharmacoepi.engines import Engine
from pharmacoepi.privacy import suppress_attrition

SCHEMA = {"step": pl.Int32, "description": pl.String, "persons": pl.Int64, "excluded": pl.Int64}


def descriptions(d: Definition) -> list[str]:
    finders = []
    if d.case_finding.codelist is not None:
        settings = ", ".join(d.case_finding.settings)
        finders.append(f"qualifying {d.case_finding.codelist} code ({settings})")
    if (by := d.case_finding.dispensings) is not None:
        finders.append(
            f"{by.min_count} dispensing days of {', '.join(by.codelists)} "
            f"within {by.within_days} days"
        )
    found = " or ".join(finders)
    prior = d.incident.prior_observation_days
    observed = (
        "no observation requirement" if prior is None else f"{prior} days of prior observation"
    )
    primary = (
        f"primary: no {d.primary.codelist} code in [index_date - {d.primary.days_before}, "
        f"index_date + {d.primary.days_after}]"
        if d.primary
        else "primary: no rule in the definition (every case kept)"
    )
    return [
        "persons in the extract (valid rows)",
        f"{found} in {d.study_period.start}..{d.study_period.end}",
        f"incident: no qualifying date in the {d.incident.washout_days} days before "
        f"code_date, {observed}",
        primary,
        f"adult: age >= {d.adult.min_age} at index_date",
        *([f"sex: {', '.join(d.sex.include)}"] if d.sex else []),
    ]


def attrition_table(engine: Engine, d: Definition) -> pl.DataFrame:
    """Counts from the attrition_counts stage, with descriptions and exclusions per step."""
    counts = dict(engine.rows("attrition_counts"))
    steps = 6 if d.sex is not None else 5
    persons = [counts[i] for i in range(steps)]
    excluded = [None] + [persons[i - 1] - persons[i] for i in range(1, len(persons))]
    return pl.DataFrame(
        {
            "step": range(len(persons)),
            "description": descriptions(d),
            "persons": persons,
            "excluded": excluded,
        },
        schema=SCHEMA,
    )


def suppressed(attrition: pl.DataFrame, min_cell_count: int) -> pl.DataFrame:
    """The exportable table: small counts and what would reveal them masked (null)."""
    masked = suppress_attrition(attrition["persons"].to_list(), min_cell_count)
    return attrition.with_columns(
        pl.Series("persons", [p for p, _ in masked], dtype=pl.Int64),
        pl.Series("excluded", [e for _, e in masked], dtype=pl.Int64),
        pl.lit(min_cell_count, dtype=pl.Int32).alias("min_cell_count"),
    )
