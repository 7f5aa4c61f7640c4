"""The study's own outputs: the masked cohort overlap (study/overlap.py) and the front page
OUT/index.html (study/index.py), on small fake cohort folders written here."""

from __future__ import annotations

import json
import math
import re
import tempfile
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pharmacoepi.outputs.catalogue import aggregates
from pharmacoepi.study.index import _distance, _lens, write_index
from pharmacoepi.study.overlap import COUNTS, cohort_overlap, mask_pair
from tests.report_html import fetchable, figures, sections, tables, text

# --- fake cohort folders ---------------------------------------------------------------


def cohort_file(folder: Path, persons) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pl.DataFrame({"person_id": sorted(persons)}, schema={"person_id": pl.Int64}).write_parquet(
        folder / "cohort.parquet"
    )


def attrition_file(folder: Path, persons: list[int | None]) -> None:
    excluded = [None] + [
        None if a is None or b is None else a - b
        for a, b in zip(persons, persons[1:], strict=False)
    ]
    pl.DataFrame(
        {
            "step": list(range(len(persons))),
            "description": [f"rule {i}" for i in range(len(persons))],
            "persons": persons,
            "excluded": excluded,
            "min_cell_count": [11] * len(persons),
        },
        schema={
            "step": pl.Int32,
            "description": pl.String,
            "persons": pl.Int64,
            "excluded": pl.Int64,
            "min_cell_count": pl.Int32,
        },
    ).write_parquet(folder / "attrition.parquet")


def incidence_file(
    folder: Path, crude: tuple[int | None, float | None, float | None, float | None]
):
    events, rate, lower, upper = crude
    pl.DataFrame(
        {
            "measure": ["crude", "sex"],
            "stratum": ["all", "F"],
            "events": [events, None],
            "person_years": [12345.6, 6000.0],
            "rate": [rate, None],
            "ci_lower": [lower, None],
            "ci_upper": [upper, None],
            "min_cell_count": [11, 11],
            "denominator": ["internal", "internal"],
        },
        schema_overrides={"events": pl.Int64, "min_cell_count": pl.Int32},
    ).write_parquet(folder / "incidence.parquet")


def outcome_file(
    folder: Path, analyses: dict[str, tuple[float | None, float | None, float | None]]
):
    spec = next(s for s in aggregates() if s.file == "outcome_incidence.parquet")
    rows = []
    for analysis, (rate, lower, upper) in analyses.items():
        for stratum, level in (("crude", "all"), ("sex", "F")):
            rows.append(
                {
                    "analysis": analysis,
                    "outcome": "bleed",
                    "time_at_risk": "on treatment",
                    "stratum": stratum,
                    "level": level,
                    "persons_pre_exclusion": 400,
                    "person_days_pre_exclusion": 90000.0,
                    "persons": 380,
                    "person_days": 88000.0,
                    "persons_with_outcome": None if rate is None else 40,
                    "events": None if rate is None else 45,
                    "rate": rate if stratum == "crude" else 1.0,
                    "ci_lower": lower if stratum == "crude" else 0.5,
                    "ci_upper": upper if stratum == "crude" else 2.0,
                    "per": 1000,
                    "min_cell_count": 11,
                }
            )
    frame = pl.DataFrame(rows, schema_overrides={"min_cell_count": pl.Int32})
    assert frame.columns == list(spec.column_names), "the catalogue's columns, in order"
    frame.write_parquet(folder / "outcome_incidence.parquet")


def manifest_file(folder: Path, name: str, per: int = 100000) -> None:
    resolved = {"privacy": {"min_cell_count": 11}, "analyses": {"incidence": {"per": per}}}
    manifest = {"definition": {"name": name, "resolved": resolved}, "outputs": {}}
    (folder / "manifest.json").write_text(json.dumps(manifest))


# --- the overlap -----------------------------------------------------------------------


def overlap_of(tmp_path: Path, cohorts: dict[str, set[int] | None], min_cell: int):
    entries = []
    for name, persons in cohorts.items():
        folder = tmp_path / name / "main"
        folder.mkdir(parents=True, exist_ok=True)
        if persons is not None:
            cohort_file(folder, persons)
        entries.append((name, folder))
    return cohort_overlap(entries, min_cell)


def counts(row: dict) -> list[int | None]:
    return [row[c] for c in COUNTS]


