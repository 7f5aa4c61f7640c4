"""Session fixtures: the default synthetic dataset, generated once per test run."""

from __future__ import annotations

import pytest
from hypothesis import settings

from pharmacoepi.datasets import default_dataset
from pharmacoepi.progress import Reporter
from tests.sources.eunomia import gibleed  # noqa: F401 - a session fixture: Eunomia GiBleed

# No per-example deadline: this machine is shared and timing is noisy; a slow example is
# not a wrong one (performance is measured in `make bench`, not asserted in tests).
settings.register_profile("pharmacoepi", deadline=None)
settings.load_profile("pharmacoepi")


@pytest.fixture(scope="session")
def default_data(tmp_path_factory):
    """The `default` preset (200,000 persons, 2005-2014, ITP x20), generated as build-cohort
    does when no --data is given: through PHARMACOEPI_DATA_HOME, on first use."""
    home = tmp_path_factory.mktemp("data_home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PHARMACOEPI_DATA_HOME", str(home))
        path = default_dataset(Reporter.for_stderr(quiet=True))
    assert path == home / "default"
    return path


@pytest.fixture(scope="session")
def faith_unmasked(default_data, tmp_path_factory):
    """itp_faith built on the default dataset with min_cell_count 1 (nothing masked): the
    Table 1 tests compare its characteristics and covariates with references."""
    from pharmacoepi.definition import load_definition
    from pharmacoepi.pipeline.build import build_cohort

    out = tmp_path_factory.mktemp("faith_unmasked") / "out"
    loaded = load_definition("itp_faith", {"privacy.min_cell_count": 1})
    build_cohort(loaded, default_data, out, reporter=Reporter.for_stderr(quiet=True))
    return out
