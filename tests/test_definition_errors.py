"""Bad definitions and codelists: exit 2 with file, field and hint; nothing written."""

import json
import re
import shutil

import polars as pl
import pytest

from pharmacoepi.definition import load_definition
from pharmacoepi.errors import DefinitionError
from pharmacoepi.resources import resource_dir
from tests.claims import Claims
from tests.cli import assert_user_error, run_cli


@pytest.fixture
def definition_dir(tmp_path):
    target = tmp_path / "cohorts"
    shutil.copytree(resource_dir("cohorts"), target)
    return target


@pytest.fixture
def data(tmp_path):
    return Claims().person(1).diagnosis(1, "2010-03-01").write(tmp_path / "data")


def _edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.mark.parametrize(
    ("old", "new", "fragments"),
    [
        (
            "  washout_days: 730",
            "  washout_days: 730\n  wash_out: 1",
            ["unknown key 'incident.wash_out'", "allowed keys here"],
        ),
        ("start: 2009-07-01", "start: 2009-13-01", ["study_period.start"]),
        ("  lookback_days: 183", "  lookback_days: -5", ["diagnosis_date.lookback_days"]),
        (
            "file: codelists/itp_diagnosis.csv",
            "file: codelists/nope.csv",
            ["codelist 'itp': file not found", "nope.csv"],
        ),
        ("  codelist: itp\n", "  codelist: itp_typo\n", ["'itp_typo' is not declared"]),
        (
            "settings: [hospital_primary, hospital_related, hospital_associated, "
            "long_term_disease]",
            "settings: [hospital]",
            ["case_finding.settings.0"],
        ),
        (
            "administrative_end: 2014-12-31",
            "administrative_end: 2010-12-31",
            ["administrative_end 2010-12-31 is before study_period.end"],
        ),
        (
            "  lookback_days: 183",
            "  lookback_days: 800",
            ["exceeds incident.prior_observation_days"],
        ),
        ("  washout_days: 730", "  washout_days: 99999999999", ["incident.washout_days"]),
        (
            "  min_age: 18",
            "  min_age: 18\n  min_age: 16",
            ["key 'min_age' is given twice", "line "],
        ),
    ],
    ids=[
        "unknown-key",
        "bad-date",
        "negative-days",
        "missing-codelist",
        "undeclared-codelist",
        "bad-setting",
        "admin-end-before-period",
        "lookback-beyond-observation",
        "huge-number",
        "duplicate-key",
    ],
)
def test_bad_definition(tmp_path, definition_dir, data, old, new, fragments):
    yaml_path = definition_dir / "itp_faith.yaml"
    _edit(yaml_path, old, new)
    out = tmp_path / "out"
    result = run_cli("build-cohort", yaml_path, "--data", data, "--out", out)
    assert_user_error(result, str(yaml_path), *fragments)
    assert not out.exists()


def test_empty_codelist(tmp_path, definition_dir, data):
    (definition_dir / "codelists" / "itp_diagnosis.csv").write_text("code,label\n")
    result = run_cli(
        "build-cohort", definition_dir / "itp_faith.yaml", "--data", data, "--out", tmp_path / "out"
    )
    assert_user_error(result, "codelist 'itp' is empty", "itp_diagnosis.csv")


def test_codelist_without_code_column(tmp_path, definition_dir, data):
    (definition_dir / "codelists" / "itp_diagnosis.csv").write_text("icd,label\nD693,x\n")
    result = run_cli(
        "build-cohort", definition_dir / "itp_faith.yaml", "--data", data, "--out", tmp_path / "out"
    )
    assert_user_error(result, "has no 'code' column", "columns: icd, label")


def test_unknown_definition_name(tmp_path, data):
    result = run_cli("build-cohort", "itp_faithh", "--data", data, "--out", tmp_path / "out")
    assert_user_error(result, "cohort definition 'itp_faithh' not found", "itp_faith")