def test_overlap_counts_of_known_sets(tmp_path):
    frame = overlap_of(tmp_path, {"a": set(range(1, 31)), "b": set(range(21, 61))}, 1)
    assert frame.columns == ["cohort_a", "cohort_b", *COUNTS, "min_cell_count"]
    (row,) = frame.iter_rows(named=True)
    assert (row["cohort_a"], row["cohort_b"]) == ("a", "b")
    assert counts(row) == [30, 40, 10, 20, 30]
    assert row["min_cell_count"] == 1


def test_ten_in_both_is_masked_with_its_complements(tmp_path):
    (row,) = overlap_of(tmp_path, {"a": set(range(1, 31)), "b": set(range(21, 61))}, 11).rows(
        named=True
    )
    # both = 10 < 11; a = both + a_only: a_only (20) goes; b = both + b_only: b_only (30)
    assert counts(row) == [30, 40, None, None, None]


def test_eleven_in_both_is_shown(tmp_path):
    (row,) = overlap_of(tmp_path, {"a": set(range(1, 31)), "b": set(range(20, 61))}, 11).rows(
        named=True
    )
    assert counts(row) == [30, 41, 11, 19, 30]


def test_no_one_in_both_reads_zero(tmp_path):
    (row,) = overlap_of(tmp_path, {"a": set(range(1, 31)), "b": set(range(31, 61))}, 11).rows(
        named=True
    )
    assert counts(row) == [30, 30, 0, 30, 30]


def test_pairs_in_the_given_order_and_a_cohort_without_its_file_skipped(tmp_path):
    cohorts = {"z": set(range(100)), "gone": None, "a": set(range(50, 200)), "m": {1}}
    frame = overlap_of(tmp_path, cohorts, 11)
    assert frame.select("cohort_a", "cohort_b").rows() == [("z", "a"), ("z", "m"), ("a", "m")]
    # m's one person is in z: m and both are 1 (masked), z only (99) masked with them,
    # m only is 0 (shown)
    assert counts(frame.row(1, named=True)) == [100, None, None, None, 0]


def test_fewer_than_two_cohorts_no_row(tmp_path):
    frame = overlap_of(tmp_path, {"a": set(range(30)), "gone": None}, 11)
    assert frame.height == 0 and frame.columns[2:7] == list(COUNTS)


def test_a_small_only_part_masks_both_and_never_a_cohort_size():
    # a_only = 5: its sum loses both (95, smaller than a = 100), which costs b_only in b's
    assert mask_pair([100, 200, 95, 5, 105], 11) == [100, 200, None, None, None]


def test_a_size_the_attrition_masks_stays_masked(tmp_path):
    folder = tmp_path / "a" / "main"
    cohort_file(folder, range(300))
    attrition_file(folder, [1000, 305, None])  # last step hidden: 5 were excluded
    cohort_file(tmp_path / "b" / "main", range(260, 300))
    frame = cohort_overlap([("a", folder), ("b", tmp_path / "b" / "main")], 11)
    # a = both + a_only, b public in b's attrition: only b is left to read
    assert counts(frame.row(0, named=True)) == [None, 40, None, None, None]
    assert mask_pair([300, 8, 8, 292, 0], 11, (True, False)) == [None] * 5


# The two sums of a row, over COUNTS: a - both - a_only = 0, b - both - b_only = 0.
RELATIONS = np.array([[1, 0, -1, -1, 0], [0, 1, -1, 0, -1]], dtype=float)


def recoverable(secret: list[int]) -> list[int]:
    """The secret cells some combination of the row's sums determines, every other cell
    known: cell h is solved when its unit vector lies in the row space of the relations
    restricted to the secret cells (the known ones move to the right-hand side)."""
    if not secret:
        return []
    sub = RELATIONS[:, secret]
    rank = np.linalg.matrix_rank(sub)
    solved = []
    for k, h in enumerate(secret):
        unit = np.zeros(len(secret))
        unit[k] = 1
        if np.linalg.matrix_rank(np.vstack([sub, unit])) == rank:
            solved.append(h)
    return solved


