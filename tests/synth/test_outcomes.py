"""Safety outcomes injected into the ITP cases (generator 1.6.0): thrombosis stays at a
baseline rate, doubled during TPO-RA eras; serious infection stays at a baseline rate,
x2.6 in the six months after each rituximab course start (france_model.yaml `outcomes`).

What is checked, each against the written tables rather than the generator's own code:
the exposure windows are what the cohort builder's rules give on the recorded
dispensings (recomputed here in SQL), the follow-up days and the background events in
ground_truth are what the tables hold, every outcome stay is a hospital stay with a
hospital_primary code of the outcome's codelist, the injected events follow the rates
(a dataset with the rates x50 for power), the model's codes and exposure rules are those
of the shipped codelists and of cohorts/itp_faith.yaml, and the injection changes no
other row: a run without outcomes holds the same rows in the same order."""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import math
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from pharmacoepi.definition import load_definition
from pharmacoepi.resources import resource_dir
from pharmacoepi.synth import generate
from pharmacoepi.synth import model as model_module
from pharmacoepi.synth.model import Model, load_model
from pharmacoepi.synth.writer import CONTRACT, table_files

from .conftest import small_config
from .helpers import connect, scalar

MODEL = load_model("france_model")
SPECS = {spec.name: spec for spec in MODEL.outcomes}
OUTCOMES = ("serious_infection", "thrombosis")
TRUTH_FILES = ("outcome_events", "outcome_exposure", "outcome_follow_up")
# a test statistic beyond 4 standard deviations fails (two-sided p ~ 6e-5 under the model)
Z_MAX = 4.0
# the outcome rates of the power test: baseline x50 (the real rates give a handful of
# events on exposure in a small extract)
BOOST = 50


def _codelist(name: str) -> list[str]:
    path = resource_dir("cohorts") / "codelists" / f"{name}.csv"
    with path.open(encoding="utf-8") as fh:
        return sorted(row["code"] for row in csv.DictReader(fh))


def _registered(name: str, raw: dict) -> str:
    """A model variant under a name of its own (removed by the caller)."""
    model_module._CACHE[name] = Model(raw)
    return name


