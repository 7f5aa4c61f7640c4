"""The SNDS conventions the synthetic SNDS writer follows, written from the public SNDS
documentation (Health Data Hub, Documentation-SNDS: fiche beneficiaire, PMSI MCO tables),
not taken from the adapter it tests: if the adapter's reading of the documentation were
wrong, a shared constant would make the generator agree with the mistake.
tests/synth/test_snds_conventions.py compares the two; a difference is a finding for a
person to look at."""

from __future__ import annotations

# NIR_ANO_17 values that stand for "no usable patient id": a stay carrying one cannot be
# linked to a person (fiche beneficiaire, "identifiants fictifs").
PLACEHOLDER_IDS = ("xxxxxxxxxxxxxxxxx", "XXXXXXXXXXXXXXXXD", "BXXXXXXXXXXXXXXXX")
# T_MCOaaC return codes of the chaining of patient ids ('0' = correct): NIR, birth date,
# sex, stay number, file, PMSI and admission date.
RETURN_CODES = ("nir_ret", "nai_ret", "sex_ret", "sej_ret", "fho_ret", "pms_ret", "dat_ret")
