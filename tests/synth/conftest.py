"""Shared small synthetic extracts (generated once per test session)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pharmacoepi.synth import SynthConfig, generate

START, END = date(2005, 1, 1), date(2014, 12, 31)


def small_config(**overrides) -> SynthConfig:
    args = dict(
        persons=20_000,
        start=START,
        end=END,
        seed=7,
        itp_multiplier=200.0,
        ms_multiplier=20.0,
        chunk_size=7_000,
    )
    args.update(overrides)
    return SynthConfig(**args)


MODERN_START, MODERN_END = date(2013, 1, 1), date(2024, 12, 31)


def modern_config(**overrides) -> SynthConfig:
    """A recent period: every DMT class marketed, the ATC changes of 2019 and 2024,
    induction regimens completed."""
    args = dict(
        persons=15_000,
        start=MODERN_START,
        end=MODERN_END,
        seed=11,
        itp_multiplier=50.0,
        ms_multiplier=40.0,
        chunk_size=5_000,
    )
    args.update(overrides)
    return SynthConfig(**args)


@pytest.fixture(scope="session")
def modern_extract(tmp_path_factory) -> tuple[Path, dict]:
    """15,000 persons over 2013-2024, MS x40: ~800 prevalent and ~350 incident cases."""
    out = tmp_path_factory.mktemp("synth") / "modern"
    summary = generate(modern_config(), out)
    return out, summary


@pytest.fixture(scope="session")
def extract(tmp_path_factory) -> tuple[Path, dict]:
    """20,000 persons over 10 years, ITP x200: ~1,000 incident cases; MS x20: ~540
    prevalent and ~230 incident cases."""
    out = tmp_path_factory.mktemp("synth") / "extract"
    summary = generate(small_config(), out)
    return out, summary
