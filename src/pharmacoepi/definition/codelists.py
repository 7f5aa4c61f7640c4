"""Codelists: CSV files of codes (code, label) matched exactly or by prefix, or OMOP
concept ids (with or without their descendants through concept_ancestor).

Codes are normalised like the data (upper-case, dots and spaces removed) so 'd69.3' in a
codelist matches 'D69.3' in a claim.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pharmacoepi.errors import DefinitionError

MatchKind = Literal["exact", "prefix"]
# How a codelist's entries are compared with the data: source codes exactly or by prefix,
# or OMOP concept ids alone or with every descendant (docs/sources.md).
Matching = Literal["exact", "prefix", "concept", "concept_descendants"]
Vocabulary = Literal["source", "omop"]
Domain = Literal["diagnoses", "dispensings", "procedures"]

_CODE_SHAPE = re.compile(r"^[A-Z0-9]+$")
_CONCEPT_SHAPE = re.compile(r"^[0-9]{1,18}$")
# Dots, ASCII whitespace and no-break spaces (Excel exports): the same class as the SQL
# stages' '[.\s\x{00A0}]' (RE2's \s is ASCII-only, so Python's is pinned to ASCII too).
_STRIP = re.compile(r"[.\s\u00a0]", re.ASCII)


def normalise_code(code: str) -> str:
    """Upper-case and drop dots, whitespace and no-break spaces: ' d69.3 ' -> 'D693'."""
    return _STRIP.sub("", code).upper()


@dataclass(frozen=True)
class Codelist:
    name: str
    domain: Domain
    match: Matching
    codes: tuple[str, ...]
    labels: tuple[str, ...]
    path: Path
    sha256: str
    # an optional third column `group` names what each code stands for (the cause of a
    # secondary ITP); '' where the file has none
    groups: tuple[str, ...] = ()


def read_codelist(
    name: str, path: Path, *, domain: Domain, match: Matching, declared_in: str = ""
) -> Codelist:
    """Read and check one codelist CSV; every problem names the file and the row."""
    shape = _CONCEPT_SHAPE if match.startswith("concept") else _CODE_SHAPE
    if not path.is_file():
        raise DefinitionError(
            f"codelist {name!r}: file not found",
            where=f"{declared_in} -> {path}" if declared_in else str(path),
            hint="paths in `codelists:` are relative to the definition file",
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DefinitionError(
            f"codelist {name!r} is not UTF-8 text (byte {exc.start})",
            where=str(path),
            hint="save the CSV as UTF-8",
        ) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    rows = list(reader)
    if "code" not in header:
        raise DefinitionError(
            f"codelist {name!r} has no 'code' column (columns: {', '.join(header) or 'none'})",
            where=str(path),
            hint="a codelist is a CSV with a header line 'code,label'",
        )
    codes: dict[str, str] = {}
    groups: dict[str, str] = {}
    for line_no, row in enumerate(rows, start=2):
        code = normalise_code(row.get("code") or "")
        if not code:
            continue
        if not shape.match(code):
            raise DefinitionError(
                f"codelist {name!r}: code {row.get('code')!r} is not "
                + ("an OMOP concept id" if shape is _CONCEPT_SHAPE else "a code"),
                where=f"{path}, line {line_no}",
                hint="OMOP concept ids are digits"
                if shape is _CONCEPT_SHAPE
                else "codes are letters and digits; dots and spaces are removed on read",
            )
        codes.setdefault(code, (row.get("label") or "").strip())
        groups.setdefault(code, (row.get("group") or "").strip())
    if not codes:
        raise DefinitionError(
            f"codelist {name!r} is empty",
            where=str(path),
            hint="an empty codelist would silently match nothing; add codes or remove the rule",
        )
    ordered = sorted(codes)
    return Codelist(
        name=name,
        domain=domain,
        match=match,
        codes=tuple(ordered),
        labels=tuple(codes[c] for c in ordered),
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
        groups=tuple(groups[c] for c in ordered),
    )
