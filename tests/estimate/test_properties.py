"""Estimators agree with simpler truths and with lifelines on random data; bad input is a
user error with a hint."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pharmacoepi.errors import UserError
from pharmacoepi.estimate import AalenJohansen, KaplanMeier, incidence_rates

times = st.lists(st.integers(1, 30), min_size=1, max_size=40)


@given(times)
def test_without_censoring_km_is_the_share_still_event_free(durations):
    frame = pl.DataFrame({"t": durations, "e": [1] * len(durations)})
    summary = KaplanMeier().fit(frame, duration_col="t", event_col="e").summary
    for row in summary.iter_rows(named=True):
        share = sum(d > row["time"] for d in durations) / len(durations)
        assert row["estimate"] == pytest.approx(share, abs=1e-12)


@given(st.lists(st.tuples(st.integers(1, 20), st.sampled_from([0, 1, 2])), min_size=1,
                max_size=40))  # fmt: skip
def test_cumulative_incidences_and_event_free_sum_to_one(rows):
    frame = pl.DataFrame(rows, schema=["t", "e"], orient="row")
    kinds = sorted({e for _, e in rows if e})
    if not kinds:
        return
    curves = [
        AalenJohansen().fit(frame, duration_col="t", event_col="e", event_of_interest=k).summary
        for k in kinds
    ]
    total = sum(c["estimate"].to_numpy() for c in curves) + curves[0]["event_free"].to_numpy()
    assert np.allclose(total, 1.0)
    if len(kinds) == 1:  # no competing event: the cumulative incidence is 1 - KM
        km = KaplanMeier().fit(frame.with_columns(pl.col("e").clip(0, 1)), duration_col="t",
                               event_col="e").summary  # fmt: skip
        assert np.allclose(curves[0]["estimate"].to_numpy(), 1 - km["estimate"].to_numpy())


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 10), st.floats(0.01, 20), st.booleans()), min_size=2,
                max_size=30, unique_by=lambda r: (r[0], r[1])))  # fmt: skip
def test_left_truncated_km_agrees_with_lifelines(rows):
    entry = [r[0] for r in rows]
    exit_ = [r[0] + r[1] for r in rows]
    events = [int(r[2]) for r in rows]
    if len(set(exit_)) < len(exit_) or set(entry) & set(exit_):
        return  # ties between entries and exits follow each package's own convention
    frame = pl.DataFrame({"entry": entry, "exit": exit_, "event": events})
    ours = KaplanMeier().fit(frame, duration_col="exit", event_col="event", entry_col="entry")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifelines import KaplanMeierFitter
        from lifelines.exceptions import StatError

        try:
            theirs = KaplanMeierFitter().fit(exit_, events, entry=entry)
        except StatError:  # lifelines refuses risk sets that empty out mid-way
            assume(False)
    reference = theirs.survival_function_.iloc[:, 0]
    for row in ours.summary.iter_rows(named=True):
        assert row["estimate"] == pytest.approx(float(reference.loc[row["time"]]), abs=1e-9)


def test_incidence_rates_by_stratum():
    frame = pl.DataFrame(
        {"sex": ["F", "F", "M"], "cases": [1, 2, 0], "years": [1000.0, 2000.0, 500.0]}
    )
    got = incidence_rates(frame, events_col="cases", person_time_col="years", by=["sex"], per=1000)
    assert got.select("sex", "events", "person_time", "rate").rows() == [
        ("F", 3, 3000.0, 1.0),
        ("M", 0, 500.0, 0.0),
    ]
    assert got["ci_lower"][1] == 0.0
    pooled = incidence_rates(frame, events_col="cases", person_time_col="years", per=1000)
    assert pooled.select("events", "person_time").row(0) == (3, 3500.0)


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (pl.DataFrame({"t": [-1, 2], "e": [1, 0]}), {}, "negative durations"),
        (pl.DataFrame({"t": [1, None], "e": [1, 0]}), {}, "null values in t"),
        (pl.DataFrame({"t": [1, 2], "e": [1, 0]}), {"group_col": "arm"}, "unknown column"),
        (pl.DataFrame({"t": [1, 2], "e": [1, 3]}), {}, "must be 0/1"),
        (pl.DataFrame({"t": [1, 2], "e": [1, 0], "s": [1, 0]}), {"entry_col": "s"},
         "entry >= exit"),
    ],
)  # fmt: skip
def test_bad_input_is_a_user_error(frame, kwargs, message):
    with pytest.raises(UserError, match=message) as raised:
        KaplanMeier().fit(frame, duration_col="t", event_col="e", **kwargs)
    assert raised.value.hint


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 40), st.booleans()), min_size=3, max_size=40))
def test_log_log_interval_agrees_with_lifelines(rows):
    """lifelines' Kaplan-Meier interval is the log-log ("exponential Greenwood") one."""
    durations = [t for t, _ in rows]
    events = [int(e) for _, e in rows]
    assume(sum(events) > 0)
    frame = pl.DataFrame({"t": durations, "e": events})
    ours = KaplanMeier(ci="log-log").fit(frame, duration_col="t", event_col="e").summary
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifelines import KaplanMeierFitter

        theirs = KaplanMeierFitter().fit(durations, events).confidence_interval_
    for row in ours.iter_rows(named=True):
        lower, upper = theirs.loc[row["time"]].to_numpy()
        if row["ci_lower"] is not None and 0 < row["estimate"] < 1:
            assert row["ci_lower"] == pytest.approx(lower, abs=1e-9)
            assert row["ci_upper"] == pytest.approx(upper, abs=1e-9)


