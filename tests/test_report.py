"""The study report (report.html): sections, figures and their numbers, masked cells,
self-containment, and that it reads only aggregate files (docs/report.md)."""

from __future__ import annotations

import json
import re
import shutil

import polars as pl
import pytest
from typer.testing import CliRunner

from pharmacoepi.cli import app
from pharmacoepi.definition import load_definition
from pharmacoepi.outputs.catalogue import aggregates, individuals
from pharmacoepi.pipeline.build import build_cohort
from pharmacoepi.progress import Reporter
from pharmacoepi.report import render_folder
from tests.cli import assert_user_error, run_cli
from tests.report_html import fetchable, figures, sections, tables, text

QUIET = Reporter.for_stderr(quiet=True)
ALL_SECTIONS = [
    "run",
    "attrition",
    "table1",
    "incidence",
    "survival",
    "treatments",
    "outcomes",
    "quality",
    "definition",
]


@pytest.fixture(scope="module")
def faith(default_data, tmp_path_factory):
    """itp_faith as shipped (cells below 11 masked), with its report."""
    out = tmp_path_factory.mktemp("report") / "itp_faith"
    build_cohort(load_definition("itp_faith"), default_data, out, reporter=QUIET)
    return out


@pytest.fixture(scope="module")
def ms(default_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "ms_dmt"
    build_cohort(load_definition("ms_dmt"), default_data, out, reporter=QUIET)
    return out


def _page(folder) -> str:
    return (folder / "report.html").read_text()


def test_every_section_of_a_full_run_in_order(faith):
    page = _page(faith)
    assert list(sections(page)) == ALL_SECTIONS
    assert page == render_folder(faith)  # `pharmacoepi report` renders the same page


def test_a_section_appears_only_when_its_file_exists(ms, tmp_path):
    page = _page(ms)
    # ms_dmt has no survival analysis (its relapse rates are outcomes); its switches give
    # a switch-type figure
    assert [s for s in ALL_SECTIONS if s not in sections(page)] == ["survival"]
    assert "switch_types" in figures(page)
    copy = tmp_path / "copy"
    shutil.copytree(ms, copy)
    (copy / "incidence.parquet").unlink()
    (copy / "characteristics.parquet").unlink()
    assert list(sections(render_folder(copy))) == [
        "run",
        "attrition",
        "treatments",
        "outcomes",
        "quality",
        "definition",
    ]


def test_self_contained_no_url_to_fetch(faith, ms):
    for folder in (faith, ms):
        page = _page(folder)
        urls = fetchable(page)
        assert urls, "the parser sees the SVGs' internal references"
        assert all(u.strip("'\"").startswith("#") for u in urls), [
            u for u in urls if not u.strip("'\"").startswith("#")
        ]
        assert not re.search(r"<(link|img|iframe|object|embed)\b", page)
        assert not re.search(r"<script[^>]*\bsrc=", page)
        ids = re.findall(r'\bid="([^"]+)"', page)
        assert len(ids) == len(set(ids)), "inline SVGs share no id"


def test_reads_no_person_level_file(faith, tmp_path, monkeypatch):
    """Individual files replaced by garbage, or gone: the same page; and the reader
    opens only aggregate files."""
    copy = tmp_path / "copy"
    shutil.copytree(faith, copy)
    person_level = [s.file for s in individuals() if (copy / s.file).exists()]
    assert "cohort.parquet" in person_level and "covariates.parquet" in person_level
    for file in person_level:
        (copy / file).write_bytes(b"not a parquet file")
    assert render_folder(copy) == render_folder(faith).replace(str(faith), str(copy))
    opened = []
    real = pl.read_parquet
    monkeypatch.setattr(pl, "read_parquet", lambda p, *a, **k: opened.append(p.name) or real(p))
    render_folder(faith)
    assert sorted(opened) == sorted(s.file for s in aggregates() if (faith / s.file).exists())


def test_masked_cells_read_below_threshold(faith):
    page = _page(faith)
    assert "None" not in text(page) and "nan" not in text(page).split()
    exposed = pl.read_parquet(faith / "exposed_at.parquet")
    counts = ("persons_in_follow_up", "persons_exposed", "persons_not_exposed")
    hidden = sum(exposed[c].null_count() for c in counts)
    assert hidden > 0, "the default dataset masks some of exposed_at"
    _marks, body = figures(page)["exposed_at"]
    rows = tables(body)[-1][1:]
    assert sum(cell == "< 11" for row in rows for cell in row[2:5]) == hidden
    assert (
        sum(cell == "masked" for row in rows for cell in row[5:])
        == exposed["share_exposed"].null_count()
    )
    # a figure draws only the shown values: marks = shares that are not masked
    assert _marks == exposed["share_exposed"].drop_nulls().len()


def test_numbers_are_the_parquet_numbers(faith_unmasked):
    """Nothing masked (min_cell_count 1): every figure's marks and every number shown
    come from the aggregate files."""
    page = render_folder(faith_unmasked)
    figs = figures(page)
    attrition = pl.read_parquet(faith_unmasked / "attrition.parquet").sort("step")
    boxes = re.findall(r'<span class="persons">([\d,]+) persons</span>', page)
    assert boxes == [f"{n:,}" for n in attrition["persons"]]

    incidence = pl.read_parquet(faith_unmasked / "incidence.parquet")
    by_age_sex = incidence.filter(pl.col("measure") == "age_band_sex")
    marks, body = figs["incidence_age_sex"]
    assert marks == by_age_sex["rate"].drop_nulls().len()
    shown = tables(body)[-1][1:]
    assert [r[3] for r in shown] == [f"{v:,.1f}" for v in by_age_sex["rate"]]
    assert [r[1] for r in shown] == [f"{v:,}" for v in by_age_sex["events"]]
    crude = incidence.filter(pl.col("measure") == "crude").row(0, named=True)
    headline = tables(sections(page)["incidence"])[0]
    assert headline[1] == [
        "crude, all",
        f"{crude['events']:,}",
        f"{crude['person_years']:,.1f}",
        f"{crude['rate']:,.1f}",
        f"{crude['ci_lower']:,.1f} to {crude['ci_upper']:,.1f}",
    ]

    survival = pl.read_parquet(faith_unmasked / "survival.parquet")
    for analysis in survival["analysis"].unique():
        rows = survival.filter(pl.col("analysis") == analysis).sort("time_days")
        marks, body = figs[f"survival_{analysis}"]
        assert marks == rows["cumulative_incidence"].drop_nulls().len()
        at_risk = tables(body)[0]
        # with min_cell_count 1 a point is hidden only when nobody is left at risk
        assert at_risk[1][1:] == ["< 1" if n is None else f"{n:,}" for n in rows["at_risk"]]

    cox = pl.read_parquet(faith_unmasked / "cox.parquet")
    marks, body = figs["cox_forest"]
    assert marks == cox.filter("fitted").height
    hrs = [r[2] for r in tables(body)[-1][1:]]
    assert hrs == [
        f"{v:,.2f}" if f else "not fitted" for v, f in cox.select("hazard_ratio", "fitted").rows()
    ]

    pathways = pl.read_parquet(faith_unmasked / "pathways.parquet")
    assert figs["pathways"][0] == pathways["persons"].drop_nulls().len() == pathways.height


def test_table1_cells_are_the_characteristics_file(faith_unmasked):
    page = render_folder(faith_unmasked)
    frame = pl.read_parquet(faith_unmasked / "characteristics.parquet")
    overall = frame.filter((pl.col("stratum") == "overall") & (pl.col("kind") == "binary"))
    rows = {r[0]: r for r in tables(sections(page)["table1"])[0][1:]}
    assert overall.height > 0
    for r in overall.iter_rows(named=True):
        label = r["feature"].replace("_", " ") + f" ({r['window'].replace('_', ' ')}), n (%)"
        assert rows[label][1] == f"{r['n']:,} ({r['percent']:.1f}%)"
    age = frame.filter((pl.col("stratum") == "sex") & (pl.col("feature") == "age"))
    row = rows["age, mean (SD)"]
    assert row[2:4] == [f"{m:.1f} ({s:.1f})" for m, s in age.select("mean", "sd").rows()]
    assert row[4] == f"{age['smd'][0]:.2f}"


def test_definition_and_codelists_as_run(faith):
    page = _page(faith)
    manifest = json.loads((faith / "manifest.json").read_text())
    part = sections(page)["definition"]
    assert "washout_days" in part
    for name, c in manifest["codelists"].items():
        assert name in part
        assert len(c["entries"]) == c["codes"]
    itp = manifest["codelists"]["itp"]["entries"][0]["code"]
    assert f"<code>{itp}</code>" in part
    assert manifest["data_fingerprint"][:12] in sections(page)["run"]


def test_report_command(faith, tmp_path):
    result = run_cli("report", faith, "--out", tmp_path / "r.html")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "r.html").read_text() == render_folder(faith)
    again = run_cli("report", faith, "--out", tmp_path / "r.html")  # its own file: replaced
    assert again.returncode == 0, again.stderr
    foreign = tmp_path / "mine.html"
    foreign.write_text("not pharmacoepi's")
    assert_user_error(run_cli("report", faith, "--out", foreign), "not a pharmacoepi output")
    assert foreign.read_text() == "not pharmacoepi's"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_user_error(run_cli("report", empty), "no manifest.json", "hint")
    assert not list(empty.iterdir())


def test_no_report_option(default_data, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "build-cohort",
            "itp_faith",
            "--data",
            str(default_data),
            "--out",
            str(out),
            "--no-report",
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    assert not (out / "report.html").exists() and (out / "attrition.parquet").exists()


def test_table1_without_strata_has_one_column(faith, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(faith, copy)
    frame = pl.read_parquet(copy / "characteristics.parquet")
    frame.filter(pl.col("stratum") == "overall").write_parquet(copy / "characteristics.parquet")
    head = tables(sections(render_folder(copy))["table1"])[0][0]
    persons = frame.filter(pl.col("stratum") == "overall")["persons"][0]
    assert head == ["characteristic", f"overall (N = {persons:,})"]


def test_masked_n_in_a_table1_head_reads_below_threshold(faith, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(faith, copy)
    frame = pl.read_parquet(copy / "characteristics.parquet")
    frame.with_columns(
        pl.when(pl.col("stratum") == "sex").then(None).otherwise(pl.col("persons")).alias("persons")
    ).write_parquet(copy / "characteristics.parquet")
    head = tables(sections(render_folder(copy))["table1"])[0][0]
    assert head[2:4] == ["sex = F (N = < 11)", "sex = M (N = < 11)"]
