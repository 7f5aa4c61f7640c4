"""Tiny claims extracts drawn in a test: a few rows per table, written as the contract says."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pharmacoepi.definition import load_definition
from pharmacoepi.pipeline.build import build_cohort
from pharmacoepi.progress import Reporter

SCHEMAS = {
    "persons": {
        "person_id": pl.Int64,
        "sex": pl.String,
        "birth_date": pl.Date,
        "death_date": pl.Date,
    },
    "observation_periods": {"person_id": pl.Int64, "start_date": pl.Date, "end_date": pl.Date},
    "diagnoses": {
        "person_id": pl.Int64,
        "date": pl.Date,
        "code": pl.String,
        "setting": pl.String,
        "stay_id": pl.Int64,
        "end_date": pl.Date,
    },
    "dispensings": {
        "person_id": pl.Int64,
        "date": pl.Date,
        "atc": pl.String,
        "product_code": pl.String,
        "setting": pl.String,
        "quantity": pl.Float64,
        "days_supply": pl.Int32,
    },
    "procedures": {"person_id": pl.Int64, "date": pl.Date, "code": pl.String, "stay_id": pl.Int64},
    "hospital_stays": {
        "stay_id": pl.Int64,
        "person_id": pl.Int64,
        "admission_date": pl.Date,
        "discharge_date": pl.Date,
    },
}


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@dataclass
class Claims:
    """Rows per table; helpers add the usual shapes with sensible defaults."""

    rows: dict[str, list[dict]] = field(default_factory=lambda: {t: [] for t in SCHEMAS})

    def person(
        self,
        pid: int,
        *,
        sex: str = "F",
        birth: str = "1960-01-01",
        death: str | None = None,
        covered: tuple[str, str] | None = ("2000-01-01", "2014-12-31"),
    ) -> Claims:
        self.rows["persons"].append(
            {
                "person_id": pid,
                "sex": sex,
                "birth_date": d(birth),
                "death_date": d(death) if death else None,
            }
        )
        if covered:
            self.period(pid, *covered)
        return self

    def period(self, pid: int, start: str, end: str) -> Claims:
        self.rows["observation_periods"].append(
            {"person_id": pid, "start_date": d(start), "end_date": d(end)}
        )
        return self

    def diagnosis(
        self,
        pid: int,
        date: str,
        code: str = "D693",
        setting: str = "hospital_primary",
        end: str | None = None,
    ) -> Claims:
        self.rows["diagnoses"].append(
            {
                "person_id": pid,
                "date": d(date),
                "code": code,
                "setting": setting,
                "stay_id": None,
                "end_date": d(end) if end else None,
            }
        )
        return self

    def ald(self, pid: int, start: str, end: str | None = None, code: str = "D693") -> Claims:
        """A long-term disease status over [start, end] (inclusive; None: open-ended)."""
        return self.diagnosis(pid, start, code=code, setting="long_term_disease", end=end)

    def dispensing(
        self,
        pid: int,
        date: str,
        atc: str = "H02AB07",
        setting: str = "community",
        quantity: float = 1.0,
        days_supply: int | None = None,
    ) -> Claims:
        self.rows["dispensings"].append(
            {
                "person_id": pid,
                "date": d(date),
                "atc": atc,
                "product_code": "3400930000000",
                "setting": setting,
                "quantity": quantity,
                "days_supply": days_supply,
            }
        )
        return self

    def procedure(self, pid: int, date: str, code: str = "FFFC001") -> Claims:
        self.rows["procedures"].append(
            {"person_id": pid, "date": d(date), "code": code, "stay_id": None}
        )
        return self

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        for table, schema in SCHEMAS.items():
            pl.DataFrame(self.rows[table], schema=schema).write_parquet(
                directory / f"{table}.parquet"
            )
        return directory


@dataclass(frozen=True)
class Built:
    cohort: pl.DataFrame
    incident: pl.DataFrame
    attrition: pl.DataFrame
    out: Path
    kept: dict[str, pl.DataFrame]  # intermediate tables asked for with keep=

    def index_dates(self) -> dict[int, dt.date]:
        return dict(zip(self.cohort["person_id"], self.cohort["index_date"], strict=True))

    def persons(self) -> set[int]:
        return set(self.cohort["person_id"])

    def table(self, name: str) -> pl.DataFrame:
        """An output file by name, e.g. 'exposures'."""
        return pl.read_parquet(self.out / f"{name}.parquet")

    def rows(self, name: str, *columns: str, person: int | None = None) -> list[tuple]:
        """Chosen columns of an output, for one person or all, in the file's order."""
        frame = self.table(name)
        if person is not None:
            frame = frame.filter(pl.col("person_id") == person)
        return frame.select(columns).rows()


# The engine spec tests build with: tests/spec/conftest.py runs each rule's tests on
# DuckDB and on Spark (when PySpark is installed), setting this for the test's duration.
ENGINE = {"name": "duckdb"}


def build(
    claims: Claims,
    tmp_path: Path,
    definition: str = "itp_faith",
    keep: tuple[str, ...] = (),
    **overrides,
) -> Built:
    """Build the claims; `keep`: engine tables or step results to return (Built.kept)."""
    data = claims.write(tmp_path / "data")
    out = tmp_path / "out"
    loaded = load_definition(definition, overrides)
    result = build_cohort(
        loaded,
        data,
        out,
        reporter=Reporter.for_stderr(quiet=True),
        engine_name=ENGINE["name"],
        keep=keep,
    )
    # every identity the disclosure audit relies on must hold on every spec dataset
    assert result.disclosure_audit["relations_not_holding"] == []
    return Built(
        cohort=pl.read_parquet(out / "cohort.parquet"),
        incident=pl.read_parquet(out / "incident_cases.parquet"),
        attrition=result.attrition,
        out=out,
        kept=result.kept,
    )
