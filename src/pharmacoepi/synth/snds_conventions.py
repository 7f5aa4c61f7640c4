"""The SNDS conventions the synthetic SNDS writer follows, written from the public SNDS
documentation (Health Data Hub, Documentation-SNDS), not taken from the adapter it tests:
if the adapter's reading of the documentation were wrong, a shared constant would make
the generator agree with the mistake. tests/synth/test_snds_conventions.py compares the
two; a difference is a finding for a person to look at.

The years at which a column or table appears come from the schema (snds_schema.py)."""

from __future__ import annotations

import datetime as dt

# NIR_ANO_17 values that stand for "no usable patient id": a stay carrying one cannot be
# linked to a person. fiches/fiche_beneficiaire.md (chaining filter) lists
# 'xxxxxxxxxxxxxxxxx' and 'XXXXXXXXXXXXXXXXD'; formation_snds/documents_cnam/
# essentiel_snds.md (PMSI MCO, "Exclusion des clés de chainage incorrectes") lists
# 'xxxxxxxxxxxxxxxxx' and 'XXXXXXXXXXXXXXXXS'. No page lists any other value.
PLACEHOLDER_IDS = ("xxxxxxxxxxxxxxxxx", "XXXXXXXXXXXXXXXXD", "XXXXXXXXXXXXXXXXS")
# T_MCOaaC return codes of the chaining of patient ids ('0' = correct): NIR, birth date,
# sex, stay number, file, PMSI and admission date (same two pages).
RETURN_CODES = ("nir_ret", "nai_ret", "sex_ret", "sej_ret", "fho_ret", "pms_ret", "dat_ret")

# SNDS's "no date" (essentiel_snds.md: "les dates manquantes sont forcées au 1er janvier
# 1600"; BEN_DCD_DTE of the living).
MISSING_DATE = dt.date(1600, 1, 1)
# essentiel_snds.md: "BEN_DTE_INS est alimentée à 01/01/1600 si le bénéficiaire est
# inséré avant 2012".
INSERTION_KNOWN_FROM = dt.date(2012, 1, 1)

# BEN_CDI_NIR (fiches/fiche_beneficiaire.md, "Utilisation des identifiants", table
# IR_NIR_V): '00' a normal NIR; fictitious NIRs (IVG, IST, minors' IVG, other,
# teletransmission aid, minors' contraception). The provisional NIRs (03, 04) are real
# persons and are not used for the fictitious beneficiaries.
NORMAL_NIR = "00"
FICTITIOUS_NIRS = ("01", "05", "06", "08", "09", "11")
# "Dans la plupart des cas de NIR fictifs, l'année de naissance est égale à 1955" (same page)
FICTITIOUS_BIRTH_YEAR = 1955

# DPN_QLF / PRS_DPN_QLP 71: a line sent "for information" (fiches/sas_prestation_dcir.md:
# "DPN_QLF <> 71 AND PRS_DPN_QLP <> 71"; fiches/actes_consult_externes.md).
INFO_ONLY_QUALIFIER = 71

# tables/.sources/DCIR/ER_PHA_F.md: "pour les années 2006 et 2007, les codes CIP13 sont
# presque tous manquants et il faut utiliser le code CIP7" (PHA_PRS_IDE); fiches/
# medicament.md: the CIP7 is present "au moins jusque 2014". A CIP13 built from a CIP7
# is 3400 9, the CIP7, a check digit: the CIP7 is its digits 6-12.
CIP13_FROM = dt.date(2008, 1, 1)
CIP7_DIGITS = (6, 7)  # substr(CIP13, 6, 7)

# formation_snds/documents_cnam/guide_cepidc/6-Annexe2-CausesDeces.md: IR_BEN_R_ARC holds
# the pseudonyms "pour lesquels aucun remboursement de soins n'a eu lieu depuis le 1er
# janvier 2013" (the writer archives the persons who died before that day).
ARCHIVED_BEFORE = dt.date(2013, 1, 1)
