"""Cox proportional hazards (lifelines underneath; Efron ties, as R's coxph default)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from pharmacoepi.estimate.checks import (
    require,
    require_alpha,
    require_codes,
    require_columns,
    require_numbers,
    require_rows,
)


@dataclass
class CoxPH:
    """Hazard ratios with Wald confidence intervals. Categorical covariates (text columns)
    are dummy-coded against their first level in sorted order, as R does for factors."""

    alpha: float = 0.05
    summary: pl.DataFrame = field(init=False, repr=False)
    # what lifelines warned of while fitting (convergence, separation), kept, not printed
    warnings_: list[str] = field(init=False, repr=False, default_factory=list)

    def __post_init__(self) -> None:
        require_alpha(self.alpha, "CoxPH")

    def fit(self, frame: pl.DataFrame, *, duration_col: str, event_col: str,
            covariates: Sequence[str]) -> CoxPH:  # fmt: skip
        require_columns(frame, [duration_col, event_col, *covariates], "CoxPH")
        require(len(covariates) > 0, "CoxPH: no covariates", "name at least one column")
        require_rows(frame, "CoxPH")
        require_numbers(frame, [duration_col], "CoxPH")
        require((frame[duration_col] >= 0).all(), "CoxPH: negative durations", "check times")
        require_codes(frame[event_col], (0, 1), "CoxPH", "1 = event, 0 = censored")
        require(
            frame.height >= 2 and frame[event_col].cast(pl.Float64).sum() >= 1,
            f"CoxPH: {frame.height} row(s) with {int(frame[event_col].cast(pl.Float64).sum())} "
            "event(s): no model to fit",
            "a Cox model needs at least two persons and one event",
        )
        from lifelines import CoxPHFitter  # imported on use: pandas and matplotlib are slow
        from lifelines.exceptions import ConvergenceError

        design = frame.select(
            pl.col(duration_col).cast(pl.Float64).alias("_duration"),
            pl.col(event_col).cast(pl.Int64).alias("_event"),
        )
        for name in covariates:
            column = frame[name]
            if column.dtype in (pl.String, pl.Categorical, pl.Boolean, pl.Enum):
                levels = sorted(column.cast(pl.String).unique().to_list())
                for level in levels[1:]:
                    design = design.with_columns(
                        (column.cast(pl.String) == level).cast(pl.Float64).alias(f"{name}{level}")
                    )
            else:
                design = design.with_columns(column.cast(pl.Float64).alias(name))
        fitter = CoxPHFitter(alpha=self.alpha)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                fitter.fit(design.to_pandas(), duration_col="_duration", event_col="_event")
            except (ConvergenceError, np.linalg.LinAlgError, ValueError) as exc:
                require(
                    False,
                    f"CoxPH: the model cannot be fitted: {str(exc).splitlines()[0][:200]}",
                    "too few events, or a covariate that separates those with events",
                )
        self.warnings_ = [str(w.message).strip().splitlines()[0] for w in caught]
        s = fitter.summary
        lower = [c for c in s.columns if c.startswith("exp(coef) lower")][0]
        upper = [c for c in s.columns if c.startswith("exp(coef) upper")][0]
        self.summary = pl.DataFrame(
            {
                "term": list(s.index),
                "coef": s["coef"].to_list(),
                "std_error": s["se(coef)"].to_list(),
                "hazard_ratio": s["exp(coef)"].to_list(),
                "ci_lower": s[lower].to_list(),
                "ci_upper": s[upper].to_list(),
                "p_value": s["p"].to_list(),
            }
        )
        return self
