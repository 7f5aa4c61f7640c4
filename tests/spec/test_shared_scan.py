"""One scan for several definitions, on each engine: every definition's outputs equal its
own build's, its rows set aside its own, a codelist name two definitions give to
different codes kept apart (pipeline/scan.py)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pharmacoepi.definition import load_definition
from pharmacoepi.pipeline.build import Member, build_cohort
from tests.claims import ENGINE, Claims
from tests.scans import QUIET, assert_same_outputs, other_itp, rejected, scan


@pytest.fixture(scope="module")
def small_claims(tmp_path_factory) -> Path:
    c = Claims()
    c.person(1).diagnosis(1, "2010-03-01").dispensing(1, "2010-03-02")  # ITP, steroids
    c.person(2).diagnosis(2, "2010-04-01", code="D694")  # a case of itp_other only
    c.person(3).diagnosis(3, "2010-05-01", code="G35").dispensing(3, "2010-06-01", atc="L04AA23")
    c.person(4).diagnosis(4, "2010-05-01", code="G35")
    # rows set aside: a corticosteroid (itp_faith's), a natalizumab (ms_dmt's) dispensing
    c.dispensing(1, "1850-01-01")
    c.dispensing(3, "1850-01-01", atc="L04AA23")
    return c.write(tmp_path_factory.mktemp("scan") / "data")


def test_every_definition_of_a_scan_gets_its_own_build(small_claims, tmp_path):
    other = other_itp(tmp_path)
    loaded = [
        load_definition("itp_faith"),
        load_definition("itp_faith", {"incident.washout_days": 365}),
        load_definition(str(other)),
        load_definition("ms_dmt"),
    ]
    members = [Member(d, tmp_path / "scan" / str(i)) for i, d in enumerate(loaded)]
    results = scan(members, small_claims)
    for i, d in enumerate(loaded):
        alone = build_cohort(
            d, small_claims, tmp_path / "alone" / str(i), reporter=QUIET,
            engine_name=ENGINE["name"],
        )  # fmt: skip
        scanned = results[tmp_path / "scan" / str(i)]
        assert scanned.attrition.equals(alone.attrition)
        assert_same_outputs(tmp_path / "scan" / str(i), tmp_path / "alone" / str(i))
    cohorts = [set(pl.read_parquet(m.out_dir / "cohort.parquet")["person_id"]) for m in members]
    assert cohorts[0] == {1} and cohorts[1] == {1} and cohorts[2] == {2}  # kept apart
    # each sets aside the rows of its own codelists only
    set_aside = [rejected(m.out_dir) for m in members]
    assert set_aside[0] == set_aside[1] == [("dispensings", "1", "H02AB07")]
    assert set_aside[2] == set_aside[0]  # its corticosteroids are itp_faith's
    assert set_aside[3] == [("dispensings", "3", "L04AA23")]
