from datetime import date

import pytest

from pharmacoepi.synth import SynthConfig, load_preset
from pharmacoepi.synth.config import presets_dir


def test_default_preset_matches_demo_contract():
    cfg = load_preset("default")
    assert cfg == SynthConfig(
        persons=200_000,
        start=date(2005, 1, 1),
        end=date(2014, 12, 31),
        seed=20091,
        itp_multiplier=20,
        ms_multiplier=5,
        chunk_size=50_000,
    )


def test_national_preset():
    cfg = load_preset("national_1m")
    assert cfg.persons == 1_000_000 and cfg.itp_multiplier == 1 and cfg.ms_multiplier == 1


def test_presets_dir_is_source_checkout():
    assert (presets_dir() / "france_model.yaml").is_file()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(persons=0), "persons must be > 0"),
        (dict(persons=1.5), "persons must be an integer"),
        (dict(start=date(2015, 1, 1)), "must be before end"),
        (dict(itp_multiplier=0), "itp_multiplier must be a number > 0"),
        (dict(itp_multiplier=-1.0), "itp_multiplier must be a number > 0"),
        (dict(ms_multiplier=-1.0), "ms_multiplier must be a number >= 0"),
        (dict(ms_multiplier=True), "ms_multiplier must be a number >= 0"),
        (dict(chunk_size=0), "chunk_size must be > 0"),
        (dict(seed=-1), "seed must be a non-negative integer"),
    ],
)
def test_invalid_config_raises(kwargs, message):
    args = dict(persons=10, start=date(2005, 1, 1), end=date(2014, 12, 31), seed=1)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        SynthConfig(**args)


def test_config_is_frozen():
    cfg = SynthConfig(persons=10, start=date(2005, 1, 1), end=date(2006, 1, 1), seed=1)
    with pytest.raises(AttributeError):
        cfg.persons = 11  # type: ignore[misc]


def test_unknown_preset():
    with pytest.raises(ValueError, match="unknown preset"):
        load_preset("no_such_preset")
