"""Input checks shared by the estimators: bad input is the user's error, with a hint, not a
Polars or NumPy exception, and never a number computed from a value read as another."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from pharmacoepi.errors import UserError


class EstimatorInputError(UserError):
    """A frame or a setting an estimator cannot work with (library users may catch it)."""


def require(condition: bool, message: str, hint: str) -> None:
    if not condition:
        raise EstimatorInputError(message, hint=hint)


def require_columns(frame: pl.DataFrame, columns: Iterable[str | None], what: str) -> None:
    wanted = [c for c in columns if c is not None]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise EstimatorInputError(
            f"{what}: unknown column(s) {', '.join(missing)}",
            hint=f"the frame has: {', '.join(frame.columns)}",
        )
    nulls = [c for c in wanted if frame[c].null_count()]
    if nulls:
        raise EstimatorInputError(
            f"{what}: null values in {', '.join(nulls)}",
            hint="drop or fill them first; an estimator does not guess missing values",
        )


def require_alpha(alpha: float, what: str) -> None:
    require(
        isinstance(alpha, int | float) and 0 < alpha < 1,
        f"{what}: alpha={alpha!r} is not a level between 0 and 1",
        "alpha = 0.05 gives 95% confidence intervals",
    )


def require_rows(frame: pl.DataFrame, what: str) -> None:
    require(frame.height > 0, f"{what}: the frame has no rows", "nothing to estimate from")


def require_numbers(frame: pl.DataFrame, columns: Iterable[str | None], what: str) -> None:
    """Numeric columns without NaN or infinity (a NaN duration would sort anywhere)."""
    for column in (c for c in columns if c is not None):
        series = frame[column]
        require(
            series.dtype.is_numeric(),
            f"{what}: {column} is {series.dtype}, not a number",
            "cast the column to numbers first",
        )
        require(
            series.cast(pl.Float64).is_finite().all(),
            f"{what}: {column} holds NaN or infinite values",
            "drop or correct those rows first",
        )


def require_counts(frame: pl.DataFrame, column: str, what: str) -> None:
    """Whole numbers >= 0: 2.5 events is not a count (it would be summed as one thing and
    shown as another)."""
    require_numbers(frame, [column], what)
    values = frame[column].cast(pl.Float64)
    require((values >= 0).all(), f"{what}: negative values in {column}", "events are counts")
    require(
        (values == values.round(0)).all(),
        f"{what}: {column} holds values that are not whole numbers",
        "events are counts of persons or events",
    )


def require_codes(series: pl.Series, allowed: Iterable[int], what: str, hint: str) -> None:
    """An event column of whole-number codes (or booleans) among `allowed`: 0.5 is not
    read as 0, nor "1" as 1."""
    allowed = list(allowed)
    codes = "/".join(map(str, allowed))
    require(
        series.dtype == pl.Boolean or series.dtype.is_numeric(),
        f"{what}: {series.name} is {series.dtype}; it must be {codes} (or boolean)",
        hint,
    )
    require(
        series.cast(pl.Float64).is_in([float(a) for a in allowed]).all(),
        f"{what}: {series.name} must be {codes} (or boolean)",
        hint,
    )