def check_row(true: list[int], shown: list[int | None], min_cell: int, sizes_hidden) -> None:
    for value, cell in zip(true, shown, strict=True):
        assert cell is None or cell == value, "a shown count is the count"
        if 0 < value < min_cell:
            assert cell is None, "a small count is masked"
    # a cohort size its attrition publishes is known to the reader, masked here or not
    public = [not sizes_hidden[i] and not 0 < true[i] < min_cell for i in (0, 1)]
    secret = [i for i, c in enumerate(shown) if c is None and not (i < 2 and public[i])]
    assert recoverable(secret) == [], (true, shown)
    if not any(sizes_hidden):
        # from small counts alone a cohort size only goes when small (a zero term may be
        # masked as a complement: both = 2, a_only = 0 would otherwise give both back)
        assert all(shown[i] is not None or true[i] < min_cell for i in (0, 1))


@settings(max_examples=60)
@given(
    st.lists(st.sets(st.integers(0, 60), max_size=60), min_size=2, max_size=4),
    st.integers(2, 15),
)
def test_no_masked_count_can_be_recomputed_from_the_row(person_sets, min_cell):
    with tempfile.TemporaryDirectory() as tmp:
        cohorts = {f"c{i}": persons for i, persons in enumerate(person_sets)}
        frame = overlap_of(Path(tmp), cohorts, min_cell)
    pairs = [(a, b) for i, a in enumerate(cohorts) for b in list(cohorts)[i + 1 :]]
    assert frame.select("cohort_a", "cohort_b").rows() == pairs
    for row in frame.iter_rows(named=True):
        a, b = cohorts[row["cohort_a"]], cohorts[row["cohort_b"]]
        true = [len(a), len(b), len(a & b), len(a - b), len(b - a)]
        check_row(true, counts(row), min_cell, (False, False))


@given(
    st.integers(0, 40),
    st.integers(0, 40),
    st.integers(0, 40),
    st.integers(2, 15),
    st.tuples(st.booleans(), st.booleans()),
)
def test_masking_holds_with_sizes_the_attrition_masks(both, a_only, b_only, min_cell, hidden):
    true = [both + a_only, both + b_only, both, a_only, b_only]
    shown = mask_pair(true, min_cell, hidden)
    check_row(true, shown, min_cell, hidden)
    assert all(shown[i] is None for i in (0, 1) if hidden[i])


# --- the index page --------------------------------------------------------------------

ITP_MAIN = (197, 60.2, 52.08, 69.22)
OUTCOMES = {"bleed_on_tpo": (12.345, 8.1, 18.0), "bleed_off_tpo": (None, None, None)}


@pytest.fixture
def study(tmp_path):
    """OUT with itp (main, no_primary, strict: failed) and ms (main), and their overlap."""
    out = tmp_path / "out"
    main = out / "itp" / "main"
    cohort_file(main, range(1, 130))  # 129, as its attrition says
    attrition_file(main, [200000, 764, 129])
    incidence_file(main, ITP_MAIN)
    outcome_file(main, OUTCOMES)
    manifest_file(main, "itp")
    (main / "report.html").write_text("<html></html>")
    loose = out / "itp" / "no_primary"
    cohort_file(loose, range(1, 160))
    attrition_file(loose, [200000, 764, None])
    incidence_file(loose, (None, None, None, None))
    manifest_file(loose, "itp")  # built, but its report is not there: no link
    ms = out / "ms" / "main"
    cohort_file(ms, range(125, 400))
    attrition_file(ms, [200000, 1811, 275])
    manifest_file(ms, "ms")
    (ms / "report.html").write_text("<html></html>")
    rows = [
        _row("itp", "no_primary", "built", "definition changed", 3.25),
        _row("itp", "main", "built", "", 12.0),
        _row("itp", "strict", "failed", "UserError: no such code", None),
        _row("ms", "main", "up to date", "inputs unchanged", None),
    ]
    overlap = cohort_overlap([("itp", main), ("ms", ms)], 11)
    return out, rows, overlap


def _row(cohort, variant, status, reason, seconds):
    folder = Path(cohort) / variant
    return dict(cohort=cohort, variant=variant, folder=folder, status=status, reason=reason,
                seconds=seconds)  # fmt: skip


def _write(study) -> str:
    out, rows, overlap = study
    path = write_index(out, "itp and ms", rows, overlap, 11)
    assert path == out / "index.html"
    assert [p.name for p in out.iterdir() if p.is_file()] == ["index.html"], "no partial left"
    return path.read_text()


