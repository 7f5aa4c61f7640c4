"""The rule stages of a cohort definition, in attrition order, with the parameters each
takes from the YAML (docs/cohort-definitions.md). The order is this module's list."""

from __future__ import annotations

import pyarrow as pa

from pharmacoepi.definition import Codelist, Definition
from pharmacoepi.plan import Step, python, sql

_GROUPS = pa.schema([("code", pa.string()), ("code_group", pa.string())])


def cause_groups(codelist: Codelist | None) -> pa.Table:
    """The secondary-cause codelist's entries and their group (the CSV's `group` column),
    a table the classify stage joins: values reach SQL as data, never as text."""
    if codelist is None:
        return _GROUPS.empty_table()
    rows = [
        {"code": code, "code_group": group}
        for code, group in zip(codelist.codes, codelist.groups, strict=False)
        if group
    ]
    return pa.Table.from_pylist(rows, schema=_GROUPS)


def steps(d: Definition, codelists: dict[str, Codelist] | None = None) -> list[Step]:
    """observation spells and codelist matches, then case finding, incident, index date,
    primary, adult, sex and follow-up; then the persons remaining after each rule.
    `codelists`: the loaded codelists (the secondary causes' groups)."""
    finding = d.case_finding
    repeated = finding.repeated or finding.dispensings  # the same rule, two spellings
    excluded = finding.exclude_persons
    # An absent rule runs with a codelist name no codelist has (a NULL never matches), so
    # the stage keeps every case: index_date = code_date, nobody secondary.
    dx_date, primary = d.diagnosis_date, d.primary
    sexes = list(d.sex.include) if d.sex else ["M", "F"]
    persistent = d.persistent_treatment
    groups = cause_groups((codelists or {}).get(primary.codelist) if primary else None)
    return [
        sql("cohort/observation_spells"),
        sql("cohort/codelist_matches"),
        sql(
            "cohort/qualifying_codes",
            {
                "codelist": finding.codelist,
                "settings": list(finding.settings),
                "repeated_settings": list(finding.repeated.settings) if finding.repeated else [],
                "dispensing_codelists": list(finding.evidence_dispensings),
                "min_count": repeated.min_count if repeated else 1,
                "within_days": repeated.within_days if repeated else 0,
                "repeated_finds": finding.repeated.finds if finding.repeated else True,
                "dated_at": finding.dated_at,
                "exclusion_codelist": excluded.codelist if excluded else None,
                "exclusion_settings": list(excluded.settings) if excluded else [],
            },
        ),
        sql(
            "cohort/first_code_in_period",
            {"study_start": d.study_period.start, "study_end": d.study_period.end},
        ),
        sql(
            "cohort/incident",
            {
                "washout_days": d.incident.washout_window,
                "prior_observation_days": d.incident.prior_observation_days,
            },
        ),
        sql(
            "cohort/index_date",
            {
                "codelist": dx_date.codelist if dx_date else None,
                "lookback_days": dx_date.lookback_days if dx_date else 0,
            },
        ),
        python(
            "cohort/secondary_cause_groups",
            lambda state: state.engine.register("secondary_cause_groups", groups),
            creates=("secondary_cause_groups",),
        ),
        sql(
            "cohort/classify_cases",
            {
                "codelist": primary.codelist if primary else None,
                "settings": list(primary.settings) if primary else [],
                "days_before": primary.days_before if primary else 0,
                "days_after": primary.days_after if primary else 0,
            },
        ),
        sql(
            "cohort/cohort",
            {
                "min_age": d.adult.min_age,
                "sexes": sexes,
                "administrative_end": d.follow_up.administrative_end,
                "reindex": persistent is not None,
                "reindex_codelists": [d.treatments.classes[c].codelist for c in persistent.classes]
                if persistent and d.treatments
                else [],
                "reindex_after_days": persistent.after_days if persistent else 0,
                "reindex_min_follow_up_days": persistent.min_follow_up_days if persistent else 0,
            },
        ),
        sql("cohort/attrition_counts", {"min_age": d.adult.min_age, "sexes": sexes}),
    ]
