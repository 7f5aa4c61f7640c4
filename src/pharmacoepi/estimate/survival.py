"""Kaplan-Meier and Aalen-Johansen estimators, written out (no jitter, exact ties), with
R survival's conventions: counting-process risk sets (at risk at t when entry < t <= exit;
without entry times, when t <= exit, so events at time 0 count), Greenwood variance, log
(default) or log-log confidence intervals, R's median rule.

Durations are numbers (days, months); the summary has one row per distinct exit time of
each group: group, time, at_risk, events, censored, estimate, std_error, ci_lower,
ci_upper. docs/methods.md gives the formulas and the R references they are tested on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy.special import ndtri  # norm.ppf, without importing scipy.stats

from pharmacoepi.estimate.checks import (
    require,
    require_alpha,
    require_codes,
    require_columns,
    require_numbers,
    require_rows,
)

_ALL = "all"


def _prepare(frame, duration_col, event_col, entry_col, group_col, what) -> pl.DataFrame:
    require_columns(frame, [duration_col, event_col, entry_col, group_col], what)
    require_rows(frame, what)
    require_numbers(frame, [duration_col, entry_col], what)
    out = frame.select(
        pl.col(duration_col).cast(pl.Float64).alias("exit"),
        # Without entry times everyone is at risk from the start, time 0 included: an event
        # on the index date (time 0) counts among n persons at risk, as in R's survfit.
        (pl.col(entry_col).cast(pl.Float64) if entry_col else pl.lit(-np.inf)).alias("entry"),
        pl.col(event_col).alias("event"),
        (pl.col(group_col).cast(pl.String) if group_col else pl.lit(_ALL)).alias("group"),
    )
    require(
        (out["exit"] >= 0).all(),
        f"{what}: negative durations in {duration_col}",
        "durations count from time zero (index date): check how they were computed",
    )
    if entry_col:
        require(
            (out["entry"] < out["exit"]).all(),
            f"{what}: entry >= exit in some rows ({entry_col} vs {duration_col})",
            "a row enters the risk set before it leaves; drop rows with no time at risk",
        )
    return out


def _risk_table(exit_: np.ndarray, entry: np.ndarray, codes: np.ndarray, kinds: list) -> dict:
    """Per distinct exit time: at risk (entry < t <= exit), events per kind, censored."""
    times = np.unique(exit_)
    order_exit, order_entry = np.sort(exit_), np.sort(entry)
    # rows with exit >= t minus rows with entry >= t
    at_risk = (len(exit_) - np.searchsorted(order_exit, times, side="left")) - (
        len(entry) - np.searchsorted(order_entry, times, side="left")
    )
    index = np.searchsorted(times, exit_)
    events = {k: np.bincount(index[codes == k], minlength=len(times)) for k in kinds}
    censored = np.bincount(index[codes == 0], minlength=len(times))
    return {"time": times, "at_risk": at_risk, "events": events, "censored": censored}


def _z(alpha: float) -> float:
    return float(ndtri(1 - alpha / 2))


@dataclass
class KaplanMeier:
    """Product-limit survival with Greenwood variance; `ci` "log" (R survfit's default)
    or "log-log"."""

    alpha: float = 0.05
    ci: str = "log"
    summary: pl.DataFrame = field(init=False, repr=False)
    median_: pl.DataFrame = field(init=False, repr=False)

    def __post_init__(self) -> None:  # a bad setting fails where it is written
        require_alpha(self.alpha, "KaplanMeier")
        require(self.ci in ("log", "log-log"), f"ci={self.ci!r}", 'use "log" or "log-log"')

    def fit(self, frame: pl.DataFrame, *, duration_col: str, event_col: str,
            entry_col: str | None = None, group_col: str | None = None) -> KaplanMeier:  # fmt: skip
        data = _prepare(frame, duration_col, event_col, entry_col, group_col, "KaplanMeier")
        require_codes(frame[event_col], (0, 1), "KaplanMeier", "1 = event, 0 = censored")
        parts, medians = [], []
        for group in sorted(data["group"].unique().to_list()):
            g = data.filter(pl.col("group") == group)
            table = self._curve(g)
            parts.append(table.with_columns(pl.lit(group).alias("group")))
            medians.append({"group": group, **_median(table)})
        self.summary = pl.concat(parts).select(
            "group", *[c for c in parts[0].columns if c != "group"]
        )
        self.median_ = pl.DataFrame(medians)
        return self

    def _curve(self, g: pl.DataFrame) -> pl.DataFrame:
        codes = g["event"].cast(pl.Int64).to_numpy()
        t = _risk_table(g["exit"].to_numpy(), g["entry"].to_numpy(), codes, [1])
        n, d = t["at_risk"].astype(float), t["events"][1].astype(float)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            surv = np.cumprod(np.where(n > 0, 1 - d / n, 1.0))
            greenwood = np.cumsum(np.where(n > d, d / (n * (n - d)), np.where(d > 0, np.inf, 0)))
            se_log = np.sqrt(greenwood)  # standard error of log S
            z = _z(self.alpha)
            if self.ci == "log":
                lower = surv * np.exp(-z * se_log)
                upper = np.minimum(surv * np.exp(z * se_log), 1.0)
            else:
                log_s = np.log(surv)
                se_theta = se_log / np.abs(log_s)
                lower = np.exp(-np.exp(np.log(-log_s) + z * se_theta))
                upper = np.exp(-np.exp(np.log(-log_s) - z * se_theta))
            undefined = (surv <= 0) | ~np.isfinite(se_log)
            lower, upper = np.where(undefined, np.nan, lower), np.where(undefined, np.nan, upper)
            # before any event the curve is 1 with no variance
            lower = np.where(np.cumsum(d) == 0, 1.0, lower)
            upper = np.where(np.cumsum(d) == 0, 1.0, upper)
            std_error = np.where(surv > 0, surv * se_log, np.nan)
        return pl.DataFrame(
            {
                "time": t["time"],
                "at_risk": t["at_risk"].astype(np.int64),
                "events": d.astype(np.int64),
                "censored": t["censored"].astype(np.int64),
                "estimate": surv,
                "std_error": std_error,
                "ci_lower": lower,
                "ci_upper": upper,
            }
        ).with_columns(pl.col(pl.Float64).fill_nan(None))


def _first_at_or_below(times: np.ndarray, curve: np.ndarray, level: float) -> float | None:
    """R's rule: the first time the curve is <= level; if it sits exactly at level over an
    interval, the midpoint of that interval and the next time it drops."""
    hit = np.flatnonzero(curve <= level + 1e-12)
    if hit.size == 0:
        return None
    i = hit[0]
    if abs(curve[i] - level) < 1e-12:
        later = np.flatnonzero(curve[i + 1 :] < level - 1e-12)
        if later.size:
            return float((times[i] + times[i + 1 + later[0]]) / 2)
    return float(times[i])


def _median(table: pl.DataFrame) -> dict[str, float | None]:
    events = table.filter(pl.col("events") > 0)
    times = events["time"].to_numpy()
    if times.size == 0:
        return {"median": None, "ci_lower": None, "ci_upper": None}
    return {
        "median": _first_at_or_below(times, events["estimate"].to_numpy(), 0.5),
        # the lower confidence curve crosses 0.5 first: it gives the lower limit
        "ci_lower": _first_at_or_below(times, events["ci_lower"].fill_null(0.0).to_numpy(), 0.5),
        "ci_upper": _first_at_or_below(times, events["ci_upper"].fill_null(np.nan).to_numpy(), 0.5),
    }


@dataclass
class AalenJohansen:
    """Cumulative incidence of one event type with competing risks: at each distinct time,
    CIF_k(t) = sum over t_j <= t of S(t_j-) d_kj / n_j, with S the all-cause Kaplan-Meier.
    Events of several types at one time enter together (exact ties, no jitter).
    Variance: the delta-method (Greenwood-type) formula of Marubini and Valsecchi (1995);
    CI on the log-log scale."""

    alpha: float = 0.05
    summary: pl.DataFrame = field(init=False, repr=False)

    def __post_init__(self) -> None:
        require_alpha(self.alpha, "AalenJohansen")

    def fit(self, frame: pl.DataFrame, *, duration_col: str, event_col: str,
            event_of_interest, entry_col: str | None = None,
            group_col: str | None = None) -> AalenJohansen:  # fmt: skip
        data = _prepare(frame, duration_col, event_col, entry_col, group_col, "AalenJohansen")
        require(
            frame[event_col].dtype.is_integer(),
            f"AalenJohansen: {event_col} is {frame[event_col].dtype}, not whole-number codes",
            "0 = censored, 1, 2 ... = the event types",
        )
        kinds = sorted({k for k in data["event"].unique().to_list() if k not in (0, None)})
        require(
            event_of_interest in kinds or data.height == 0,
            f"AalenJohansen: event_of_interest {event_of_interest!r} not in {event_col}",
            f"event values present: {', '.join(map(str, kinds))} (0 = censored)",
        )
        parts = []
        for group in sorted(data["group"].unique().to_list()):
            g = data.filter(pl.col("group") == group)
            parts.append(self._curve(g, kinds, event_of_interest).with_columns(
                pl.lit(group).alias("group")))  # fmt: skip
        self.summary = pl.concat(parts).select(
            "group", *[c for c in parts[0].columns if c != "group"]
        )
        return self

    def _curve(self, g: pl.DataFrame, kinds: list, k) -> pl.DataFrame:
        raw = g["event"].to_list()
        codes = np.array([0 if v == 0 else kinds.index(v) + 1 for v in raw])
        t = _risk_table(g["exit"].to_numpy(), g["entry"].to_numpy(), codes,
                        list(range(1, len(kinds) + 1)))  # fmt: skip
        n = t["at_risk"].astype(float)
        d_all = sum(t["events"].values()).astype(float)
        d_k = t["events"][kinds.index(k) + 1].astype(float)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            s = np.cumprod(np.where(n > 0, 1 - d_all / n, 1.0))
            s_before = np.concatenate([[1.0], s[:-1]])
            cif = np.cumsum(np.where(n > 0, s_before * d_k / n, 0.0))
            var = _cif_variance(n, d_all, d_k, s_before, cif)
            se = np.sqrt(var)
            z = _z(self.alpha)
            log_f = np.log(cif)
            scale = np.exp(z * se / (cif * np.abs(log_f)))
            lower, upper = cif**scale, cif ** (1 / scale)
            undefined = (cif <= 0) | (cif >= 1) | ~np.isfinite(scale)
            lower = np.where(cif <= 0, 0.0, np.where(undefined, np.nan, lower))
            upper = np.where(cif <= 0, 0.0, np.where(undefined, np.nan, upper))
        return pl.DataFrame(
            {
                "time": t["time"],
                "at_risk": t["at_risk"].astype(np.int64),
                "events": d_k.astype(np.int64),
                "competing_events": (d_all - d_k).astype(np.int64),
                "censored": t["censored"].astype(np.int64),
                "estimate": cif,
                "event_free": s,
                "std_error": se,
                "ci_lower": lower,
                "ci_upper": upper,
            }
        ).with_columns(pl.col(pl.Float64).fill_nan(None))


def _cif_variance(n, d, d_k, s_before, cif) -> np.ndarray:
    """Var F_k(t) = sum_j [ (F(t) - F(t_j))^2 d_j / (n_j (n_j - d_j))
    + S(t_j-)^2 d_kj (n_j - d_kj) / n_j^3
    - 2 (F(t) - F(t_j)) S(t_j-) d_kj / n_j^2 ],  t_j <= t."""
    out = np.empty(len(n))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        a = np.where(n > d, d / (n * (n - d)), 0.0)
        b = np.where(n > 0, s_before**2 * d_k * (n - d_k) / n**3, 0.0)
        c = np.where(n > 0, s_before * d_k / n**2, 0.0)
    for i in range(len(n)):
        diff = cif[i] - cif[: i + 1]
        out[i] = (diff**2 * a[: i + 1]).sum() + b[: i + 1].sum() - 2 * (diff * c[: i + 1]).sum()
    return np.maximum(out, 0.0)


def restricted_mean(
    summary: pl.DataFrame, column: str, horizon: float, *, start: float
) -> pl.DataFrame:
    """Area under a step curve from 0 to `horizon`, per group, the curve being `start`
    before the first time (1 for a survival curve, 0 for a cumulative incidence): the
    restricted mean time alive, or spent in a state."""
    rows = []
    for group in summary["group"].unique(maintain_order=True).to_list():
        g = summary.filter(pl.col("group") == group)
        times = np.concatenate([[0.0], g["time"].to_numpy()])
        values = np.concatenate([[start], g[column].to_numpy()])
        keep = times < horizon
        edges = np.append(times[keep], horizon)
        area = float((np.diff(edges) * values[keep]).sum())
        rows.append({"group": group, "restricted_mean": area})
    return pl.DataFrame(rows)
