"""Baseline characteristics (Table 1): features at the index date in the engine
(sql/characteristics/), summarised by stratum with standardized mean differences."""
