"""Reading a definition: the YAML file (or a shipped name), `--set` overrides, validation
with errors that name the file, the field and the keys allowed there, and the codelists
read from their files. Errors are DefinitionError (exit code 2)."""

from __future__ import annotations

import difflib
import hashlib
import json
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from pharmacoepi.definition.codelists import Codelist, read_codelist
from pharmacoepi.definition.root import Definition
from pharmacoepi.errors import DefinitionError
from pharmacoepi.resources import resource_dir


class LoadedDefinition(BaseModel):
    """A definition with its codelists read, and the provenance the manifest records."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    definition: Definition
    codelists: dict[str, Codelist]
    path: Path
    file_sha256: str
    overrides: dict[str, Any]

    def resolved_sha256(self) -> str:
        """Hash of the definition after overrides: two runs with equal hashes ran the same rules."""
        payload = self.definition.model_dump(mode="json", by_alias=True)
        payload["codelist_sha256"] = {n: c.sha256 for n, c in sorted(self.codelists.items())}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text (pydantic parses them and names the field) and
    refuses a key given twice (YAML would silently keep the last)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise DefinitionError(
                    f"key {key!r} is given twice",
                    where=f"line {key_node.start_mark.line + 1}",
                    hint="each key may appear once per block",
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def resolve_definition_path(spec: str) -> Path:
    """A path to a YAML file, or the name of a definition shipped with pharmacoepi."""
    path = Path(spec)
    if path.is_file():
        return path
    for candidate in (resource_dir("cohorts") / spec, resource_dir("cohorts") / f"{spec}.yaml"):
        if candidate.is_file():
            return candidate
    shipped = sorted(p.stem for p in resource_dir("cohorts").glob("*.yaml"))
    raise DefinitionError(
        f"cohort definition {spec!r} not found",
        hint=f"give a path to a YAML file, or one of the shipped names: {', '.join(shipped)}",
    )


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """`key.sub=value` strings -> {dotted key: YAML-parsed value}."""
    overrides: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise DefinitionError(
                f"--set {item!r} is not key=value",
                hint="for example --set incident.washout_days=365",
            )
        try:
            overrides[key.strip()] = yaml.load(value, Loader=_Loader) if value.strip() else None
        except (yaml.YAMLError, DefinitionError) as exc:
            raise DefinitionError(f"--set {item!r}: value is not valid YAML ({exc})") from None
    return overrides


def _apply_override(raw: dict[str, Any], dotted: str, value: Any, path: Path) -> None:
    node: Any = raw
    parts = dotted.split(".")
    for depth, part in enumerate(parts[:-1]):
        if not isinstance(node, dict) or part not in node:
            prefix = ".".join(parts[: depth + 1])
            raise DefinitionError(
                f"--set {dotted}: {prefix!r} is not in the definition",
                where=str(path),
                hint="override keys are dotted paths of keys present in the YAML",
            )
        node = node[part]
    if not isinstance(node, dict):
        raise DefinitionError(
            f"--set {dotted}: {'.'.join(parts[:-1])!r} is a value, not a block of keys",
            where=str(path),
            hint="override keys are dotted paths of keys present in the YAML",
        )
    # A key the YAML leaves at its default may be set too (stockpiling of a class);
    # a misspelt one is refused by validation, which lists the keys allowed there.
    node[parts[-1]] = value


def _describe(error: dict[str, Any]) -> tuple[str, str]:
    field = ".".join(str(p) for p in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return field, f"unknown key {field!r}"
    if error["type"] == "missing":
        return field, f"missing key {field!r}"
    message = error["msg"].removeprefix("Value error, ")
    # a whole-definition check (a block another one needs) names its blocks itself
    return field, message if not error["loc"] else f"{field}: {message}"


# Unknown keys first (a misspelt key also makes the key meant "missing"), then missing keys,
# then values: the first line is the likeliest cause.
_PROBLEM_ORDER = {"extra_forbidden": 0, "missing": 1}


def _every_problem(exc: ValidationError, path: Path) -> DefinitionError:
    """Every problem of the file in one error, unknown keys first, each with the key it
    probably meant."""
    errors = sorted(exc.errors(), key=lambda e: _PROBLEM_ORDER.get(e["type"], 2))
    lines = []
    for error in errors:
        _, message = _describe(error)
        if error["type"] == "extra_forbidden":
            guess = _did_you_mean(error["loc"])
            message += f" (did you mean {guess!r}?)" if guess else ""
        lines.append(message)
    first = errors[0]
    field = _describe(first)[0]
    if first["type"] == "extra_forbidden":
        hint = f"allowed keys here: {', '.join(_allowed_keys(first['loc'][:-1]))}"
    else:
        hint = "see docs/cohort-definitions.md for every key (required ones are marked)"
    if len(lines) == 1:
        where = f"{path}: {field}" if first["loc"] else str(path)
        return DefinitionError(lines[0], where=where, hint=hint)
    listed = "\n".join(f"  - {line}" for line in lines)
    return DefinitionError(
        f"{len(lines)} problems in the definition:\n{listed}", where=str(path), hint=hint
    )


def _did_you_mean(loc: tuple[Any, ...]) -> str | None:
    """The key an unknown one probably meant: a close name at the same level, or a key of
    the same name elsewhere (`washout` -> `incident.washout_days`)."""
    name = str(loc[-1])
    here = _allowed_keys(loc[:-1])
    close = difflib.get_close_matches(name, here, n=1, cutoff=0.75)
    if close:
        return ".".join([*map(str, loc[:-1]), close[0]])
    paths = _key_paths(Definition)
    leaves = {p.rsplit(".", 1)[-1]: p for p in reversed(paths)}  # the shallowest wins
    close = difflib.get_close_matches(name, list(leaves), n=1, cutoff=0.7)
    return leaves[close[0]] if close else None


def _key_paths(model: Any, prefix: str = "", depth: int = 0) -> list[str]:
    """Every key of the definition's schema as a dotted path (`<name>` for a key the user
    chooses: a codelist, a class)."""
    paths = []
    for name, field in model.model_fields.items():
        key = prefix + (field.alias or name)
        paths.append(key)
        inner, keyed = _model_in(field.annotation)
        if inner is not None and depth < 4:
            paths += _key_paths(inner, f"{key}.<name>." if keyed else f"{key}.", depth + 1)
    return paths


MAX_EXTENDS = 8  # a chain of variants deeper than this is a loop, or a mistake


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.load(path.read_bytes(), Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise DefinitionError(f"not valid YAML: {exc}", where=str(path)) from None
    except DefinitionError as exc:
        exc.where = f"{path}, {exc.where}"
        raise
    if not isinstance(raw, dict):
        raise DefinitionError("a definition is a YAML mapping of keys", where=str(path))
    return raw


def _merged(base: Any, variant: Any) -> Any:
    """A variant over its base: mappings merge key by key, anything else replaces (null
    removes an optional block, a list replaces the whole list)."""
    if isinstance(base, dict) and isinstance(variant, dict):
        return {**base, **{k: _merged(base.get(k), v) for k, v in variant.items()}}
    return variant


def _read_definition(path: Path, chain: tuple[Path, ...] = ()) -> tuple[dict, dict[str, Path]]:
    """The YAML of `path` over the definition it `extends` (a shipped name, or a path
    relative to it), and the folder each codelist's file is relative to: the folder of
    the file that declares it."""
    if len(chain) >= MAX_EXTENDS or path.resolve() in chain:
        raise DefinitionError(
            "`extends` goes round in a loop"
            if path.resolve() in chain
            else f"`extends` chain deeper than {MAX_EXTENDS}",
            where=" -> ".join(str(p) for p in (*chain, path)),
            hint="a variant extends a base definition that does not extend it back",
        )
    raw = _read_yaml(path)
    dirs = {name: path.parent for name in raw.get("codelists") or {}}
    base_spec = raw.pop("extends", None)
    if base_spec is None:
        return raw, dirs
    if not isinstance(base_spec, str):
        raise DefinitionError("`extends` names one definition", where=f"{path}: extends")
    local = path.parent / base_spec
    base_path = local if local.is_file() else resolve_definition_path(base_spec)
    base, base_dirs = _read_definition(base_path, (*chain, path.resolve()))
    return _merged(base, raw), {**base_dirs, **dirs}


def load_definition(spec: str | Path, overrides: dict[str, Any] | None = None) -> LoadedDefinition:
    """Read a definition YAML (over the one it extends, if any), apply overrides,
    validate it, and read its codelists."""
    path = resolve_definition_path(str(spec))
    overrides = dict(overrides or {})
    raw_bytes = path.read_bytes()
    raw, codelist_dirs = _read_definition(path)
    for key, value in overrides.items():
        _apply_override(raw, key, value, path)
    try:
        definition = Definition.model_validate(raw)
    except ValidationError as exc:
        raise _every_problem(exc, path) from None
    codelists = {
        name: read_codelist(
            name,
            codelist_dirs.get(name, path.parent) / ref.file,
            domain=ref.domain,
            match=ref.matching,
            declared_in=f"{path}: codelists.{name}.file",
        )
        for name, ref in definition.codelists.items()
    }
    codelists.update(_score_codelists(definition, codelists, path))
    return LoadedDefinition(
        definition=definition,
        codelists=codelists,
        path=path,
        file_sha256=hashlib.sha256(raw_bytes).hexdigest(),
        overrides=overrides,
    )


# The Charlson components (Quan et al. 2005 ICD-10 coding) ship with pharmacoepi; a
# definition asking for the score screens them like its own codelists, under these names.
CHARLSON_PREFIX = "charlson_"


def charlson_dir() -> Path:
    return resource_dir("cohorts") / "codelists" / "charlson"


def _score_codelists(
    definition: Definition, declared: dict[str, Codelist], path: Path
) -> dict[str, Codelist]:
    c = definition.characteristics
    if c is None or "charlson" not in c.scores:
        return {}
    files = sorted(charlson_dir().glob("*.csv"))
    names = {CHARLSON_PREFIX + f.stem: f for f in files}
    taken = sorted(set(names) & set(declared))
    if taken:
        raise DefinitionError(
            f"codelist {taken[0]!r} is declared, and is the name of a shipped Charlson component",
            where=f"{path}: codelists.{taken[0]}",
            hint=f"rename it: names starting with {CHARLSON_PREFIX!r} are the Charlson index's",
        )
    return {
        name: read_codelist(name, file, domain="diagnoses", match="prefix")
        for name, file in names.items()
    }


def _model_in(annotation: Any) -> tuple[Any, bool]:
    """The model an annotation holds: (model, keyed) for `Model`, `Model | None`,
    `dict[str, Model]` and `tuple[Model, ...]` (keyed: the next location part is a dict
    key or a list index, not a field)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    args = typing.get_args(annotation)
    keyed = typing.get_origin(annotation) in (dict, tuple, list)
    for arg in args:
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg, keyed
    return None, False


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    model: Any = Definition
    skip_key = False
    for part in loc:
        if skip_key:  # a name the user chose (a codelist, a class): the model stays
            skip_key = False
            continue
        fields = {f.alias or name: f for name, f in model.model_fields.items()}
        field = fields.get(part)
        inner, keyed = _model_in(field.annotation) if field is not None else (None, False)
        if inner is None:
            break
        model, skip_key = inner, keyed
    # the keys as written in YAML: a field's alias where it has one (`class`)
    return sorted(f.alias or name for name, f in model.model_fields.items())
