"""A run is a plan of declared steps (pharmacoepi.plan): every step finds what it reads made
by an earlier step, for every shipped definition on every layout; a plan missing a step
says which step lacks which table or result."""

from __future__ import annotations

from pathlib import Path

import pytest

from pharmacoepi import plan
from pharmacoepi.definition import load_definition
from pharmacoepi.pipeline.build import GIVEN, build_plan
from pharmacoepi.pipeline.drug_eras import drug_era_plan
from pharmacoepi.pipeline.validate import validate_plan
from pharmacoepi.resources import resource_dir
from pharmacoepi.sources import SOURCES

# every shipped definition; cohorts/studies/ holds study files (docs/batch.md), not
# definitions
DEFINITIONS = sorted(
    str(p.relative_to(resource_dir("cohorts")))
    for p in resource_dir("cohorts").rglob("*.yaml")
    if "studies" not in p.relative_to(resource_dir("cohorts")).parts
)


def test_there_are_definitions_to_plan():
    assert {"itp_faith.yaml", "ms_dmt.yaml"} <= set(DEFINITIONS)
    assert any(d.startswith("examples/") for d in DEFINITIONS)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("definition", DEFINITIONS)
def test_every_build_plan_holds(definition, source):
    loaded = load_definition(definition)
    steps = build_plan(loaded, source)
    assert plan.check(steps, results=GIVEN) == []
    names = [s.name for s in steps]
    assert names[-3:] == ["outputs/individual", "disclosure/mask", "outputs/aggregates"]


@pytest.mark.parametrize("source", SOURCES)
def test_validate_plans_hold(source):
    assert plan.check(validate_plan(source)) == []


def test_the_drug_era_plan_holds():
    assert plan.check(drug_era_plan(Path("drug_era.parquet"), 30)) == []


def test_a_missing_step_is_named_with_what_it_would_have_made():
    steps = [s for s in build_plan(load_definition("itp_faith")) if s.name != "cohort/incident"]
    missing = plan.check(steps, results=GIVEN)
    assert plan.Missing("cohort/index_date", "table", "incident_cases") in missing
    assert {m.step for m in missing} >= {"cohort/attrition_counts", "cohort/index_date"}
    with pytest.raises(RuntimeError, match="cohort/index_date reads table incident_cases"):
        plan.checked(steps, results=GIVEN)


def test_a_result_used_before_it_is_given_is_named():
    steps = [s for s in build_plan(load_definition("itp_faith")) if s.name != "cohort/attrition"]
    missing = plan.check(steps, results=GIVEN)
    assert plan.Missing("disclosure/mask", "result", "attrition.parquet") in missing


def test_a_step_name_is_given_once():
    steps = build_plan(load_definition("itp_faith"))
    missing = plan.check([*steps, steps[5]], results=GIVEN)
    assert plan.Missing(steps[5].name, "duplicate step name", steps[5].name) in missing


def test_the_cohort_rules_run_in_attrition_order():
    names = [s.name for s in build_plan(load_definition("itp_faith"))]
    rules = ["cohort/qualifying_codes", "cohort/first_code_in_period", "cohort/incident",
             "cohort/index_date", "cohort/classify_cases", "cohort/cohort",
             "cohort/attrition_counts", "cohort/attrition"]  # fmt: skip
    assert [n for n in names if n in rules] == rules
    # screening before the rules, treatments after them, analyses before the outputs
    assert names.index("screen/rejected_rows") < names.index("cohort/observation_spells")
    assert names.index("cohort/cohort") < names.index("treatments/treatment_records")
    assert names.index("analyses/survival.parquet") < names.index("disclosure/mask")


def test_a_composite_step_reads_only_what_its_stages_do_not_make():
    (lines,) = [s for s in build_plan(load_definition("ms_dmt")) if s.name == "treatments/lines"]
    assert set(lines.tables_read()) == {"cohort", "treatment_episodes"}
    assert {"lines", "line_starts", "line_regimens"} <= set(lines.tables_created())


def test_an_omop_plan_maps_the_cdm_before_screening():
    names = [s.name for s in build_plan(load_definition("itp_faith"), "omop")]
    assert names[0] == "sources/omop/files"
    assert names.index("sources/omop/persons") < names.index("screen/persons")
    assert names.index("sources/omop/codelist_concepts") < names.index("screen/diagnoses")
    assert names.index("screen/procedures") < names.index("sources/omop/concept_procedures")


def test_a_step_is_a_stage_or_an_action():
    with pytest.raises(ValueError, match="one of them"):
        plan.Step("nothing")
    with pytest.raises(ValueError, match="one of them"):
        plan.Step("both", stage="cohort/incident", action=lambda state: None)
    with pytest.raises(ValueError, match="header says"):
        plan.Step("cohort/incident", stage="cohort/incident", inputs=("cohort",))