@pytest.fixture(scope="module")
def boosted(tmp_path_factory):
    """The small extract with every outcome's baseline rate x50: enough events on exposure
    to test the rate ratio (the real rates give a handful: see synthetic_data/README.md)."""
    raw = copy.deepcopy(MODEL.raw)
    for spec in raw["outcomes"].values():
        spec["baseline_per_100k"] *= BOOST
    name = _registered("france_model_outcomes_boosted", raw)
    try:
        out = tmp_path_factory.mktemp("synth") / "boosted"
        generate(small_config(model=name), out)
    finally:
        del model_module._CACHE[name]
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A tiny extract twice with the same seed, and once with a model without outcomes."""
    base = tmp_path_factory.mktemp("synth")
    cfg = dict(persons=6_000, chunk_size=2_000, itp_multiplier=300.0)
    generate(small_config(**cfg), base / "a")
    generate(small_config(**cfg), base / "b")
    raw = copy.deepcopy(MODEL.raw)
    del raw["outcomes"]
    name = _registered("france_model_without_outcomes", raw)
    try:
        generate(small_config(model=name, **cfg), base / "none")
    finally:
        del model_module._CACHE[name]
    return base


def _truth(con, root: Path) -> None:
    for name in TRUTH_FILES:
        path = root / "ground_truth" / f"{name}.parquet"
        con.read_parquet(str(path)).create_view(name)


def _prefix_match(column: str, codes: list[str]) -> str:
    return "(" + " or ".join(f"starts_with({column}, '{c}')" for c in codes) + ")"


# --- the model and the codelists ----------------------------------------------------------


def test_model_codes_are_the_codelists():
    for name, spec in SPECS.items():
        assert sorted(spec.prefixes) == _codelist(name)
        injected = {MODEL.dx.codes[i] for i in (*spec.primary.items, *spec.related.items)}
        assert all(code.startswith(spec.prefixes) for code in injected), name
    assert set(SPECS) == set(OUTCOMES)


def test_exposure_rules_are_the_cohort_definitions():
    faith = load_definition("itp_faith")
    tpo = faith.definition.treatments.classes["tpo_ra"]
    thrombosis = SPECS["thrombosis"]
    assert thrombosis.kind == "era"
    assert set(faith.codelists["tpo_ra"].codes) == thrombosis.atc
    assert (tpo.days_per_box, tpo.grace_days, tpo.stockpiling) == (
        thrombosis.days_per_box,
        thrombosis.grace_days,
        False,
    )
    rituximab = faith.definition.treatments.classes["rituximab"]
    infection = SPECS["serious_infection"]
    assert infection.kind == "course"
    assert set(faith.codelists["rituximab"].codes) == infection.atc
    assert rituximab.course_gap_days == infection.course_gap_days == 60
    assert rituximab.course_effect_days == infection.window_days == 182


def test_injected_codes_never_touch_the_itp_definitions():
    """No injected code is ITP, a secondary-ITP cause, a bleeding code, MS or NMOSD: the
    outcome stays change no cohort membership, index date or bleeding outcome."""
    faith = load_definition("itp_faith")
    others = [
        *faith.codelists["itp"].codes,
        *faith.codelists["secondary_itp"].codes,
        *faith.codelists["bleeding"].codes,
        "G35",
        "G36",
    ]
    for spec in SPECS.values():
        for i in (*spec.primary.items, *spec.related.items):
            assert not MODEL.dx.codes[i].startswith(tuple(others)), MODEL.dx.codes[i]


# --- the stays -----------------------------------------------------------------------------


def test_outcome_stays_are_hospital_primary_stays_of_the_codelists(extract):
    root, _ = extract
    con = connect(root)
    _truth(con, root)
    n = scalar(con, "select count(*) from outcome_events")
    assert n > 300
    # each event is one hospital stay of its person, admitted on a covered day from T on
    assert n == scalar(
        con,
        """select count(*) from outcome_events e
        join hospital_stays s on s.stay_id = e.stay_id and s.person_id = e.person_id
            and s.admission_date = e.admission_date and s.discharge_date = e.discharge_date
        join cases c on c.person_id = e.person_id and e.admission_date >= c.onset_date
        join observation_periods o on o.person_id = e.person_id
            and e.admission_date between o.start_date and o.end_date
            and e.discharge_date <= o.end_date""",
    )
    # numbered after every other stay of the run
    assert scalar(
        con,
        """select max(stay_id) from hospital_stays
        where stay_id not in (select stay_id from outcome_events)
        and stay_id < (select min(stay_id) from outcome_events)
            + (select count(*) from outcome_events)""",
    ) < scalar(con, "select min(stay_id) from outcome_events")
    for outcome in OUTCOMES:
        codes = _codelist(outcome)
        rows = con.execute(
            f"""select d.setting, count(*),
                count(*) filter (where {_prefix_match("d.ncode", codes)}),
                count(*) filter (where d.setting = 'hospital_primary' and d.ncode = e.code)
            from outcome_events e join dx d using (stay_id)
            where e.outcome = '{outcome}' group by 1 order by 1"""
        ).fetchall()
        events = scalar(con, f"select count(*) from outcome_events where outcome = '{outcome}'")
        by_setting = {setting: (total, coded, same) for setting, total, coded, same in rows}
        assert set(by_setting) == {"hospital_primary", "hospital_related"}
        assert by_setting["hospital_primary"] == (events, events, events)
        related, coded, _ = by_setting["hospital_related"]
        assert related == coded  # the second row is an outcome code too
        assert 0.15 * events < related < 0.35 * events  # related_prob 0.25
    # a person-day can hold more than one outcome row
    assert (
        scalar(
            con,
            """select count(*) from (select person_id, date from dx
        where stay_id in (select stay_id from outcome_events) group by 1, 2 having count(*) > 1)""",
        )
        > 0
    )


def test_exposure_windows_are_what_the_builder_reads(extract):
    """TPO-RA eras (boxes x 30 days, merged across <= 30 uncovered days, no stockpiling,
    to the last covered day) and rituximab windows ([course start, + 181], courses split
    at >= 60 days), recomputed from the recorded dispensings, truncated at the last
    covered day."""
    root, _ = extract
    con = connect(root)
    _truth(con, root)
    tpo = "', '".join(sorted(SPECS["thrombosis"].atc))
    rtx = "', '".join(sorted(SPECS["serious_infection"].atc))
    con.execute("""create view last_day as
        select person_id, max(end_date) as last_date from observation_periods group by 1""")
    expected = con.execute(
        f"""with windows as (
            select person_id, 'thrombosis' as outcome, date as s,
                date + cast(greatest(1, round(quantity * 30)) as integer) - 1 as e, 30 as grace
            from dispensings join cases using (person_id) where atc in ('{tpo}')
            union all
            select person_id, 'serious_infection', date, date + 181, 0 from (
                select person_id, date,
                    date - lag(date) over (partition by person_id order by date) as gap
                from dispensings join cases using (person_id) where atc in ('{rtx}'))
            where gap is null or gap >= 60
        ), ordered as (
            select *, max(e) over (partition by person_id, outcome order by s, e
                rows between unbounded preceding and 1 preceding) as covered_until
            from windows
        ), numbered as (
            select *, sum(case when covered_until is null or s > covered_until + grace + 1
                then 1 else 0 end) over (partition by person_id, outcome order by s, e
                rows unbounded preceding) as era
            from ordered
        )
        select n.person_id, outcome, min(s), least(max(e), any_value(l.last_date))
        from numbered n join last_day l using (person_id)
        group by n.person_id, outcome, era
        having min(s) <= any_value(l.last_date)
        order by 1, 2, 3"""
    ).fetchall()
    written = con.execute(
        "select person_id, outcome, start_date, end_date from outcome_exposure order by 1, 2, 3"
    ).fetchall()
    assert written == expected
    assert {row[1] for row in written} == set(OUTCOMES)
    # the ground truth's exposed flag is the admission day inside a window
    assert 0 == scalar(
        con,
        """select count(*) from outcome_events e where e.exposed != exists (
            select 1 from outcome_exposure w where w.person_id = e.person_id
            and w.outcome = e.outcome and e.admission_date between w.start_date and w.end_date)""",
    )


def test_follow_up_days_and_background_events_are_those_of_the_tables(extract):
    root, _ = extract
    con = connect(root)
    _truth(con, root)
    # covered days from T, and those inside an exposure window, per case and outcome
    expected = con.execute(
        """with covered as (
            select c.person_id, greatest(o.start_date, c.onset_date) as s, o.end_date as e
            from cases c join observation_periods o using (person_id)
            where o.end_date >= c.onset_date
        ), total as (
            select person_id, sum(e - s + 1) as days from covered group by 1
        ), exposed as (
            select w.person_id, w.outcome,
                sum(greatest(0, least(w.end_date, c.e) - greatest(w.start_date, c.s) + 1)) as days
            from outcome_exposure w join covered c using (person_id) group by 1, 2
        )
        select t.person_id, x.outcome, coalesce(e.days, 0), t.days - coalesce(e.days, 0)
        from total t cross join (values ('serious_infection'), ('thrombosis')) x(outcome)
        left join exposed e on e.person_id = t.person_id and e.outcome = x.outcome
        order by 1, 2"""
    ).fetchall()
    written = con.execute(
        """select person_id, outcome, sum(days_on), sum(days_off) from outcome_follow_up
        group by 1, 2 order by 1, 2"""
    ).fetchall()
    assert written == expected
    assert scalar(con, "select count(distinct person_id) from outcome_follow_up") == scalar(
        con, "select count(*) from cases"
    )
    for outcome in OUTCOMES:
        # injected and background (the cases' other stays with an outcome primary code)
        injected = con.execute(
            f"""select count(*) filter (where exposed), count(*) filter (where not exposed)
            from outcome_events where outcome = '{outcome}'"""
        ).fetchone()
        background = con.execute(
            f"""select count(*) filter (where on_), count(*) filter (where not on_) from (
                select exists (select 1 from outcome_exposure w where w.person_id = d.person_id
                    and w.outcome = '{outcome}' and d.date between w.start_date and w.end_date)
                    as on_
                from dx d join cases c on c.person_id = d.person_id and d.date >= c.onset_date
                where d.setting = 'hospital_primary'
                and {_prefix_match("d.ncode", _codelist(outcome))}
                and d.stay_id not in (select stay_id from outcome_events))"""
        ).fetchone()
        written = con.execute(
            f"""select sum(injected_on), sum(injected_off), sum(background_on),
                sum(background_off) from outcome_follow_up where outcome = '{outcome}'"""
        ).fetchone()
        assert written == (*injected, *background), outcome
        assert background[1] > 0  # the background care holds outcome codes too


# --- the rates -----------------------------------------------------------------------------


def _z_poisson(observed: int, expected: float) -> float:
    return (observed - expected) / math.sqrt(expected)


def test_injected_events_follow_the_rates(boosted):
    """With the baseline rates x50: events off exposure ~ Poisson(r0 x PY off), on exposure
    ~ Poisson(r0 x RR x PY on), and, given the total, the events on exposure ~
    Binomial(total, RR PY_on / (RR PY_on + PY_off)): each within Z_MAX standard deviations;
    the estimated rate ratio within 25% of the true one."""
    con = connect(boosted)
    _truth(con, boosted)
    for outcome in OUTCOMES:
        spec = SPECS[outcome]
        days_on, days_off, on, off = con.execute(
            f"""select sum(days_on), sum(days_off), sum(injected_on), sum(injected_off)
            from outcome_follow_up where outcome = '{outcome}'"""
        ).fetchone()
        per_day = BOOST * spec.baseline_per_100k / 1e5 / 365.25
        assert abs(_z_poisson(off, per_day * days_off)) < Z_MAX, outcome
        assert abs(_z_poisson(on, per_day * spec.rate_ratio * days_on)) < Z_MAX, outcome
        share = spec.rate_ratio * days_on / (spec.rate_ratio * days_on + days_off)
        total = on + off
        z = (on - total * share) / math.sqrt(total * share * (1 - share))
        assert abs(z) < Z_MAX, outcome
        assert on > 150  # power: the ratio is measured, not guessed
        estimate = (on / days_on) / (off / days_off)
        assert abs(estimate / spec.rate_ratio - 1) < 0.25, (outcome, estimate)


def test_outcomes_json_states_the_rates_and_sums_the_follow_up(extract):
    import json

    root, _ = extract
    truth = json.loads((root / "ground_truth" / "outcomes.json").read_text())
    con = connect(root)
    _truth(con, root)
    assert set(truth["outcomes"]) == set(OUTCOMES)
    for outcome, block in truth["outcomes"].items():
        spec = SPECS[outcome]
        assert block["baseline_rate_per_100k"] == spec.baseline_per_100k
        assert block["raised_rate_per_100k"] == pytest.approx(
            spec.baseline_per_100k * spec.rate_ratio
        )
        assert block["rate_ratio"] == spec.rate_ratio
        assert block["codelist_prefixes"] == list(spec.prefixes)
        assert block["exposure"]["kind"] == spec.kind
        assert block["exposure"]["atc"] == sorted(spec.atc)
        everyone = block["groups"]["all_cases"]
        sums = con.execute(
            f"""select sum(days_on), sum(days_off), sum(injected_on), sum(injected_off),
                sum(background_on), sum(background_off), count(distinct person_id)
            from outcome_follow_up where outcome = '{outcome}'"""
        ).fetchone()
        assert (
            everyone["person_days_on"],
            everyone["person_days_off"],
            everyone["injected_on"],
            everyone["injected_off"],
            everyone["background_on"],
            everyone["background_off"],
            everyone["persons"],
        ) == sums
        faith = block["groups"]["faith_adults"]
        assert 0 < faith["persons"] < everyone["persons"]
        assert faith["injected_off"] <= everyone["injected_off"]
    # the FAITH-like group: incident primary adults with a first code in the study period
    assert truth["outcomes"]["thrombosis"]["groups"]["faith_adults"]["persons"] == scalar(
        con,
        """select count(*) from cases where not prevalent and not secondary
        and date_diff('year', birth_date, onset_date) - case when strftime(onset_date, '%m%d')
            < strftime(birth_date, '%m%d') then 1 else 0 end >= 18
        and first_code_date between date '2009-07-01' and date '2011-06-30'""",
    )


# --- determinism and the other rows --------------------------------------------------------


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _plain(table: pa.Table) -> pa.Table:
    """Dictionary-encoded strings as plain strings (the dictionaries differ: the outcome
    codes are in the vocabulary of one run only)."""
    return table.cast(
        pa.schema(
            (f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type)
            for f in table.schema
        )
    )


def test_same_seed_same_outcome_rows(runs):
    a, b = _digest(runs / "a"), _digest(runs / "b")
    assert a == b
    for name in (*TRUTH_FILES, "outcomes"):
        suffix = ".json" if name == "outcomes" else ".parquet"
        assert f"ground_truth/{name}{suffix}" in a


def test_the_injection_changes_no_other_row(runs):
    """Against a run whose model has no outcomes: every table holds the same rows in the
    same order once the outcome stays (and their diagnoses) are set aside, stay ids
    included; the rest of the ground truth is identical."""
    with_, without = runs / "a", runs / "none"
    outcome_stays = pq.read_table(with_ / "ground_truth" / "outcome_events.parquet")["stay_id"]
    assert len(outcome_stays) > 50
    for table in CONTRACT:
        files_with = [p.relative_to(with_) for p in table_files(with_, table)]
        files_without = [p.relative_to(without) for p in table_files(without, table)]
        assert set(files_without) <= set(files_with), table
        for rel in files_with:
            got = _plain(pq.read_table(with_ / rel))
            want = _plain(pq.read_table(without / rel)) if rel in files_without else None
            if "stay_id" in got.column_names:
                injected = pc.is_in(got["stay_id"], value_set=outcome_stays)
                got = got.filter(pc.invert(pc.fill_null(injected, False)))
                # the comorbidity stays (1.7.0) are numbered after the outcome stays
                got = _before_comorbidity_stays(got, with_)
                if want is not None:
                    want = _before_comorbidity_stays(want, without)
            if want is None:
                assert got.num_rows == 0, rel
                continue
            assert got.equals(want), rel
    truth_with = _digest(with_ / "ground_truth")
    truth_without = _digest(without / "ground_truth")
    differing = {k for k in truth_with if truth_with[k] != truth_without.get(k)}
    assert differing == {f"{n}.parquet" for n in TRUTH_FILES} | {
        "outcomes.json",
        "summary.json",
        "comorbidities.json",  # comorbidity_stay_ids_from
    }


def _before_comorbidity_stays(table, root: Path):
    first = json.loads((root / "ground_truth" / "comorbidities.json").read_text())[
        "comorbidity_stay_ids_from"
    ]
    return table.filter(pc.fill_null(pc.less(table["stay_id"], first), True))
