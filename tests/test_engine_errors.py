"""Engine options: wrong values are user errors (exit 2, a message, no traceback); the
engine interface behaves alike on both engines."""

from __future__ import annotations

import pytest

from pharmacoepi.engines import spark_available
from tests.cli import assert_user_error, run_cli


def test_unknown_engine(default_data, tmp_path):
    result = run_cli(
        "build-cohort", "itp_faith", "--data", default_data, "--out", tmp_path / "o",
        "--engine", "oracle",
    )  # fmt: skip
    assert_user_error(result, "--engine 'oracle' is not an engine", "duckdb or spark")
    assert not (tmp_path / "o").exists()


def test_spark_master_needs_the_spark_engine(default_data, tmp_path):
    result = run_cli(
        "build-cohort", "itp_faith", "--data", default_data, "--out", tmp_path / "o",
        "--spark-master", "local[1]",
    )  # fmt: skip
    assert_user_error(result, "--spark-master needs --engine spark")


@pytest.mark.skipif(not spark_available(), reason="PySpark is not installed")
def test_source_adapters_run_on_duckdb_only(tmp_path):
    (tmp_path / "cdm").mkdir()
    result = run_cli(
        "build-cohort", "itp_faith", "--source", "omop", "--data", tmp_path / "cdm",
        "--out", tmp_path / "o", "--engine", "spark",
    )  # fmt: skip
    assert_user_error(result, "reads the claims layout only")


def _engines() -> list[str]:
    return ["duckdb", "spark"] if spark_available() else ["duckdb"]


@pytest.mark.parametrize("kind", _engines())
def test_an_input_file_gone_mid_run_is_a_user_error_on_either_engine(tmp_path, kind):
    """Both engines read inputs lazily: a file removed (or truncated) after it was checked
    fails the stage that reads it, reported as the user's problem with a hint."""
    import datetime as dt

    import polars as pl

    from pharmacoepi.engines import FilePart, make_engine
    from pharmacoepi.errors import UserError

    path = tmp_path / "persons.parquet"
    pl.DataFrame({"person_id": [1], "sex": ["F"], "birth_date": [dt.date(1960, 1, 1)],
                  "death_date": [None]}, schema_overrides={"death_date": pl.Date},
                 ).write_parquet(path)  # fmt: skip
    columns = tuple((c, c) for c in ("person_id", "sex", "birth_date", "death_date"))
    with make_engine(kind, threads=1) as engine:
        engine.register_files("raw_persons", [FilePart("parquet", (path,), columns=columns)])
        assert engine.schema("raw_persons")["person_id"] == "BIGINT"
        path.unlink()
        with pytest.raises(UserError, match="stage screen/persons failed") as caught:
            engine.run(
                "screen/persons",
                {"min_date": dt.date(1900, 1, 1), "max_date": dt.date(2100, 12, 31)},
                {"person_id_type": "BIGINT"},
            )
    assert caught.value.hint == "check that every input file is complete and readable"


@pytest.mark.parametrize("kind", _engines())
def test_a_materialised_table_attaches_in_a_later_session(tmp_path, kind):
    """What incremental runs build on: a step's table kept as parquet and read back, with
    its types, by another session of the same engine."""
    import datetime as dt

    import pyarrow as pa

    from pharmacoepi.engines import make_engine

    table = pa.table({"person_id": pa.array([2, 1], pa.int64()),
                      "index_date": pa.array([dt.date(2010, 3, 1), None], pa.date32()),
                      "sex": pa.array(["F", "M"], pa.string())})  # fmt: skip
    kept = tmp_path / "cohort.parquet"
    with make_engine(kind, threads=1) as engine:
        engine.register("cohort_in", table)
        engine.materialise("cohort_in", kept)
    with make_engine(kind, threads=1) as engine:
        engine.attach("cohort", kept)
        assert engine.schema("cohort") == {
            "person_id": "BIGINT", "index_date": "DATE", "sex": "VARCHAR"
        }  # fmt: skip
        assert engine.frame("cohort").rows() == [(1, None, "M"), (2, dt.date(2010, 3, 1), "F")]
