"""Standard populations for direct standardisation, by 5-year age band (lower bound;
the last band is open). Weights per 100,000 (or per 1 for WHO)."""

from __future__ import annotations

import polars as pl

# European Standard Population 2013 (Eurostat, Revision of the European Standard
# Population, 2013), per 100,000; 90+ is the last band.
ESP2013 = pl.DataFrame(
    {
        "stratum": list(range(0, 95, 5)),
        "weight": [
            5000,
            5500,
            5500,
            5500,
            6000,
            6000,
            6500,
            7000,
            7000,
            7000,
            7000,
            6500,
            6000,
            5500,
            5000,
            4000,
            2500,
            1500,
            1000,
        ],
    }  # fmt: skip
)

# WHO World Standard Population 2000-2025 (Ahmad et al., GPE Discussion Paper 31, WHO
# 2001), per 100,000; 85+ merges 85-89, 90-94, 95-99 and 100+ (440 + 150 + 40 + 5). The
# published rounded weights sum to 100,035; weights are normalised before use.
WHO_WORLD = pl.DataFrame(
    {
        "stratum": list(range(0, 90, 5)),
        "weight": [
            8860,
            8690,
            8600,
            8470,
            8220,
            7930,
            7610,
            7150,
            6590,
            6040,
            5370,
            4550,
            3720,
            2960,
            2210,
            1520,
            910,
            440 + 150 + 40 + 5,
        ],
    }  # fmt: skip
)
