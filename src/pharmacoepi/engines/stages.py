"""SQL stages: one template per file under sql/, run by the engine with bound parameters.

A template opens with a header naming what it builds and what it takes:

    -- stage: cohort/incident
    -- creates: incident_cases
    -- inputs: case_candidates, qualifying_codes,
    --         observation_spells
    -- param washout_days: INTEGER, no qualifying date in [code_date - N, code_date - 1]
    -- identifier person_id_type: BIGINT | VARCHAR

`inputs` names every table or view the query reads (a line ending with a comma goes on
to the next); a plan checks that an earlier step creates each one (pipeline/steps.py).

`param` values are bound ($name), never pasted into the text. `identifier` slots
({{name}}) take only one of the values listed in the header, so no user value can reach
the SQL text through them either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pharmacoepi.resources import resource_dir

_PARAM = re.compile(r"^--\s*param\s+(\w+)\s*:\s*([A-Z]+(?:\[\])?)?")
_IDENT = re.compile(r"^--\s*identifier\s+(\w+)\s*:\s*(.+)$")
_CREATES = re.compile(r"^--\s*creates\s*:\s*(\w+)")
_INPUTS = re.compile(r"^--\s*inputs\s*:(.*)$")
_SLOT = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@dataclass(frozen=True)
class Stage:
    name: str
    path: Path
    creates: str
    params: frozenset[str]
    identifiers: dict[str, frozenset[str]]
    template: str
    param_types: dict[str, str]  # as the header declares: DATE, VARCHAR[] ...
    inputs: tuple[str, ...] = ()  # the tables and views it reads, as the header declares

    @property
    def creates_view(self) -> bool:
        """A source adapter's stage creates a view over the input files: counting its
        rows would scan them, so the engine does not."""
        return re.search(r"CREATE\s+OR\s+REPLACE\s+TEMP\s+VIEW", self.template, re.I) is not None

    def render(self, identifiers: dict[str, str] | None = None) -> str:
        identifiers = identifiers or {}
        if set(identifiers) != set(self.identifiers):
            raise ValueError(
                f"stage {self.name}: identifiers {sorted(identifiers)} given, "
                f"header declares {sorted(self.identifiers)}"
            )
        for key, value in identifiers.items():
            if value not in self.identifiers[key]:
                raise ValueError(f"stage {self.name}: {key}={value!r} is not an allowed value")
        return _SLOT.sub(lambda m: identifiers[m.group(1)], self.template)

    def check_params(self, params: dict[str, object]) -> None:
        if set(params) != self.params:
            missing = sorted(self.params - set(params))
            extra = sorted(set(params) - self.params)
            raise ValueError(f"stage {self.name}: missing params {missing}, undeclared {extra}")


def prepare_stage(
    name: str, params: dict[str, object] | None, identifiers: dict[str, str] | None
) -> tuple[Stage, dict[str, object], str]:
    """What every engine does before running a stage: load it, check its params against
    the header and render its identifiers; returns (stage, params, SQL text)."""
    stage = load_stage(name)
    params = params or {}
    stage.check_params(params)
    return stage, params, stage.render(identifiers)


@cache
def load_stage(name: str) -> Stage:
    """Load sql/<name>.sql; a missing or header-less template fails loudly."""
    path = resource_dir("sql") / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"SQL stage {name!r} not found at {path}")
    text = path.read_text()
    params, idents, creates, types = set(), {}, None, {}
    inputs: list[str] = []
    inputs_go_on = False
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        if inputs_go_on:
            listed = line.removeprefix("--")
            inputs_go_on = listed.rstrip().endswith(",")
            inputs += [i.strip() for i in listed.split(",") if i.strip()]
        elif m := _INPUTS.match(line):
            inputs_go_on = m.group(1).rstrip().endswith(",")
            inputs += [i.strip() for i in m.group(1).split(",") if i.strip()]
        elif m := _PARAM.match(line):
            params.add(m.group(1))
            types[m.group(1)] = m.group(2)
        elif m := _IDENT.match(line):
            idents[m.group(1)] = frozenset(v.strip() for v in m.group(2).split("|"))
        elif m := _CREATES.match(line):
            creates = m.group(1)
    if creates is None:
        raise ValueError(f"SQL stage {name!r} has no '-- creates:' header line")
    used = set(re.findall(r"\$(\w+)", text))
    if used != params:
        raise ValueError(
            f"SQL stage {name!r}: header params {sorted(params)} != used {sorted(used)}"
        )
    return Stage(name, path, creates, frozenset(params), idents, text, types, tuple(inputs))