def test_every_run_with_its_status_and_a_link_to_an_existing_report(study):
    page = _write(study)
    runs = tables(sections(page)["runs"])[0]
    assert runs[0] == ["cohort", "variant", "status", "reason", "seconds", "report"]
    assert [r[:5] for r in runs[1:]] == [
        ["itp", "no_primary", "built", "definition changed", "3.2"],
        ["itp", "main", "built", "", "12.0"],
        ["itp", "strict", "failed", "UserError: no such code", ""],
        ["ms", "main", "up to date", "inputs unchanged", ""],
    ]
    hrefs = re.findall(r'href="([^"#][^"]*)"', page)
    assert sorted(hrefs) == ["itp/main/report.html", "ms/main/report.html"]


def test_sensitivity_table_is_the_parquet_values(study):
    out, _, _ = study
    page = _write(study)
    itp, ms = tables(sections(page)["sensitivity"])
    assert itp[0] == ["", "main", "no_primary", "strict"], "main first, then as given"
    got = {r[0]: r[1:] for r in itp[1:]}
    incidence = (
        pl.read_parquet(out / "itp/main/incidence.parquet")
        .filter(measure="crude")
        .row(0, named=True)
    )
    rate = (
        f"{incidence['rate']:,.1f} ({incidence['ci_lower']:,.1f} to {incidence['ci_upper']:,.1f})"
    )
    assert rate == "60.2 (52.1 to 69.2)"
    assert got["cohort size (persons)"] == ["129", "< 11", "failed"]
    assert got["crude incidence per 100,000 person-years (95% CI)"] == [rate, "masked", "failed"]
    assert got["bleed_on_tpo: crude rate per 1,000 person-years (95% CI)"] == [
        "12.3 (8.1 to 18.0)",
        "",
        "failed",
    ]
    assert got["bleed_off_tpo: crude rate per 1,000 person-years (95% CI)"] == [
        "masked",
        "",
        "failed",
    ]
    assert ms == [["", "main"], ["cohort size (persons)", "275"]]


def test_overlap_table_and_a_venn_per_pair(study):
    page = _write(study)
    body = sections(page)["overlap"]
    # itp 1..129, ms 125..399: 5 in both
    assert tables(body)[0][1] == ["itp", "ms", "129", "275", "< 11", "< 11", "< 11"]
    marks, venn = figures(page)["venn_0"]
    assert marks == 2 and venn.count('<g class="mark">') == 2
    assert "&lt; 11" in venn and "stroke-dasharray" not in venn, "sizes shown: to scale"
    assert "overlap is not to scale" in text(venn)


def test_a_masked_size_draws_equal_dashed_circles(study):
    out, rows, overlap = study
    masked = overlap.with_columns(pl.lit(None, dtype=pl.Int64).alias("persons_a"))
    write_index(out, "s", rows, masked, 11)
    _, venn = figures((out / "index.html").read_text())["venn_0"]
    assert venn.count("stroke-dasharray") == 2
    assert "Not to scale" in text(venn)


def test_no_url_to_fetch_but_the_reports(study):
    page = _write(study)
    allowed = {"itp/main/report.html", "ms/main/report.html"}
    assert all(u.strip("'\"").startswith("#") or u in allowed for u in fetchable(page))
    assert not re.search(r"\bsrc\s*=", page)
    assert all(u.startswith("#") for u in re.findall(r"url\(\s*['\"]?([^)'\"]*)", page))
    assert "@import" not in page
    assert not re.search(r"<(link|img|iframe|object|embed)\b", page)


def test_reads_no_person_level_file(study, monkeypatch):
    out, rows, overlap = study
    for cohort in out.rglob("cohort.parquet"):
        cohort.write_bytes(b"not a parquet file")
    opened = []
    real = pl.read_parquet
    monkeypatch.setattr(pl, "read_parquet", lambda p, *a, **k: opened.append(p.name) or real(p))
    write_index(out, "s", rows, overlap, 11)
    assert set(opened) <= {s.file for s in aggregates()} and "attrition.parquet" in opened


def test_no_overlap_no_section(study):
    out, rows, _ = study
    write_index(out, "s", rows, None, 11)
    assert "overlap" not in sections((out / "index.html").read_text())


@pytest.mark.parametrize("ra, rb, share", [(1, 1, 0.5), (1, 0.4, 0.16), (0.7, 1, 0.49), (1, 1, 1)])
def test_venn_overlap_area_is_the_share_in_both(ra, rb, share):
    area = math.pi * share  # the largest circle's area (radius 1) is pi
    assert _lens(ra, rb, _distance(ra, rb, area)) == pytest.approx(area, rel=1e-6)
    assert _lens(ra, rb, _distance(ra, rb, 0)) == 0
