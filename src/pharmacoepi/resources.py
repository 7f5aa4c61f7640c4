"""Where the packaged resources (SQL templates, cohort definitions, synthetic presets) live.

In a wheel they sit inside the package (see pyproject's force-include); in a source
checkout they sit at the top of the repository, where users look for them.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

_PACKAGE_DIR = Path(str(files("pharmacoepi")))
_CHECKOUT_DIR = Path(__file__).resolve().parents[2]

_LAYOUT = {"sql": "sql", "cohorts": "cohorts", "synthetic_presets": "synthetic_data/presets"}


def resource_dir(name: str) -> Path:
    """Return the directory of a packaged resource ('sql', 'cohorts', 'synthetic_presets')."""
    packaged = _PACKAGE_DIR / name
    if packaged.is_dir():
        return packaged
    checkout = _CHECKOUT_DIR / _LAYOUT[name]
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"packaged resource {name!r} not found (broken installation?)")


def default_data_home() -> Path:
    """Where the default synthetic dataset lives (PHARMACOEPI_DATA_HOME overrides)."""
    env = os.environ.get("PHARMACOEPI_DATA_HOME")
    if env:
        return Path(env)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "pharmacoepi"
