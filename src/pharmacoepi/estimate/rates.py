"""Incidence rates with exact Poisson (Garwood) intervals, and direct standardisation
with the Fay-Feuer gamma interval (as R's epitools::ageadjust.direct)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl

# scipy.special, not scipy.stats: the same functions (scipy.stats' chi2 and gamma ppf call
# gammaincinv), without scipy.stats' second and a half of import on every build
from scipy.special import gammaincinv

from pharmacoepi.estimate.checks import (
    require,
    require_alpha,
    require_columns,
    require_counts,
    require_numbers,
)


def _chi2_ppf(q: float, df: float) -> float:
    return 2.0 * float(gammaincinv(df / 2.0, q))


def _gamma_ppf(q: float, shape: float, scale: float) -> float:
    return float(gammaincinv(shape, q)) * scale


def poisson_ci(events: float, person_time: float, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Garwood) interval of events / person_time: lower = chi2(a/2, 2x) / 2 / PT
    (0 when x = 0), upper = chi2(1 - a/2, 2x + 2) / 2 / PT."""
    require_alpha(alpha, "poisson_ci")
    require(person_time > 0, f"person_time must be > 0, got {person_time}", "no time at risk")
    require(events >= 0, f"events must be >= 0, got {events}", "events are counts")
    require(float(events).is_integer(), f"events must be a whole number, got {events}",
            "events are counts")  # fmt: skip
    lower = 0.0 if events == 0 else _chi2_ppf(alpha / 2, 2 * events) / 2 / person_time
    upper = _chi2_ppf(1 - alpha / 2, 2 * events + 2) / 2 / person_time
    return float(lower), float(upper)


def incidence_rates(
    frame: pl.DataFrame,
    *,
    events_col: str,
    person_time_col: str,
    by: Sequence[str] = (),
    per: float = 100_000,
    alpha: float = 0.05,
) -> pl.DataFrame:
    """One row per stratum of `by`: events, person_time, rate, ci_lower, ci_upper (per
    `per` units of person-time)."""
    require_columns(frame, [events_col, person_time_col, *by], "incidence_rates")
    require_alpha(alpha, "incidence_rates")
    require_counts(frame, events_col, "incidence_rates")
    require_numbers(frame, [person_time_col], "incidence_rates")
    require((frame[person_time_col] >= 0).all(), "negative person-time", "check the split")
    grouped = (
        frame.group_by(list(by), maintain_order=True) if by else frame.group_by(pl.lit(0))
    ).agg(
        pl.col(events_col).sum().alias("events"),
        pl.col(person_time_col).cast(pl.Float64).alias("person_time"),
    )
    rows = []
    for row in grouped.iter_rows(named=True):
        # fsum: the exactly rounded sum, whatever order the rows came in (a parallel sum
        # may differ in the last bit from run to run)
        x, pt = row["events"], math.fsum(row["person_time"])
        lower, upper = poisson_ci(x, pt, alpha) if pt > 0 else (None, None)
        rows.append(
            {
                **{k: row[k] for k in by},
                "events": int(x),
                "person_time": pt,
                "rate": x / pt * per if pt > 0 else None,
                "ci_lower": lower * per if lower is not None else None,
                "ci_upper": upper * per if upper is not None else None,
            }
        )
    schema = {**{k: frame.schema[k] for k in by}, "events": pl.Int64, "person_time": pl.Float64,
              "rate": pl.Float64, "ci_lower": pl.Float64, "ci_upper": pl.Float64}  # fmt: skip
    return pl.DataFrame(rows, schema=schema)