@pytest.mark.parametrize(
    ("override", "fragments"),
    [
        ("incident.nope=3", ["unknown key 'incident.nope'", "washout_days"]),
        ("nothing", ["is not key=value"]),
        ("incident.washout_days=abc", ["incident.washout_days"]),
        (
            "treatments.classes.tpo_ra.course_gap_days=60",
            ["course_gap_days does not apply to kind 'dispensing'", "days_per_box"],
        ),
        ("treatments.classes.splenectomy.kind=course", ["kind 'course' needs course_gap_days"]),
        ("treatments.classes.tpo_ra.kind=infusion", ["treatments.classes.tpo_ra.kind"]),
        ("treatments.classes.tpo_ra.codelist=itp", ["'itp' has domain 'diagnoses'"]),
        ("treatments.classes.tpo_ra.days_per_box=0", ["treatments.classes.tpo_ra.days_per_box"]),
        ("phase.evidence_classes=[ivig, steroids]", ["phase.evidence_classes names steroids"]),
        ("phase.chronic_after_days=90", ["chronic_after_days (90) must exceed"]),
        ("treatments=null", ["needs a treatments section"]),
        ("analyses.survival.course_class=tpo_ra", ["'tpo_ra' is not a course class", "rituximab"]),
        ("analyses.survival.bleeding_codelist=tpo_ra", ["'tpo_ra' has domain 'dispensings'"]),
        ("treatments.convention=omop", ["treatments.convention"]),
        ("treatments.classes.tpo_ra.foo=1", ["unknown key", "days_per_box, effect_days"]),
        ("summaries.exposed_at_days=[91, 91]", ["lists a day twice"]),
    ],
)
def test_bad_override(tmp_path, data, override, fragments):
    result = run_cli(
        "build-cohort", "itp_faith", "--data", data, "--out", tmp_path / "out", "--set", override
    )
    assert_user_error(result, *fragments)


def test_override_is_applied_and_recorded(tmp_path):
    c = Claims().person(1).diagnosis(1, "2010-03-01").diagnosis(1, "2009-03-01")
    data = c.write(tmp_path / "data")
    out = tmp_path / "out"
    result = run_cli(
        "build-cohort",
        "itp_faith",
        "--data",
        data,
        "--out",
        out,
        "--set",
        "incident.washout_days=364",
    )
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["definition"]["overrides"] == {"incident.washout_days": 364}
    assert manifest["definition"]["resolved"]["incident"]["washout_days"] == 364
    plain = run_cli("build-cohort", "itp_faith", "--data", data, "--out", tmp_path / "out2")
    assert plain.returncode == 0, plain.stderr
    default = json.loads((tmp_path / "out2" / "manifest.json").read_text())
    # the code 365 days before is outside a 364-day washout, inside the default 730
    assert pl.read_parquet(out / "cohort.parquet")["person_id"].to_list() == [1]
    assert pl.read_parquet(tmp_path / "out2" / "cohort.parquet").height == 0
    assert default["definition"]["file_sha256"] == manifest["definition"]["file_sha256"]
    assert default["definition"]["resolved_sha256"] != manifest["definition"]["resolved_sha256"]
    assert manifest["stages"] and all(s["seconds"] >= 0 for s in manifest["stages"])
    assert manifest["inputs"]["diagnoses"]["rows"] == 2


def test_codelist_not_utf8(tmp_path, definition_dir, data):
    (definition_dir / "codelists" / "itp_diagnosis.csv").write_bytes(b"code,label\nD693,r\xe9f\n")
    result = run_cli(
        "build-cohort", definition_dir / "itp_faith.yaml", "--data", data, "--out", tmp_path / "out"
    )
    assert_user_error(result, "codelist 'itp' is not UTF-8", "save the CSV as UTF-8")


def test_definition_that_is_not_a_mapping(tmp_path, data):
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    result = run_cli("build-cohort", path, "--data", data, "--out", tmp_path / "out")
    assert_user_error(result, "a definition is a YAML mapping of keys", str(path))


def test_a_definition_extends_another_key_by_key(tmp_path):
    """`extends`: blocks merge, values replace, null removes an optional block; the base's
    codelists stay relative to the base, the variant's to the variant."""
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "steroids.csv").write_text("code,label\nH02AB07,prednisone\n")
    variant = tmp_path / "variant.yaml"
    variant.write_text(
        "extends: itp_faith\n"
        "name: variant\n"
        "incident: {washout_days: 365}\n"
        "primary: null\n"
        "codelists:\n"
        "  itp_first_line_drugs: {file: lists/steroids.csv, match: exact, domain: dispensings}\n"
    )
    loaded = load_definition(variant)
    base = load_definition("itp_faith")
    d = loaded.definition
    assert (d.name, d.incident.washout_days, d.primary) == ("variant", 365, None)
    assert d.incident.prior_observation_days == base.definition.incident.prior_observation_days
    assert loaded.codelists["itp_first_line_drugs"].codes == ("H02AB07",)
    assert loaded.codelists["itp"].path == base.codelists["itp"].path  # the base's folder


