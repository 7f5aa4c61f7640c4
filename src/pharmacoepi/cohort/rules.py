"""The rule stages of a cohort definition, with the parameters each takes from the YAML.

Order matters and is the attrition order (docs/cohort-definitions.md).
"""

from __future__ import annotations

from pharmacoepi.definition import Definition
from pharmacoepi.engine import Engine


def run_rules(engine: Engine, d: Definition) -> None:
    engine.run("cohort/observation_spells")
    engine.run("cohort/codelist_matches")
    engine.run(
        "cohort/qualifying_codes",
        {"codelist": d.case_finding.codelist, "settings": list(d.case_finding.settings)},
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
    engine.run(
        "cohort/index_date",
        {"codelist": d.diagnosis_date.codelist, "lookback_days": d.diagnosis_date.lookback_days},
    )
    engine.run(
        "cohort/classify_cases",
        {
            "codelist": d.primary.codelist,
            "settings": list(d.primary.settings),
            "days_before": d.primary.days_before,
            "days_after": d.primary.days_after,
        },
    )
    engine.run(
        "cohort/cohort",
        {"min_age": d.adult.min_age, "administrative_end": d.follow_up.administrative_end},
    )
    engine.run("cohort/attrition_counts")
