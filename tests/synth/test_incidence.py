"""Injected incidence is recovered from the data, with the FAITH age/sex shape."""

import csv
import math

import numpy as np

from pharmacoepi.synth.model import load_model

from .helpers import connect, scalar


def _rates(root):
    with (root / "ground_truth" / "injected_rates.csv").open() as fh:
        return list(csv.DictReader(fh))


def test_injected_rates_table(extract):
    root, _ = extract
    rows = _rates(root)
    assert list(rows[0]) == ["age_lower", "age_upper", "sex", "rate_per_100k"]
    assert len(rows) == 38
    assert rows[0]["age_lower"] == "0" and rows[0]["age_upper"] == "4"
    assert rows[-1]["age_lower"] == "90" and rows[-1]["age_upper"] == ""
    rate = {(int(r["age_lower"]), r["sex"]): float(r["rate_per_100k"]) / 200 for r in rows}
    # crude over the French pyramid is the FAITH 2.9 per 100,000 person-years
    model = load_model("france_model")
    crude = sum(
        model.pyramid[b, s] * rate[(int(lo), "MF"[s])]
        for b, lo in enumerate(model.band_lower)
        for s in (0, 1)
    )
    assert math.isclose(crude, 2.9, rel_tol=1e-6)
    mid = [rate[(a, s)] for a in range(20, 60, 5) for s in "MF"]
    assert rate[(0, "M")] > max(mid) and rate[(0, "F")] > max(mid)
    assert min(rate[(a, s)] for a in range(65, 95, 5) for s in "MF") > max(mid)
    assert all(rate[(a, "M")] > rate[(a, "F")] for a in range(60, 95, 5))
    assert all(rate[(a, "F")] > rate[(a, "M")] for a in range(20, 50, 5))


def test_incident_onsets_match_expected(extract):
    root, summary = extract
    observed, expected = summary["incident_onsets"], summary["expected_incident_onsets"]
    assert expected > 700
    assert abs(observed - expected) < 4 * math.sqrt(expected)
    assert math.isclose(summary["crude_injected_rate_per_100k"], 2.9 * 200, rel_tol=0.06)
    con = connect(root)
    assert scalar(con, "select count(*) from cases where not prevalent") == observed
    # independent person-time at risk: covered time of persons without prevalent ITP,
    # up to their onset
    py_risk = scalar(
        con,
        """select sum(greatest(0, date_diff('day', o.start_date,
            least(o.end_date + 1, coalesce(c.onset_date, o.end_date + 1))))) / 365.25
        from observation_periods o left join cases c using (person_id)
        where c.prevalent is null or not c.prevalent""",
    )
    # onset is a continuous time inside the onset day: allow half a day per case
    assert abs(py_risk - summary["person_years_at_risk"]) < observed / 365.25
    rate = observed / py_risk * 1e5
    sigma = math.sqrt(expected) / py_risk * 1e5
    assert abs(rate - summary["crude_injected_rate_per_100k"]) < 4 * sigma
    covered = scalar(
        con,
        """select sum(date_diff('day', start_date, end_date) + 1) / 365.25
        from observation_periods""",
    )
    assert math.isclose(covered, summary["person_years"], rel_tol=1e-9)


def test_age_and_sex_shape_is_recovered(extract):
    _, summary = extract
    rows = summary["incidence_by_band"]

    def group(lo, hi, sexes="MF"):
        sel = [r for r in rows if lo <= r["age_lower"] < hi and r["sex"] in sexes]
        obs = sum(r["observed_onsets"] for r in sel)
        exp = sum(r["expected_onsets"] for r in sel)
        py = sum(r["person_years_at_risk"] for r in sel)
        return obs, exp, py

    for lo, hi in [(0, 20), (20, 60), (60, 200)]:
        for sexes in ("M", "F"):
            obs, exp, _ = group(lo, hi, sexes)
            assert exp > 30
            assert abs(obs - exp) < 4 * math.sqrt(exp), (lo, hi, sexes)
    child = group(0, 20)
    adult = group(20, 60)
    old = group(60, 200)
    r = {k: v[0] / v[2] for k, v in {"child": child, "adult": adult, "old": old}.items()}
    assert r["child"] > r["adult"] * 1.15 and r["old"] > r["adult"] * 1.5
    m_old, f_old = group(60, 200, "M"), group(60, 200, "F")
    assert m_old[0] / m_old[2] > f_old[0] / f_old[2]
    assert sum(x["observed_onsets"] for x in rows) == summary["incident_onsets"]


def test_background_volumes(extract):
    root, summary = extract
    con = connect(root)
    py = summary["person_years"]
    disp = scalar(con, "select count(*) from dispensings") / py
    stays = scalar(con, "select count(*) from hospital_stays") / py
    assert 15 < disp < 25
    assert 0.12 < stays < 0.3
    # elderly fill more prescriptions than children
    by_age = dict(
        con.execute("""select date_diff('year', p.birth_date, d.date) >= 60,
        count(*) from dispensings d join persons p using (person_id) group by 1""").fetchall()
    )
    assert by_age[True] > 0.4 * sum(by_age.values())
    cs = scalar(
        con,
        """select avg(starts_with(atc, 'H02AB')::int) from dispensings
        where person_id not in (select person_id from cases)""",
    )
    assert 0.005 < cs < 0.012
    # L24: 14.7-17.1% of French adults fill an oral glucocorticoid each year; here adults
    # (non-cases) covered for the whole of 2008
    users = scalar(
        con,
        """select avg((exists (select 1 from dispensings d where d.person_id = p.person_id
        and starts_with(d.atc, 'H02AB') and year(d.date) = 2008))::int)
        from persons p where p.birth_date <= date '1990-01-01'
        and p.person_id not in (select person_id from cases)
        and exists (select 1 from observation_periods o where o.person_id = p.person_id
        and o.start_date <= date '2008-01-01' and o.end_date >= date '2008-12-31')""",
    )
    assert 0.12 < users < 0.21, users
    los = scalar(
        con, "select avg(date_diff('day', admission_date, discharge_date)) from hospital_stays"
    )
    assert 3.0 < los < 6.0
    ald = scalar(
        con,
        """select count(distinct person_id) / 20000 from diagnoses
        where setting = 'long_term_disease'""",
    )
    assert 0.10 < ald < 0.30  # 1.7.0: the comorbidities' ALDs added (~0.24)
    near_miss = {
        r[0]
        for r in con.execute("""select distinct replace(upper(code), '.', '')
        from diagnoses where setting = 'hospital_primary'""").fetchall()
    }
    assert {"D694", "D695", "D696", "D69", "C833", "D469", "K746"} <= near_miss
    assert "D693" not in {
        r[0]
        for r in con.execute("""select distinct
        replace(upper(code), '.', '') from diagnoses d where person_id not in
        (select person_id from cases) and setting <> 'outpatient'""").fetchall()
    }
    assert np.isfinite(py)
