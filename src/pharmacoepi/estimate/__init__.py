"""Estimators on Polars frames, checked against R (docs/methods.md).

from pharmacoepi.estimate import KaplanMeier, incidence_rates
km = KaplanMeier().fit(frame, duration_col="days", event_col="died", group_col="sex")
km.summary, km.median_
"""

from pharmacoepi.estimate.checks import EstimatorInputError
from pharmacoepi.estimate.cox import CoxPH
from pharmacoepi.estimate.rates import direct_standardize, incidence_rates, poisson_ci
from pharmacoepi.estimate.standards import ESP2013, WHO_WORLD
from pharmacoepi.estimate.survival import AalenJohansen, KaplanMeier, restricted_mean

__all__ = [
    "ESP2013",
    "WHO_WORLD",
    "AalenJohansen",
    "CoxPH",
    "EstimatorInputError",
    "KaplanMeier",
    "direct_standardize",
    "incidence_rates",
    "poisson_ci",
    "restricted_mean",
]
