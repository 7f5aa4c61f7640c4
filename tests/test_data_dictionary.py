"""The data dictionary (docs/outputs.md) describes exactly what builds write: every parquet
file and column of itp_faith and ms_dmt on the default dataset and of the Eunomia
celecoxib example on OMOP, with its type as written and, where it lists them, every value
a column takes. A column added to an output without its entry fails here."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import polars as pl
import pytest

from pharmacoepi.definition import Definition, load_definition
from pharmacoepi.outputs import dictionary
from pharmacoepi.outputs.catalogue import BY_FILE as CATALOGUE
from pharmacoepi.outputs.catalogue import Role
from pharmacoepi.outputs.dictionary import model
from pharmacoepi.pipeline.build import build_cohort
from pharmacoepi.progress import Reporter
from tests.sources.eunomia import REFERENCE as EUNOMIA

BUILDS = ("itp_faith", "ms_dmt", "examples/eunomia_celecoxib")
TYPES = {model.INT32, model.INT64, model.FLOAT64, model.DATE, model.STRING, model.BOOLEAN,
         model.BINARY}  # fmt: skip


@pytest.fixture(scope="module")
def built(default_data, tmp_path_factory) -> dict[str, tuple[Definition, Path]]:
    """Each build's definition and output folder (no report.html: it holds no column)."""
    root = tmp_path_factory.mktemp("dictionary")
    quiet = Reporter.for_stderr(quiet=True)
    folders = {}
    for name in BUILDS:
        loaded = load_definition(name)
        out = root / name.replace("/", "_")
        if name.startswith("examples/"):  # the vendored OMOP tables, read as they lie
            build_cohort(loaded, EUNOMIA, out, source="omop", reporter=quiet, report=False)
        else:
            build_cohort(loaded, default_data, out, reporter=quiet, report=False)
        folders[name] = (loaded.definition, out)
    return folders


def _described(table: model.Table, d: Definition) -> list[model.Column]:
    """The columns the dictionary says a file written for `d` has, in order."""
    return [c for c in table.columns if c.only_with is None or getattr(d, c.only_with) is not None]


def test_the_dictionary_describes_each_parquet_file_of_the_catalogue_once():
    assert set(dictionary.BY_FILE) == {f for f in CATALOGUE if f.endswith(".parquet")}
    assert len(dictionary.TABLES) == len(dictionary.BY_FILE)
    assert tuple(dictionary.ROLES) == get_args(Role)  # each role's masking, stated once
    for table in dictionary.TABLES:
        names = [c.name for c in table.columns]
        assert len(set(names)) == len(names), table.file
        spec = CATALOGUE[table.file]
        if spec.level == "aggregate":  # the catalogue gives their columns and roles
            assert tuple(names) == spec.column_names, table.file
        for c in table.columns:
            assert c.type in TYPES, (table.file, c.name, c.type)
            assert c.meaning and "\n" not in c.meaning, (table.file, c.name)
            assert c.only_with is None or c.only_with in Definition.model_fields, c.only_with


def _problems(file: str, path: Path, d: Definition) -> list[str]:
    """How a written file differs from its entry: columns, order, types, listed values."""
    table = dictionary.BY_FILE.get(file)
    if table is None:
        return [f"{file}: written, not in the dictionary"]
    schema = pl.read_parquet_schema(path)
    described = _described(table, d)
    names = [c.name for c in described]
    problems = [f"{file}: {c} written, not described" for c in schema if c not in names]
    problems += [f"{file}: {c} described, not written" for c in names if c not in schema]
    if not problems and list(schema) != names:
        problems.append(f"{file}: columns written in the order {list(schema)}")
    for c in described:
        if c.name in schema and str(schema[c.name]) != c.type:
            problems.append(f"{file}: {c.name} is {schema[c.name]}, described as {c.type}")
    listed = [c for c in described if isinstance(c.values, tuple) and c.values and c.name in schema]
    if listed:
        frame = pl.read_parquet(path, columns=[c.name for c in listed])
        for c in listed:
            other = set(frame[c.name].drop_nulls().unique().to_list()) - set(c.values)
            if other:
                problems.append(f"{file}: {c.name} holds {sorted(other)}, not listed")
    return problems


@pytest.mark.parametrize("name", BUILDS)
def test_every_column_written_is_described_with_its_type_and_values(built, name):
    d, out = built[name]
    problems = [
        problem
        for path in sorted(out.glob("*.parquet"))
        for problem in _problems(path.name, path, d)
    ]
    assert not problems, "\n".join(problems)


def test_every_described_file_and_column_was_written_by_a_build(built):
    """The builds together write every file and conditional column the dictionary has, so
    no entry goes unchecked."""
    seen: dict[str, set[str]] = {}
    for _, out in built.values():
        for path in out.glob("*.parquet"):
            seen.setdefault(path.name, set()).update(pl.read_parquet_schema(path))
    assert set(seen) == set(dictionary.BY_FILE)
    for table in dictionary.TABLES:
        assert {c.name for c in table.columns} == seen[table.file], table.file
