"""Small-cell suppression of the treatment summaries: no masked count can be read off
the visible cells, a share, a neighbouring row, or the cohort size in the attrition."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from pharmacoepi.disclosure import tables
from pharmacoepi.disclosure.rules import suppress_cells
from pharmacoepi.engines.duckdb import DuckDBEngine as Engine
from pharmacoepi.outputs.catalogue import BY_FILE, aggregates
from tests.claims import Claims, build

INDEX = "2010-03-01"


@given(st.lists(st.integers(0, 40), min_size=1, max_size=6), st.integers(2, 12))
def test_a_group_with_a_known_total_never_has_a_single_masked_cell(counts, k):
    hidden = suppress_cells(counts, k, total_known=True)
    for n, h in zip(counts, hidden, strict=True):
        assert h or not 0 < n < k  # every small cell is hidden
    assert sum(hidden) != 1 or sum(1 for n in counts if n > 0) == 1  # never alone (unless
    # it is the only non-zero cell, which the published total then shows anyway)


def _engine_with(table: str, frame: pl.DataFrame) -> Engine:
    engine = Engine(threads=1)
    engine.con.register("_frame", frame)
    engine.con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM _frame")
    return engine


def test_phase_shares_are_hidden_with_any_decided_count():
    phases = ["newly_diagnosed", "persistent", "chronic", "insufficient_follow_up"]
    sizes = [34, 17, 68, 9]
    people = pl.DataFrame(
        {
            "phase": [p for p, n in zip(phases, sizes, strict=True) for _ in range(n)],
            # everyone persistent or chronic is flagged, and 5 of the 9 followed briefly
            "persistent_or_chronic": [False] * 34 + [True] * 85 + [True] * 5 + [None] * 4,
        }
    )
    with _engine_with("cohort_phased", people) as engine:
        engine.run("summaries/phase_counts")
        raw = engine.frame("phase_counts")
    assert dict(raw.rows())["persistent_or_chronic"] == 90
    table = tables.phases(raw, tables.Context(11, cohort_size=sum(sizes)))
    # 9 is masked, and with it the smallest other cell (17): the cohort size is public;
    # persistent_or_chronic (90) would be read against the masked persistent count
    assert table["persons"].to_list() == [34, None, 68, None, None]
    # a share of 34 would give away the decided total (119), hence 128 - 119 = 9
    assert table["share_of_decided"].to_list() == [None, None, None, None, None]


def test_persistent_or_chronic_is_masked_when_it_reveals_few_briefly_followed():
    counts = {"newly_diagnosed": 40, "persistent": 30, "chronic": 50,
              "insufficient_follow_up": 20, "persistent_or_chronic": 83}  # fmt: skip
    raw = pl.DataFrame({"phase": list(counts), "persons": list(counts.values())})
    table = tables.phases(raw, tables.Context(11, cohort_size=140))
    # 83 - 30 - 50 = 3 persons followed briefly had evidence: a small count
    assert table["persons"].to_list() == [40, 30, 50, 20, None]
    raw = raw.with_columns(
        persons=pl.when(pl.col("phase") == "persistent_or_chronic").then(95)
        .otherwise(pl.col("persons"))
    )  # fmt: skip
    table = tables.phases(raw, tables.Context(11, cohort_size=140))
    assert table["persons"].to_list() == [40, 30, 50, 20, 95]
    assert table["share_of_decided"].to_list()[4] == round(95 / 135, 4)


def test_retreatment_rows_after_a_masked_next_course_are_hidden():
    rows = [("rituximab", 1, "course")] * 4 + [("rituximab", 1, "line")] * 1
    rows += [("rituximab", 1, None)] * 15 + [("rituximab", 2, None)] * 4
    rows += [("tpo_course", 1, None)] * 12
    frame = pl.DataFrame(rows, schema=["class", "course_number", "next_treatment"], orient="row")
    with _engine_with("course_outcomes", frame) as engine:
        engine.run("summaries/course_outcome_counts")
        raw = engine.frame("course_outcome_counts")
    table = tables.retreatment(raw, tables.Context(3, cohort_size=frame.height))
    got = table.select("class", "course_number", "persons", "next_course", "next_line",
                       "no_next_treatment").rows()  # fmt: skip
    # course 1: next_line 1 masked, and next_course 4 with it (the total 20 is shown);
    # course 2 would show persons = 4 = the masked next_course: hidden entirely
    assert got == [
        ("rituximab", 1, 20, None, None, 15),
        ("rituximab", 2, None, None, None, None),
        ("tpo_course", 1, 12, 0, 0, 12),
    ]


def test_summaries_are_hidden_when_the_attrition_hides_the_cohort_size(tmp_path):
    c = Claims()
    for pid in range(1, 48):  # 47 adults: the cohort
        c.person(pid).diagnosis(pid, INDEX)
    for pid in range(48, 51):  # 3 children excluded: attrition masks the cohort size
        c.person(pid, birth="2000-01-01").diagnosis(pid, INDEX)
    built = build(c, tmp_path)
    assert built.attrition["persons"].to_list()[-1] == 47
    assert pl.read_parquet(built.out / "attrition.parquet")["persons"][-1] is None
    bounded = [s for s in aggregates() if s.total == "cohort" and s.on_hidden_total == "hide"]
    written = [s for s in bounded if (built.out / s.file).exists()]
    assert {s.file for s in written} >= {"exposed_at.parquet", "survival.parquet"}
    assert not (built.out / "cox.parquet").exists()  # omitted with the cohort size
    for spec in written:
        frame = pl.read_parquet(built.out / spec.file)
        for column in (*spec.counts, *spec.derived):
            assert frame[column].null_count() == frame.height, (spec.file, column)


def test_followed_counts_hide_a_small_number_lost(tmp_path):
    c = Claims()
    for pid in range(1, 31):
        c.person(pid).diagnosis(pid, INDEX)
    for pid in range(31, 34):  # three deaths before day 91: 30 of 33 followed on day 91
        c.person(pid, death="2010-04-15").diagnosis(pid, INDEX)
    built = build(c, tmp_path)
    table = built.table("exposed_at")
    day91 = table.filter(pl.col("days_after_index") == 91)
    assert day91["persons_in_follow_up"].null_count() == day91.height  # 33 - 30 = 3 lost
    day182 = table.filter(pl.col("days_after_index") == 182)
    assert day182["persons_in_follow_up"].null_count() == day182.height
    assert pl.read_parquet(built.out / "attrition.parquet")["persons"][-1] == 33


def test_no_aggregate_output_shows_a_count_from_1_to_10(default_data, tmp_path):
    """Every aggregate file of both shipped definitions on the default dataset: no visible
    count of persons or events (the catalogue's count columns) lies in 1..min_cell_count
    - 1, and the file's columns are the catalogue's."""
    import json

    from pharmacoepi.definition import load_definition
    from pharmacoepi.pipeline.build import build_cohort
    from pharmacoepi.progress import Reporter

    for name in ("itp_faith", "ms_dmt"):
        out = tmp_path / name
        build_cohort(load_definition(name), default_data, out,
                     reporter=Reporter.for_stderr(quiet=True))  # fmt: skip
        outputs = json.loads((out / "manifest.json").read_text())["outputs"]
        written = [f for f, entry in outputs.items() if entry["level"] == "aggregate"]
        assert len(written) >= 6, name
        for file in written:
            spec, frame = BY_FILE[file], pl.read_parquet(out / file)
            assert frame.columns == list(spec.column_names), file
            # every integer column is a count (checked) or a label or the threshold, or days
            # of person-time (a value, published as incidence's person-years are)
            for column, dtype in frame.schema.items():
                if dtype.is_integer() and not column.startswith("person_days"):
                    assert dict(spec.columns)[column] in ("count", "label", "threshold")
            if frame.height == 0:  # (ms_dmt: no course class is marketed before 2014)
                continue
            for column in spec.counts:
                limit = int(frame["min_cell_count"][0]) - 1
                small = frame.filter(pl.col(column).is_between(1, limit))
                assert small.height == 0, (name, file, column, small)
