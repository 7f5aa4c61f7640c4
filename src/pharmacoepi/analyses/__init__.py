"""Analyses of a built cohort: incidence (person-time, rates, standardisation)."""