def test_an_extends_loop_is_refused(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nname: a\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\nname: b\n")
    with pytest.raises(DefinitionError, match="loop"):
        load_definition(tmp_path / "a.yaml")


def test_every_problem_at_once_a_misspelt_key_first_with_the_key_meant(
    tmp_path, definition_dir, data
):
    yaml_path = definition_dir / "itp_faith.yaml"
    _edit(yaml_path, "  washout_days: 730", "  washout: 730")
    _edit(yaml_path, "diagnosis_date:", "diagnosis_dat:")
    _edit(yaml_path, "  min_age: 18", "  min_age: -3")
    result = run_cli("build-cohort", yaml_path, "--data", data, "--out", tmp_path / "out")
    assert_user_error(result, "4 problems in the definition", str(yaml_path))
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip().startswith("- ")]
    # unknown keys (each with the key meant), then the missing key they cause, then values
    assert lines[0] == "- unknown key 'incident.washout' (did you mean 'incident.washout_days'?)"
    assert lines[1] == "- unknown key 'diagnosis_dat' (did you mean 'diagnosis_date'?)"
    assert lines[2] == "- missing key 'incident.washout_days'"
    assert lines[3].startswith("- adult.min_age:")
    assert "allowed keys here: prior_observation_days, washout_days" in result.stderr


def test_a_key_at_the_wrong_level_is_found_where_it_belongs(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\nwashout: 365\n")
    with pytest.raises(DefinitionError) as caught:
        load_definition(str(path))
    message = caught.value.message
    first = message.splitlines()[1].strip()
    assert first == "- unknown key 'washout' (did you mean 'incident.washout_days'?)"
    # every required block missing is named in the same run
    for block in ("study_period", "codelists", "case_finding", "incident", "follow_up"):
        assert f"- missing key '{block}'" in message


def test_one_problem_is_one_line(tmp_path, definition_dir):
    yaml_path = definition_dir / "itp_faith.yaml"
    _edit(yaml_path, "  washout_days: 730", "  washout_days: 730\n  wahsout_days: 1")
    with pytest.raises(DefinitionError) as caught:
        load_definition(str(yaml_path))
    error = caught.value
    assert error.message == (
        "unknown key 'incident.wahsout_days' (did you mean 'incident.washout_days'?)"
    )
    assert error.where == f"{yaml_path}: incident.wahsout_days"


def test_a_codelist_matching_no_code_of_the_data_is_named(tmp_path, definition_dir, data):
    # a tiny extract: one ITP code and nothing else; the other lists select nobody
    out = tmp_path / "out"
    result = run_cli("build-cohort", definition_dir / "itp_faith.yaml", "--data", data,
                     "--out", out)  # fmt: skip
    assert result.returncode == 0, result.stderr
    (warned,) = [line for line in result.stderr.splitlines() if "warning:" in line]
    assert "codelist(s) match no code in the data: " in warned
    named = warned.split("in the data: ")[1].split(";")[0].split(", ")
    # the data holds D69.3 only: the ITP list matches, the others do not
    assert "bleeding (diagnoses)" in named and "corticosteroids (dispensings)" in named
    assert not any(n.startswith(("itp ", "charlson_")) for n in named)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["warnings"] == [warned.split("itp_faith: ", 1)[1]]


def test_the_docs_name_every_required_key():
    """docs/cohort-definitions.md lists the keys the schema requires, no more, no fewer."""
    from pharmacoepi.definition.load import _model_in
    from pharmacoepi.definition.root import Definition

    def required(model, prefix=""):
        keys = []
        for name, field in model.model_fields.items():
            key = prefix + (field.alias or name)
            inner, keyed = _model_in(field.annotation)
            if field.is_required():
                nested = required(inner, key + ".") if inner is not None and not keyed else []
                keys += nested or [key]  # a block is named by its required keys
        return keys

    text = (resource_dir("cohorts").parent / "docs" / "cohort-definitions.md").read_text()
    paragraph = text.split("Required (a definition")[1].split("Every other key")[0]
    documented = set(re.findall(r"`([\w.]+)`", paragraph))
    assert set(required(Definition)) == documented


def test_a_block_another_needs_is_asked_for_by_name(tmp_path):
    with pytest.raises(DefinitionError) as caught:
        load_definition("itp_faith", {"treatments": None})
    error = caught.value
    assert error.message.startswith("phase needs a treatments section")
    assert "(top level)" not in error.render()
