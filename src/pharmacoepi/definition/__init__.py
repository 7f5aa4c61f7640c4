"""Cohort definitions: YAML + codelists, validated into frozen pydantic models.

Every rule parameter lives in the YAML; `--set key=value` overrides any of them. Errors
name the file, the field and give a hint (DefinitionError, exit code 2).

- types.py: strict models, day counts, and what a section declares (codelist uses,
  references to other sections' names, sections it needs);
- cohort.py, treatments.py, analyses.py: the sections, each in its own file;
- root.py: the Definition that composes them and checks those declarations alike;
- codelists.py: codelist files; load.py: YAML, overrides, error rendering.
"""

from pharmacoepi.definition.codelists import Codelist, normalise_code
from pharmacoepi.definition.load import (
    LoadedDefinition,
    load_definition,
    parse_overrides,
    resolve_definition_path,
)
from pharmacoepi.definition.root import Definition

__all__ = [
    "Codelist",
    "Definition",
    "LoadedDefinition",
    "load_definition",
    "normalise_code",
    "parse_overrides",
    "resolve_definition_path",
]
