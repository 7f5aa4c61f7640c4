"""The synthetic SNDS writer's conventions (read from the SNDS documentation on their own)
agree with the adapter's: were they one shared constant, a mistake in the adapter would be
copied into the data that tests it."""

from pharmacoepi.sources import snds
from pharmacoepi.synth import snds_conventions


def test_placeholder_ids_agree():
    assert set(snds_conventions.PLACEHOLDER_IDS) == set(snds.PLACEHOLDER_IDS)


def test_return_codes_agree():
    assert set(snds_conventions.RETURN_CODES) == set(snds.RETURN_CODES)
