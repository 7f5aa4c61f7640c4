"""Winter seasonality of ITP onsets (L1: winter peak, summer nadir; L7: January peak):
the hazard is multiplied by 1 + a cos(2 pi (t - 15 January) / 365.25). The expected onsets
by calendar month in summary.json are recomputed here from the observation periods and
the injected rates, and the observed onsets follow them."""

from __future__ import annotations

import csv
import math
from datetime import date

import numpy as np

from pharmacoepi.synth.model import load_model

from .helpers import connect

EPOCH = date(1970, 1, 1)
MODEL = load_model("france_model")


def _months(start: date, end: date) -> tuple[np.ndarray, np.ndarray]:
    """First day of each calendar month from start's month to end's, and the next one."""
    first = np.arange(np.datetime64(start, "M"), np.datetime64(end, "M") + 1, dtype="datetime64[M]")
    lo = first.astype("datetime64[D]").astype(np.int64)
    hi = (first + 1).astype("datetime64[D]").astype(np.int64)
    return lo, hi


def _expected_by_month(root, summary) -> np.ndarray:
    con = connect(root)
    seg = con.execute("""select o.person_id, p.sex = 'F',
        date_diff('day', date '1970-01-01', p.birth_date),
        date_diff('day', date '1970-01-01', o.start_date),
        date_diff('day', date '1970-01-01', o.end_date) + 1,
        date_diff('day', date '1970-01-01', c.onset_date)
        from observation_periods o join persons p using (person_id)
        left join cases c using (person_id)
        where c.prevalent is null or not c.prevalent""").fetchall()
    _, female, birth, lo, hi, onset = (np.array(x, dtype=float) for x in zip(*seg, strict=True))
    # an onset is a continuous time inside its day: at risk to its middle
    hi = np.where(np.isnan(onset), hi, np.minimum(hi, onset + 0.5))
    with (root / "ground_truth" / "injected_rates.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    rate = np.zeros((len(MODEL.band_lower), 2))
    for r in rows:
        band = int(np.searchsorted(MODEL.band_lower, float(r["age_lower"])))
        rate[band, int(r["sex"] == "F")] = float(r["rate_per_100k"]) / 1e5 / 365.25  # per day
    cfg = summary["config"]
    m_lo, m_hi = _months(date.fromisoformat(cfg["start"]), date.fromisoformat(cfg["end"]))
    calendar = (np.arange(len(m_lo)) + date.fromisoformat(cfg["start"]).month - 1) % 12
    a, peak = MODEL.itp_season_amplitude, MODEL.itp_season_peak
    w = 2 * np.pi / 365.25
    t0 = np.maximum(lo[:, None], m_lo[None, :])
    t1 = np.minimum(hi[:, None], m_hi[None, :])
    t1 = np.maximum(t1, t0)
    seasonal = (t1 - t0) + a / w * (np.sin(w * (t1 - peak)) - np.sin(w * (t0 - peak)))
    age = ((t0 + t1) / 2 - birth[:, None]) / 365.25
    band = np.searchsorted(MODEL.band_lower, age, side="right") - 1
    cell = rate[band, female.astype(int)[:, None]] * seasonal
    out = np.zeros(12)
    np.add.at(out, calendar, cell.sum(axis=0))
    return out


def test_expected_onsets_by_month_integrate_the_seasonal_hazard(extract):
    root, summary = extract
    season = summary["itp"]["seasonality"]
    expected = np.array(season["expected_onsets_by_month"])
    assert math.isclose(expected.sum(), summary["expected_incident_onsets"], rel_tol=1e-9)
    mine = _expected_by_month(root, summary)
    assert np.allclose(expected, mine, rtol=0.01), (expected, mine)
    # January peak, July nadir; the mean factor over a year is 1 (crude rate unchanged)
    assert expected.argmax() == 0 and expected.argmin() in (5, 6)
    assert 1.45 < expected[0] / expected[6] < 1.75


def test_observed_onsets_follow_the_season(extract):
    root, summary = extract
    season = summary["itp"]["seasonality"]
    observed = np.array(season["observed_onsets_by_month"])
    expected = np.array(season["expected_onsets_by_month"])
    con = connect(root)
    by_month = dict(
        con.execute(
            "select month(onset_date), count(*) from cases where not prevalent group by 1"
        ).fetchall()
    )
    assert list(observed) == [by_month.get(m, 0) for m in range(1, 13)]
    assert observed.sum() == summary["incident_onsets"]
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    assert chi2 < 40, (chi2, observed, expected)  # 11 df: p ~ 4e-5
    winter = observed[[11, 0, 1]].sum()
    summer = observed[[5, 6, 7]].sum()
    assert winter > 1.2 * summer
    # the FAITH window (2009-07-01 .. 2011-06-30)
    window = np.array(season["observed_onsets_by_month_faith_window"])
    assert window.sum() == summary["incident_onsets_faith_window"]
    in_window = dict(
        con.execute("""select month(onset_date), count(*) from cases where not prevalent
        and onset_date between date '2009-07-01' and date '2011-06-30' group by 1""").fetchall()
    )
    assert list(window) == [in_window.get(m, 0) for m in range(1, 13)]
    expected_window = np.array(season["expected_onsets_by_month_faith_window"])
    assert 0.15 < expected_window.sum() / expected.sum() < 0.25  # 2 of 10 years
    assert expected_window.argmax() == 0
