"""Comorbidities and background drugs (generator 1.7): no emitted code collides with a
shipped codelist, the generated prevalences match the model, the primary ITP cases carry
their excess, and adding them moved no earlier row or truth."""

from __future__ import annotations

import copy
import csv
import json
import math
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from pharmacoepi.synth import SynthConfig, generate
from pharmacoepi.synth import model as model_module
from pharmacoepi.synth.config import read_preset_yaml
from pharmacoepi.synth.model import Model, load_model
from pharmacoepi.synth.writer import table_files

ROOT = Path(__file__).resolve().parents[2]
CODELISTS = ROOT / "cohorts" / "codelists"
EXAMPLES = ROOT / "cohorts" / "examples"
# the lists a Table 1 matches the comorbidities with: they are meant to find them
TARGET_FOLDERS = ("charlson", "table1")
# 4 standard deviations (Poisson) plus 2: fails about once in 30,000 conditions at random
Z = 4.0


def _norm(code: str) -> str:
    return code.replace(".", "").replace(" ", "").strip().upper()


def _shipped_codes() -> dict[str, set[str]]:
    files = [
        f
        for f in sorted(CODELISTS.rglob("*.csv"))
        if not set(f.relative_to(CODELISTS).parts[:-1]) & set(TARGET_FOLDERS)
    ]
    if EXAMPLES.is_dir():
        files += sorted(EXAMPLES.rglob("*.csv"))
    assert len(files) >= 30, "the shipped codelists were not found"
    out = {}
    for f in files:
        with f.open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        key = "code" if rows and "code" in rows[0] else next(iter(rows[0]))
        out[str(f.relative_to(ROOT))] = {_norm(r[key]) for r in rows if r[key]}
    return out


def _kind(code: str) -> str:
    """ICD-10 (A00, D693), ATC (A02BC01, B01AA) or other (CCAM acts, concept ids): codes
    of different vocabularies are not compared (A02, salmonella, is no prefix of an ATC)."""
    if len(code) >= 3 and code[0].isalpha() and code[1:3].isdigit():
        if len(code) == 3 or code[3].isdigit():
            return "icd10"
        return "atc"
    return "other"


def _collisions(emitted: list[str], lists: dict[str, set[str]]) -> list[tuple[str, str, str]]:
    hits = []
    for code in emitted:
        c = _norm(code)
        for name, listed in lists.items():
            for x in listed:
                if _kind(x) != _kind(c):
                    continue
                if c.startswith(x) or x.startswith(c):
                    hits.append((code, x, name))
    return hits


def test_no_emitted_code_collides_with_a_shipped_codelist():
    model = load_model("france_model")
    cm = model.comorbidities
    lists = _shipped_codes()
    # the ITP model's own families: secondary causes and outcome / exposure codes
    lists["model: secondary_family_prefixes"] = {
        _norm(c) for c in model.itp["secondary_family_prefixes"]
    }
    for o in model.outcomes:
        lists[f"model: outcome {o.name}"] = {_norm(c) for c in o.prefixes}
        lists[f"model: outcome {o.name} exposure"] = {_norm(c) for c in o.atc}
    dx, atc = cm.emitted_dx(model), cm.emitted_atc(model)
    assert "I252" in dx and "B01AF02" in atc  # the check reads what is emitted
    assert _collisions(dx, lists) == []
    assert _collisions(atc, lists) == []
    # the check can fail: a thrombosis code and a corticosteroid are caught
    assert len(_collisions(["I219", "H02AB06"], lists)) >= 2
    assert _kind("A02BC01") == "atc" and _kind("A02") == _kind("K900") == "icd10"


def test_the_collision_check_sees_every_codelist_folder():
    names = set(_shipped_codes())
    assert any("secondary_itp_causes" in n for n in names)
    assert any("itp_treatments/" in n for n in names)
    assert any("ms_dmt/" in n for n in names)


def test_prevalences_match_the_model(extract):
    out, _ = extract
    truth = json.loads((out / "ground_truth" / "comorbidities.json").read_text())
    assert truth["persons"] > 15_000
    for name, c in truth["conditions"].items():
        obs, exp = c["persons_with_condition"], c["expected_persons_with_condition"]
        assert abs(obs - exp) <= Z * math.sqrt(exp) + 2, (name, obs, exp)
        for cell in c["by_sex_age"]:
            o, e = cell["with_condition"], cell["expected"]
            assert abs(o - e) <= Z * math.sqrt(e) + 2, (name, cell)
    # Charlson conditions common in the elderly are there in numbers
    assert truth["conditions"]["diabetes"]["persons_with_condition"] > 400
    assert truth["conditions"]["hypertension"]["persons_with_condition"] > 1500