def test_events_at_time_zero_are_in_the_risk_set():
    """Ten persons, two dying on the index date (time 0, common in claims): R's survfit
    and lifelines give S(0) = 0.8 with 10 at risk; Greenwood var(log S) = 2 / (10 x 8)."""
    frame = pl.DataFrame({"t": [0, 0, 1, 2, 3, 4, 5, 6, 7, 8],
                          "e": [1, 1, 0, 1, 0, 1, 0, 0, 1, 0]})  # fmt: skip
    first = KaplanMeier().fit(frame, duration_col="t", event_col="e").summary.row(0, named=True)
    se_log = (2 / (10 * 8)) ** 0.5
    assert (first["time"], first["at_risk"], first["events"]) == (0.0, 10, 2)
    assert first["estimate"] == pytest.approx(0.8, abs=1e-15)
    assert first["ci_lower"] == pytest.approx(0.8 * np.exp(-1.959963984540054 * se_log), 1e-12)
    assert first["ci_upper"] == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifelines import KaplanMeierFitter

        theirs = KaplanMeierFitter().fit(frame["t"].to_list(), frame["e"].to_list())
    ours = KaplanMeier().fit(frame, duration_col="t", event_col="e").summary
    for row in ours.iter_rows(named=True):
        reference = float(theirs.survival_function_.loc[row["time"]].iloc[0])
        assert row["estimate"] == pytest.approx(reference, abs=1e-12)
    cif = AalenJohansen().fit(frame, duration_col="t", event_col="e", event_of_interest=1)
    assert cif.summary.row(0, named=True)["estimate"] == pytest.approx(0.2, abs=1e-15)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0, 0, 0, 1, 2, 5, 9]), st.booleans()),
                min_size=1, max_size=40))  # fmt: skip
def test_ties_at_time_zero_agree_with_lifelines(rows):
    durations = [t for t, _ in rows]
    events = [int(e) for _, e in rows]
    frame = pl.DataFrame({"t": durations, "e": events})
    ours = KaplanMeier().fit(frame, duration_col="t", event_col="e").summary
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifelines import KaplanMeierFitter

        theirs = KaplanMeierFitter().fit(durations, events).survival_function_.iloc[:, 0]
    for row in ours.iter_rows(named=True):
        assert row["at_risk"] == sum(t >= row["time"] for t in durations)
        assert row["estimate"] == pytest.approx(float(theirs.loc[row["time"]]), abs=1e-12)
        if 0 < row["estimate"] < 1:  # a finite interval around every estimate inside (0, 1)
            assert row["ci_lower"] is not None and row["ci_upper"] is not None
