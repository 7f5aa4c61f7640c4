"""Input checks shared by the estimators: bad input is the user's error, with a hint."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from pharmacoepi.errors import UserError


def require_columns(frame: pl.DataFrame, columns: Iterable[str | None], what: str) -> None:
    wanted = [c for c in columns if c is not None]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise UserError(
            f"{what}: unknown column(s) {', '.join(missing)}",
            hint=f"the frame has: {', '.join(frame.columns)}",
        )
    nulls = [c for c in wanted if frame[c].null_count()]
    if nulls:
        raise UserError(
            f"{what}: null values in {', '.join(nulls)}",
            hint="drop or fill them first; an estimator does not guess missing values",
        )


def require(condition: bool, message: str, hint: str) -> None:
    if not condition:
        raise UserError(message, hint=hint)
