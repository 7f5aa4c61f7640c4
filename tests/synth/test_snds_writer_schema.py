"""The synthetic SNDS files hold the types the official schema gives (the fields vendored
in tests/reference/snds_schema from schema-snds, not the writer's own type table), and
only the columns each year's files had: no stay dates in T_MCOaaC before 2009."""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pharmacoepi.synth.snds_layout import generate_snds_dataset
from tests.sources.snds_extract import schema, schema_name
from tests.synth.conftest import small_config

# A schema type and the parquet types that hold it. A year or a month (%m) is text in a
# SAS extract ('2008', '03') or an integer: either is faithful.
HOLDS = {
    "integer": (pa.types.is_integer,),
    "number": (pa.types.is_floating, pa.types.is_integer),
    "string": (pa.types.is_string, pa.types.is_large_string),
    "boolean": (pa.types.is_boolean,),
    "date": (pa.types.is_date,),
    "datetime": (pa.types.is_timestamp,),
    "year": (pa.types.is_integer, pa.types.is_string),
    "month": (pa.types.is_string, pa.types.is_integer),
}


@pytest.fixture(scope="module")
def snds(tmp_path_factory):
    out = tmp_path_factory.mktemp("snds_writer") / "snds"
    generate_snds_dataset(small_config(persons=3_000), out)
    return out


def _kind(field: dict[str, str]) -> str:
    return "month" if field.get("format") == "%m" else field["type"]


def test_every_column_the_schema_lists_has_its_type(snds):
    checked = 0
    for path in sorted(snds.glob("*.parquet")):
        fields = schema().get(schema_name(path.stem), {})
        for column in pq.read_schema(path):
            field = fields.get(column.name)
            if field is None:
                continue
            assert any(holds(column.type) for holds in HOLDS[_kind(field)]), (
                f"{path.name}.{column.name}: {column.type} for the schema's {_kind(field)}"
            )
            checked += 1
    assert checked > 150  # every table, every year


def test_stay_dates_exist_from_2009_only(snds):
    years = {}
    for path in snds.glob("T_MCO*C.parquet"):
        yy = int(re.fullmatch(r"T_MCO(\d{2})C", path.stem).group(1))
        years[2000 + yy] = {"EXE_SOI_DTD", "EXE_SOI_DTF"} <= set(pq.read_schema(path).names)
    assert years == {year: year >= 2009 for year in range(2005, 2015)}
