"""`pharmacoepi list`: every shipped definition, example and study, each given as the
command line takes it, with its title."""

from __future__ import annotations

from pathlib import Path

from pharmacoepi.definition import load_definition
from pharmacoepi.definition.shipped import shipped
from pharmacoepi.resources import resource_dir
from pharmacoepi.study.spec import load_study
from tests.cli import run_cli


def test_every_shipped_file_is_listed_and_loads_as_listed():
    items = shipped()
    cohorts = resource_dir("cohorts")
    files = {
        *cohorts.glob("*.yaml"),
        *cohorts.glob("examples/*.yaml"),
        *cohorts.glob("studies/*.yaml"),
    }
    assert {i.path for i in items} == files
    for item in items:
        if item.kind == "study":
            load_study(Path(item.spec))
        else:  # the name build-cohort takes loads the file listed
            loaded = load_definition(item.spec)
            assert loaded.path.resolve() == item.path.resolve()
            assert item.title == loaded.definition.title
    kinds = {i.spec: i.kind for i in items}
    assert kinds["itp_faith"] == "definition" and kinds["examples/eunomia_celecoxib"] == "example"


def test_the_command_prints_names_and_titles():
    result = run_cli("list", env={"COLUMNS": "250"})
    assert result.returncode == 0, result.stderr
    assert "itp_faith" in result.stdout
    assert "Incident primary ITP in adults (FAITH-like)" in result.stdout
    assert "examples/eunomia_gi_bleed" in result.stdout
    assert "demo: itp_faith, ms_dmt" in result.stdout
