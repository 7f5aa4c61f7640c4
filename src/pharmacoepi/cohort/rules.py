"""The rule stages of a cohort definition, with the parameters each takes from the YAML.

Order matters and is the attrition order (docs/cohort-definitions.md).
"""

from __future__ import annotations

from pharmacoepi.definition import Definition
from pharmacoepi.engines import Engine


def run_rules(engine: Engine, d: Definition) -> None:
    engine.run("cohort/observation_spells")
    engine.run("cohort/codelist_matches")
    by_dispensings = d.case_finding.dispensings
    engine.run(
        "cohort/qualifying_codes",
        {
            "codelist": d.case_finding.codelist,
            "settings": list(d.case_finding.settings),
            "dispensing_codelists": list(by_dispensings.codelists) if by_dispensings else [],
            "min_count": by_dispensings.min_count if by_dispensings else 1,
            "within_days": by_dispensings.within_days if by_dispensings else 0,
        },
    )
    engine.run(
        "cohort/first_code_in_period",
        {"study_start": d.study_period.start, "study_end": d.study_period.end},
    )
    engine.run(
        "cohort/incident",
        {
            "washout_days": d.incident.washout_days,
            "prior_observation_days": d.incident.prior_observation_days,
        },
    )
    # An absent rule runs with a codelist name no codelist has (a NULL never matches),
    # so the stage keeps every case: index_date = code_date, nobody secondary.
    dx_date = d.diagnosis_date
    engine.run(
        "cohort/index_date",
        {
            "codelist": dx_date.codelist if dx_date else None,
            "lookback_days": dx_date.lookback_days if dx_date else 0,
        },
    )
    primary = d.primary
    engine.run(
        "cohort/classify_cases",
        {
            "codelist": primary.codelist if primary else None,
            "settings": list(primary.settings) if primary else [],
            "days_before": primary.days_before if primary else 0,
            "days_after": primary.days_after if primary else 0,
        },
    )
    sexes = list(d.sex.include) if d.sex else ["M", "F"]
    engine.run(
        "cohort/cohort",
        {
            "min_age": d.adult.min_age,
            "sexes": sexes,
            "administrative_end": d.follow_up.administrative_end,
        },
    )
    engine.run("cohort/attrition_counts", {"min_age": d.adult.min_age})
