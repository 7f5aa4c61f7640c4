"""The output catalogue is the one list of what a run can write, and the disclosure pass
masks every aggregate from it: the catalogue, the masks, the plans and the files written
agree."""

from __future__ import annotations

import json

import polars as pl
import pytest

from pharmacoepi.definition import load_definition
from pharmacoepi.disclosure import Attrition, disclose, tables
from pharmacoepi.outputs.catalogue import BY_FILE, CATALOGUE, aggregates
from pharmacoepi.pipeline.build import build_plan
from pharmacoepi.pipeline.outputs import produced_aggregates
from tests.golden import RECORD


@pytest.mark.parametrize("name", ["itp_faith", "ms_dmt"])
def test_the_catalogue_says_which_files_a_definition_writes(name):
    d = load_definition(name).definition
    expected = {s.file for s in CATALOGUE if s.when(d)} - {"rejected_rows.parquet"}
    written = json.loads(RECORD.read_text())["definitions"][name]["files"]
    assert set(written) == expected  # the default dataset sets no row aside


@pytest.mark.parametrize("name", ["itp_faith", "ms_dmt"])
def test_a_plan_produces_exactly_the_catalogued_aggregates(name):
    loaded = load_definition(name)
    produced = produced_aggregates(build_plan(loaded))
    assert produced[0] == "attrition.parquet"
    assert set(produced) == {s.file for s in aggregates() if s.when(loaded.definition)}


def test_every_aggregate_has_a_mask_and_every_column_a_role():
    assert set(tables.MASKS) == {s.file for s in aggregates()} - {"attrition.parquet"}
    for spec in aggregates():
        assert spec.role("threshold") == ("min_cell_count",), spec.file
        assert spec.counts or spec.derived, spec.file  # something to mask
        assert len(set(spec.column_names)) == len(spec.columns), spec.file
    for spec in CATALOGUE:
        assert (spec.level == "individual") == (spec.table is not None), spec.file


ATTRITION = pl.DataFrame(
    {"step": [0, 1, 2, 3, 4], "description": list("abcde"),
     "persons": [1000, 300, 120, 100, 97], "excluded": [None, 700, 180, 20, 3]},
    schema={"step": pl.Int32, "description": pl.String, "persons": pl.Int64,
            "excluded": pl.Int64},
)  # fmt: skip
STEPS = ("extract", "case_found", "incident", "primary", "adult")


def _pathways(persons: list[int]) -> pl.DataFrame:
    return pl.DataFrame(
        {"from_line": [1] * len(persons), "from_regimen": ["a"] * len(persons),
         "to_regimen": [f"r{i}" for i in range(len(persons))], "persons": persons},
        schema={"from_line": pl.Int32, "from_regimen": pl.String, "to_regimen": pl.String,
                "persons": pl.Int64},
    )  # fmt: skip


def test_the_attrition_is_addressed_by_step_name():
    attrition = Attrition(ATTRITION, STEPS)
    assert attrition.persons("incident") == 120
    assert attrition.persons("cohort") == 97  # the last rule's survivors
    with pytest.raises(ValueError, match="5 rows, 4 step names"):
        Attrition(ATTRITION, STEPS[:4])


def test_a_file_bounded_by_a_hidden_total_is_hidden_or_omitted():
    raw = {"attrition.parquet": ATTRITION, "pathways.parquet": _pathways([40, 30, 27])}
    shown = disclose(raw, STEPS, 3)  # no count under 3
    assert shown["attrition.parquet"]["persons"].to_list() == [1000, 300, 120, 100, 97]
    assert shown["pathways.parquet"]["persons"].to_list() == [40, 30, 27]
    assert shown["pathways.parquet"].columns == list(BY_FILE["pathways.parquet"].column_names)
    # three excluded by the last rule: the cohort size is masked with them (100 - 97),
    # so every count that adds up to it is hidden too
    hidden = disclose(raw, STEPS, 11)
    assert hidden["attrition.parquet"]["persons"].to_list() == [1000, 300, 120, 100, None]
    assert hidden["pathways.parquet"]["persons"].to_list() == [None, None, None]
    assert hidden["pathways.parquet"]["min_cell_count"].to_list() == [11, 11, 11]
    cox = pl.DataFrame({c: [None] for c in BY_FILE["cox.parquet"].column_names[:-1]})
    assert "cox.parquet" not in disclose({**raw, "cox.parquet": cox}, STEPS, 11)


def test_a_frame_whose_columns_the_catalogue_does_not_know_fails():
    raw = {
        "attrition.parquet": ATTRITION,
        "pathways.parquet": _pathways([40]).with_columns(pl.lit(1).alias("extra")),
    }
    with pytest.raises(ValueError, match="differ from the catalogue"):
        disclose(raw, STEPS, 11)


def test_docs_outputs_lists_the_catalogue():
    from pathlib import Path

    from pharmacoepi.outputs import docs

    text = (Path(__file__).resolve().parents[1] / "docs" / "outputs.md").read_text()
    assert docs.replace_in(text) == text, "run: python -m pharmacoepi.outputs.docs"
