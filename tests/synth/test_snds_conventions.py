"""The synthetic SNDS writer's conventions (read from the SNDS documentation on their own)
agree with the adapter's: were they one shared constant, a mistake in the adapter would be
copied into the data that tests it."""

from pharmacoepi.sources import snds
from pharmacoepi.synth import snds_conventions, snds_schema


def test_placeholder_ids_agree():
    assert set(snds_conventions.PLACEHOLDER_IDS) == set(snds.PLACEHOLDER_IDS)


def test_return_codes_agree():
    assert set(snds_conventions.RETURN_CODES) == set(snds.RETURN_CODES)


def test_identifier_and_qualifier_codes_agree():
    assert snds_conventions.NORMAL_NIR == snds.NORMAL_NIR
    assert snds_conventions.INFO_ONLY_QUALIFIER == snds.INFO_ONLY_QUALIFIER
    assert snds_conventions.MISSING_DATE == snds.MISSING_DATE


def test_first_dated_pmsi_year_agrees():
    assert snds_schema.DATED_STAYS_FROM == snds.FIRST_DATED_PMSI_YEAR