def _fold_into_open_band(frame: pl.DataFrame, column: str, standard: pl.DataFrame):
    """A standard's last band is open (ESP2013's 90+): strata above it are counted in it.
    Any other stratum the standard does not have is an error, never dropped."""
    known = set(standard["stratum"].to_list())
    unknown = set(frame[column].to_list()) - known
    numeric = standard.schema["stratum"].is_numeric()
    top = standard["stratum"].max() if numeric else None
    outside = sorted(s for s in unknown if not (numeric and s > top))
    require(
        not outside,
        f"direct_standardize: strata {outside} are not in the standard",
        "give the strata as the standard's lower bounds (0, 5, 10 ...); those above its "
        "last, open band are counted in it",
    )
    if not unknown:
        return frame
    return frame.with_columns(pl.min_horizontal(column, pl.lit(top)).alias(column))


def direct_standardize(
    frame: pl.DataFrame,
    *,
    events_col: str,
    person_time_col: str,
    stratum_col: str,
    standard: pl.DataFrame,
    per: float = 100_000,
    alpha: float = 0.05,
) -> pl.DataFrame:
    """Crude and directly standardised rate with the Fay-Feuer (1997) gamma interval.

    `standard` has columns stratum (matching `stratum_col` values) and weight; weights are
    normalised to 1. Strata of the standard absent from the frame count as 0 events in 0
    person-time only if their weight is 0; otherwise it is an error (the rate is unknown).
    Strata above the standard's last band are counted in it (the last band is open).
    """
    require_columns(frame, [events_col, person_time_col, stratum_col], "direct_standardize")
    require_columns(standard, ["stratum", "weight"], "direct_standardize standard")
    require_alpha(alpha, "direct_standardize")
    require_counts(frame, events_col, "direct_standardize")
    require_numbers(frame, [person_time_col], "direct_standardize")
    require(
        (frame[person_time_col] >= 0).all(), "direct_standardize: negative person-time",
        "check the split",
    )  # fmt: skip
    # strata of one type on both sides (Polars before 1.x releases does not cast join keys)
    frame = frame.with_columns(pl.col(stratum_col).cast(standard.schema["stratum"]))
    frame = _fold_into_open_band(frame, stratum_col, standard)
    # exactly rounded sums (fsum) in stratum order: the result does not depend on the
    # order the rows came in
    strata = (
        frame.group_by(stratum_col)
        .agg(pl.col(events_col).sum().alias("x"), pl.col(person_time_col).cast(pl.Float64))
        .sort(stratum_col)
        .with_columns(
            pl.col(person_time_col).map_elements(math.fsum, return_dtype=pl.Float64).alias("n")
        )
        .drop(person_time_col)
    )
    joined = standard.join(strata, left_on="stratum", right_on=stratum_col, how="left")
    missing = joined.filter(pl.col("n").is_null() & (pl.col("weight") > 0))
    require(
        missing.height == 0,
        f"direct_standardize: no person-time in standard strata {missing['stratum'].to_list()}",
        "every stratum with a weight needs person-time (or drop it from the standard)",
    )
    joined = joined.filter(pl.col("weight") > 0)
    require((joined["n"] > 0).all(), "a weighted stratum has zero person-time", "drop it")
    w = joined["weight"].to_numpy() / joined["weight"].sum()
    x, n = joined["x"].to_numpy().astype(float), joined["n"].to_numpy().astype(float)
    dsr = float((w * x / n).sum())
    var = float((w**2 * x / n**2).sum())
    wm = float((w / n).max())
    if var > 0:
        lower = _gamma_ppf(alpha / 2, dsr**2 / var, var / dsr)
    else:
        lower = 0.0
    upper = _gamma_ppf(1 - alpha / 2, (dsr + wm) ** 2 / (var + wm**2), (var + wm**2) / (dsr + wm))
    crude_x, crude_n = float(strata["x"].sum()), math.fsum(strata["n"].to_list())
    crude_lower, crude_upper = poisson_ci(crude_x, crude_n, alpha)
    return pl.DataFrame(
        {
            "measure": ["crude", "standardised"],
            "events": [int(crude_x), int(crude_x)],
            "person_time": [crude_n, crude_n],
            "rate": [crude_x / crude_n * per, dsr * per],
            "ci_lower": [crude_lower * per, lower * per],
            "ci_upper": [crude_upper * per, upper * per],
        }
    )
