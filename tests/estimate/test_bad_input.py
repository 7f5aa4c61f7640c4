"""Hardening, estimators: input an estimator cannot use is refused with the project's
UserError and a hint, never read as another value (0.5 events as 0, NaN as a time) nor
left to a Polars or NumPy exception. One test per finding of the hostile-user review."""

from __future__ import annotations

import math

import polars as pl
import pytest

from pharmacoepi.errors import UserError
from pharmacoepi.estimate import (
    ESP2013,
    AalenJohansen,
    CoxPH,
    KaplanMeier,
    direct_standardize,
    incidence_rates,
    poisson_ci,
)


def _refused(call, message: str) -> None:
    with pytest.raises(UserError, match=message) as raised:
        call()
    assert raised.value.hint


def test_nan_durations_are_refused():
    frame = pl.DataFrame({"t": [1.0, math.nan, 3.0], "e": [1, 1, 0]})
    _refused(lambda: KaplanMeier().fit(frame, duration_col="t", event_col="e"), "NaN")
    _refused(
        lambda: AalenJohansen().fit(frame, duration_col="t", event_col="e", event_of_interest=1),
        "NaN",
    )


def test_fractional_events_are_not_read_as_whole_ones():
    frame = pl.DataFrame({"t": [1, 2, 3], "e": [0.5, 1.7, 0.0]})
    _refused(lambda: KaplanMeier().fit(frame, duration_col="t", event_col="e"), "must be 0/1")
    _refused(
        lambda: AalenJohansen().fit(frame, duration_col="t", event_col="e", event_of_interest=1),
        "not whole-number codes",
    )


def test_text_events_are_refused_with_a_hint():
    frame = pl.DataFrame({"t": [1, 2], "e": ["1", "0"]})
    _refused(lambda: KaplanMeier().fit(frame, duration_col="t", event_col="e"), "must be 0/1")
    _refused(
        lambda: CoxPH().fit(frame.with_columns(pl.lit(1.0).alias("x")), duration_col="t",
                            event_col="e", covariates=["x"]),
        "must be 0/1",
    )  # fmt: skip


def test_fractional_event_counts_are_not_rates():
    frame = pl.DataFrame({"events": [2.5], "years": [100.0]})
    _refused(
        lambda: incidence_rates(frame, events_col="events", person_time_col="years"),
        "not whole numbers",
    )
    _refused(lambda: poisson_ci(2.5, 100.0), "whole number")


def test_negative_event_counts_give_no_rate():
    frame = pl.DataFrame({"age": [0, 5], "events": [-3, 4], "years": [100.0, 100.0]})
    standard = pl.DataFrame({"stratum": [0, 5], "weight": [1.0, 1.0]})
    _refused(
        lambda: direct_standardize(frame, events_col="events", person_time_col="years",
                                   stratum_col="age", standard=standard),
        "negative",
    )  # fmt: skip


def test_strata_above_the_standards_last_band_are_counted_in_it():
    """ESP2013's last band is 90+: ages 95+ belong to it, they are not dropped."""
    bands = list(range(0, 100, 5))  # 0 .. 95
    frame = pl.DataFrame({"age": bands, "events": [1] * len(bands),
                          "years": [1000.0] * len(bands)})  # fmt: skip
    folded = frame.with_columns(pl.min_horizontal("age", pl.lit(90)).alias("age"))
    kwargs = {"events_col": "events", "person_time_col": "years", "stratum_col": "age",
              "standard": ESP2013}  # fmt: skip
    got = direct_standardize(frame, **kwargs)
    assert got.equals(direct_standardize(folded, **kwargs))
    assert got["events"][0] == len(bands)  # the 95+ event is in the crude count too
    odd = frame.with_columns(pl.when(pl.col("age") == 10).then(12).otherwise("age").alias("age"))
    _refused(lambda: direct_standardize(odd, **kwargs), r"strata \[12\] are not in the standard")


def test_an_empty_frame_is_refused():
    empty = pl.DataFrame({"t": [], "e": []}, schema={"t": pl.Float64, "e": pl.Int64})
    _refused(lambda: KaplanMeier().fit(empty, duration_col="t", event_col="e"), "no rows")
    _refused(
        lambda: AalenJohansen().fit(empty, duration_col="t", event_col="e", event_of_interest=1),
        "no rows",
    )


@pytest.mark.parametrize("alpha", [1.5, 0, -0.1, 1])
def test_alpha_outside_0_1_is_refused(alpha):
    _refused(lambda: poisson_ci(3, 100.0, alpha=alpha), "alpha")
    _refused(lambda: KaplanMeier(alpha=alpha), "alpha")
    _refused(lambda: AalenJohansen(alpha=alpha), "alpha")
    _refused(lambda: CoxPH(alpha=alpha), "alpha")


def test_a_bad_setting_fails_where_it_is_written():
    _refused(lambda: KaplanMeier(ci="loglog"), "ci='loglog'")
