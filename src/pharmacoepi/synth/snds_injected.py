"""What the SNDS adapter must find and count in the synthetic SNDS tables, by problem name
of its source_problems (recorded as injected:<problem> in ground_truth/snds_layout.json).
Counted from how the rows were made (kinds, dates), not by re-reading the files with the
adapter's rules. Each rule counts on its own: a line can count under two (a CIP7 line
that is also a reversal)."""

from __future__ import annotations

from .snds_schema import DATED_STAYS_FROM

INJECTED = {
    "return code": "SELECT count(*) FROM pmsi_stays WHERE junk_kind = 1",
    "placeholder id": "SELECT count(*) FROM pmsi_stays WHERE junk_kind = 2",
    "error GHM": "SELECT count(*) FROM pmsi_stays WHERE junk_kind = 3",
    # T_MCOaaB rows of the files without stay dates, junk stays included
    "stay dated by month": (f"SELECT count(*) FROM pmsi_stays WHERE year < {DATED_STAYS_FROM}"),
    "reversal line": "SELECT count(*) FROM dcir_lines WHERE kind IN (2, 4)",
    "information line": "SELECT count(*) FROM dcir_lines WHERE kind = 3",
    "fictitious identifier line": ("SELECT count(*) FROM dcir_lines WHERE cdi_nir <> $normal_nir"),
    # ER_PHA_F lines without their CIP13 (every line carries its CIP7)
    "CIP7 line": ("SELECT count(*) FROM dcir_lines WHERE detail = 'pha' AND date < $cip13_from"),
    "not an ALD exoneration": "SELECT count(*) FROM junk",
    # persons, not rows; the fictitious beneficiaries have one pseudonym each
    "several pseudonyms": "SELECT count(DISTINCT person_id) FROM pseudo WHERE k > 1",
    # IR_BEN_R and IR_BEN_R_ARC rows
    "registered before 2012": (
        "SELECT count(*) FROM beneficiaries WHERE BEN_DTE_INS = $missing_date"
    ),
    "fictitious identifier": (
        "SELECT count(*) FROM beneficiaries WHERE BEN_CDI_NIR <> $normal_nir"
    ),
    "archived beneficiary": "SELECT count(*) FROM beneficiaries WHERE archived",
}
