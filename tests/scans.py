"""Helpers of the one-scan tests (pipeline/scan.py): tests/test_scan.py and the engine
spec in tests/spec/test_shared_scan.py."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl

from pharmacoepi.pipeline.build import Member, build_scan
from pharmacoepi.progress import Reporter
from tests.claims import ENGINE

QUIET = Reporter.for_stderr(quiet=True)
ROOT = Path(__file__).resolve().parents[1]


def outputs(folder: Path) -> dict[str, pl.DataFrame]:
    return {p.name: pl.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}


def assert_same_outputs(scanned: Path, alone: Path) -> None:
    ours, theirs = outputs(scanned), outputs(alone)
    assert sorted(ours) == sorted(theirs)
    for name, frame in ours.items():
        assert frame.equals(theirs[name]), name


def scan(members: list[Member], data: Path) -> dict[Path, object]:
    scanned = build_scan(members, data, reporter=QUIET, engine_name=ENGINE["name"])
    return {m.out_dir: r for m, r in scanned}


def other_itp(tmp_path: Path) -> Path:
    """itp_faith under another name, its codelist `itp` holding D69.4 instead of D69.3:
    a codelist name two definitions of one scan give to different codes."""
    cohorts = tmp_path / "cohorts"
    shutil.copytree(ROOT / "cohorts", cohorts)
    (cohorts / "codelists" / "itp_diagnosis.csv").write_text("code,label\nD694,not ITP\n")
    text = (cohorts / "itp_faith.yaml").read_text()
    path = cohorts / "itp_other.yaml"
    path.write_text(text.replace("name: itp_faith", "name: itp_other", 1))
    return path


def rejected(out: Path) -> list[tuple]:
    path = out / "rejected_rows.parquet"
    if not path.is_file():
        return []
    frame = pl.read_parquet(path)
    return [
        (t, p, json.loads(r).get("atc") or json.loads(r).get("code"))
        for t, p, r in frame.select("table_name", "person_id", "source_record").rows()
    ]
