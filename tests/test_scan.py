"""One scan for several definitions (pipeline/scan.py): the plan, the manifests, the
codelist keys, a failed screening, and the shipped definitions scanned together on the
default dataset (the per-rule spec of a scan, on both engines: tests/spec/test_shared_scan.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pharmacoepi.definition import load_definition
from pharmacoepi.errors import DataError
from pharmacoepi.pipeline.build import Member, build_cohort, build_scan, plan_scan
from pharmacoepi.pipeline.scan import common_steps, keyed_codelists
from pharmacoepi.plan import sql
from tests.claims import Claims
from tests.scans import QUIET, assert_same_outputs, other_itp, scan


@pytest.fixture(scope="module")
def small_claims(tmp_path_factory) -> Path:
    c = Claims()
    c.person(1).diagnosis(1, "2010-03-01").dispensing(1, "2010-03-02")
    c.person(3).diagnosis(3, "2010-05-01", code="G35").dispensing(3, "2010-06-01", atc="L04AA23")
    return c.write(tmp_path_factory.mktemp("scan") / "data")


def test_a_scan_screens_once_and_says_so_in_each_manifest(small_claims, tmp_path):
    members = [Member(load_definition(n), tmp_path / n) for n in ("itp_faith", "ms_dmt")]
    scan(members, small_claims)
    for m in members:
        stages = json.loads((m.out_dir / "manifest.json").read_text())["stages"]
        shared = [s["stage"] for s in stages if s.get("shared")]
        own = [s["stage"] for s in stages if not s.get("shared")]
        assert "screen/dispensings" in shared and "screen/dispensings" not in own
        assert {"screen/own_dispensings", "cohort/cohort"} <= set(own)
    # a scan of one shares nothing: build-cohort's plan, one session
    alone = plan_scan([load_definition("itp_faith")])
    assert not alone.shared
    assert "screen/share" not in [s.name for s in alone.screening]


def test_codelists_are_keyed_by_content_only_when_names_clash(tmp_path):
    itp, ms = load_definition("itp_faith"), load_definition("ms_dmt")
    other = load_definition(str(other_itp(tmp_path)))
    union, keys = keyed_codelists([itp, ms, other])
    names = [c.name for c in union]
    assert len(names) == len(set(names))
    # diabetes is one file in both shipped definitions: screened once, under its name
    assert names.count("diabetes") == 1 and keys[1]["diabetes"] == "diabetes"
    clashing = sorted(n for n in names if n.startswith("itp~"))
    assert len(clashing) == 2 and "itp" not in names
    # each definition reads its own `itp` under its own name, not the other's
    (faith,) = [k for k in clashing if k in keys[0]]
    (mine,) = [k for k in clashing if k in keys[2]]
    assert faith != mine and keys[0][faith] == keys[2][mine] == "itp"
    assert faith.endswith(itp.codelists["itp"].sha256[:12])


def test_a_failed_screening_fails_every_member_and_each_is_told(tmp_path):
    c = Claims()
    for pid in range(1, 30):  # persons mostly outside the valid dates: a shifted extract
        c.person(pid, birth="2150-01-01", covered=None)
    data = c.write(tmp_path / "data")
    members = [Member(load_definition(n), tmp_path / n) for n in ("itp_faith", "ms_dmt")]
    results = scan(members, data)
    assert all(isinstance(r, DataError) for r in results.values())
    assert not any(m.out_dir.exists() for m in members)


@pytest.fixture(scope="module")
def default_builds(default_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("scan_default")
    loaded = {n: load_definition(n) for n in ("itp_faith", "ms_dmt")}
    for name, d in loaded.items():
        build_cohort(d, default_data, out / "alone" / name, reporter=QUIET)
    members = [Member(d, out / "scan" / name) for name, d in loaded.items()]
    assert not any(isinstance(r, Exception) for r in scan(members, default_data).values())
    return out


@pytest.mark.parametrize("name", ["itp_faith", "ms_dmt"])
def test_the_shipped_definitions_scanned_together_equal_their_own_builds(default_builds, name):
    assert_same_outputs(default_builds / "scan" / name, default_builds / "alone" / name)


def test_a_step_every_definition_runs_alike_runs_once_in_the_screening():
    planned = plan_scan([load_definition("itp_faith"), load_definition("ms_dmt")])
    assert "cohort/observation_spells" in [s.name for s in planned.screening]
    for steps in planned.definitions:
        names = [s.name for s in steps]
        assert "cohort/observation_spells" not in names
        assert "cohort/qualifying_codes" in names  # reads its own rows: its own
    # only the same stage with the same values, reading only what the screening makes whole
    spells, cells = sql("cohort/observation_spells"), sql("analyses/person_time_cells", {"y": 1})
    periods = {"screened_observation_periods"}
    assert common_steps([[spells], [spells]], periods) == ([spells], [[], []])
    assert common_steps([[spells], []], periods) == ([], [[spells], []])
    assert common_steps([[spells], [spells]], set()) == ([], [[spells], [spells]])
    other = sql("analyses/person_time_cells", {"y": 2})
    assert common_steps([[cells], [other]], {"at_risk_intervals"})[0] == []
    assert common_steps([[cells], [cells]], {"at_risk_intervals"})[0] == [cells]
    computed = sql("analyses/person_time_cells", lambda state: {"y": 1})
    assert common_steps([[computed], [computed]], {"at_risk_intervals"})[0] == []
    # a table a definition makes itself before the step: the step reads that one, its own
    intervals = sql("analyses/at_risk_intervals", {"washout_days": 1})
    common, rest = common_steps([[cells], [intervals, cells]], {"at_risk_intervals"})
    assert common == [] and rest == [[cells], [intervals, cells]]
    # nor is a step hoisted whose table a definition also makes under the same name
    common, _ = common_steps([[spells], [spells, spells]], periods)
    assert common == []


def test_a_member_failing_in_its_last_steps_is_alone_to_fail(small_claims, tmp_path, monkeypatch):
    # the disclosure pass runs beside the next member's engine work: a failure there
    # removes that member's folder only, and the members still end in order
    from pharmacoepi.pipeline import outputs as output_steps

    real = output_steps.audit

    def audit(raw, masked, steps, facts):
        if facts.course_class is None and facts.chronic_after_days is None:
            raise RuntimeError("audit broken for ms_dmt")
        return real(raw, masked, steps, facts)

    monkeypatch.setattr(output_steps, "audit", audit)
    names = ("itp_faith", "ms_dmt", "itp_faith")
    members = [Member(load_definition(n), tmp_path / f"{i}-{n}") for i, n in enumerate(names)]
    scanned = build_scan(members, small_claims, reporter=QUIET)
    ended = [(m.out_dir.name, r) for m, r in scanned]
    assert [n for n, _ in ended] == ["0-itp_faith", "1-ms_dmt", "2-itp_faith"]
    assert isinstance(ended[1][1], RuntimeError)
    assert not any(isinstance(r, Exception) for n, r in ended if n != "1-ms_dmt")
    assert not (tmp_path / "1-ms_dmt").exists()
    assert (tmp_path / "0-itp_faith" / "manifest.json").exists()
    assert (tmp_path / "2-itp_faith" / "report.html").exists()
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]