def test_recorded_rows_match_the_truth(extract):
    """The truth's recorded counts are what a query of the rows finds (diabetes codes)."""
    out, _ = extract
    truth = json.loads((out / "ground_truth" / "comorbidities.json").read_text())
    c = truth["conditions"]["diabetes"]
    ref = truth["reference_date"]
    codes = ", ".join(f"'{x}'" for x in c["codes"])
    con = duckdb.connect()
    for name in ("diagnoses", "observation_periods", "persons"):
        files = ", ".join(repr(str(p)) for p in table_files(out, name))
        con.execute(f"create view {name} as select * from read_parquet([{files}])")
    n = con.execute(
        f"""select count(distinct d.person_id) from diagnoses d
        where replace(upper(d.code), '.', '') in ({codes})
          and d.setting <> 'outpatient' and d.date <= date '{ref}'
          and exists (select 1 from observation_periods o where o.person_id = d.person_id
                      and date '{ref}' between o.start_date and o.end_date)"""
    ).fetchone()[0]
    assert n == c["persons_recorded_any_time_before"]
    # a tiotropium dispensing comes from the comorbidity model only
    t = truth["drugs"]["tiotropium"]
    assert 0 < t["persons_dispensed_year_before"] <= 2 * t["persons_on_treatment"] + 5


def test_primary_itp_cases_carry_the_autoimmune_excess(extract):
    out, _ = extract
    itp = json.loads((out / "ground_truth" / "comorbidities.json").read_text())["itp_primary_cases"]
    assert itp["primary_cases"] > 100
    conds = itp["conditions"]
    assert {"autoimmune_thyroiditis", "graves_disease", "mgus", "coeliac_disease"} <= set(conds)
    obs = sum(c["with_condition"] for c in conds.values())
    exp = sum(c["expected_with_excess"] for c in conds.values())
    base = sum(c["expected_without_excess"] for c in conds.values())
    assert exp > 1.5 * base
    assert abs(obs - exp) <= Z * math.sqrt(exp) + 2, (obs, exp)


def test_adding_comorbidities_moves_no_earlier_row_or_truth(tmp_path, monkeypatch):
    """The same run with the model's comorbidities block removed (what 1.6 drew) gives
    the same truth and a subset of the rows."""
    raw = copy.deepcopy(read_preset_yaml("france_model"))
    del raw["comorbidities"]
    monkeypatch.setitem(model_module._CACHE, "france_model_without_comorbidities", Model(raw))
    args = dict(
        persons=4_000,
        start=date(2005, 1, 1),
        end=date(2014, 12, 31),
        seed=3,
        itp_multiplier=300.0,
        ms_multiplier=20.0,
        chunk_size=1_500,
    )
    generate(SynthConfig(**args), tmp_path / "new")
    generate(SynthConfig(**args, model="france_model_without_comorbidities"), tmp_path / "old")
    old, new = tmp_path / "old" / "ground_truth", tmp_path / "new" / "ground_truth"
    for f in sorted(old.iterdir()):
        if f.suffix == ".parquet":
            assert pq.read_table(f).equals(pq.read_table(new / f.name)), f.name
        elif f.name != "summary.json":
            assert f.read_bytes() == (new / f.name).read_bytes(), f.name
    assert (new / "comorbidities.json").is_file()
    con = duckdb.connect()
    added = 0
    for name in ("persons", "observation_periods", "diagnoses", "dispensings", "procedures"):
        for tag in ("old", "new"):
            files = ", ".join(repr(str(p)) for p in table_files(tmp_path / tag, name))
            con.execute(f"create view {tag}_{name} as select * from read_parquet([{files}])")
        missing = con.execute(
            f"select count(*) from (select * from old_{name} except all select * from new_{name})"
        ).fetchone()[0]
        assert missing == 0, name
        added += con.execute(
            f"select (select count(*) from new_{name}) - (select count(*) from old_{name})"
        ).fetchone()[0]
    assert added > 0
    for tag in ("old", "new"):
        files = ", ".join(repr(str(p)) for p in table_files(tmp_path / tag, "hospital_stays"))
        con.execute(f"create view {tag}_stays as select * from read_parquet([{files}])")
    missing = con.execute(
        "select count(*) from (select * from old_stays except all select * from new_stays)"
    ).fetchone()[0]
    assert missing == 0


@pytest.mark.parametrize("name", ["diabetes", "heart_failure", "solid_cancer"])
def test_ald_eligible_conditions_get_open_ended_registrations(extract, name):
    out, _ = extract
    model = load_model("france_model")
    cond = next(c for c in model.comorbidities.conditions if c.name == name)
    codes = ", ".join(f"'{model.dx.codes[i]}'" for i in cond.code_ids)
    files = ", ".join(repr(str(p)) for p in table_files(out, "diagnoses"))
    n = (
        duckdb.connect()
        .execute(
            f"""select count(*) from read_parquet([{files}])
        where setting = 'long_term_disease' and end_date is null
          and replace(upper(code), '.', '') in ({codes})"""
        )
        .fetchone()[0]
    )
    assert n > 20
