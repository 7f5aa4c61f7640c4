"""How the safety-outcome tables are masked (outcome_incidence.parquet,
outcome_survival.parquet), from their raw frames; registered in disclosure/tables.py."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from pharmacoepi.disclosure.rules import spread_suppression

# the strata whose levels add up to the crude row: each person has one sex and one age
# band at the start of the time at risk; calendar years add up only in events and days
_PERSON_MARGINS = ("sex", "age_band")
_EVENT_MARGINS = ("sex", "age_band", "calendar_year")
RATE = ["rate", "ci_lower", "ci_upper"]


def _small(n: int | None, min_cell: int) -> bool:
    return n is not None and 0 < n < min_cell


def _groups(rows: list[dict], margins: tuple[str, ...]) -> list[list[int]]:
    return [[i for i, r in enumerate(rows) if r["stratum"] == m] for m in margins]


def outcome_incidence(raw: pl.DataFrame, min_cell: int) -> pl.DataFrame:
    """Per analysis: events and persons_with_outcome are shown or hidden together (one
    says much of the other), hidden when either is 1..min_cell - 1; persons and
    persons_pre_exclusion each when small, persons also when the persons excluded
    (pre - post) are a small number. Each margin whose levels add up to the crude row
    (sex, age band; calendar years in events) hides a second cell when it has one hidden.
    A hidden events count hides its rate and CI; the standardised rows carry the crude
    counts and are hidden with them."""
    out = []
    for analysis in raw["analysis"].unique(maintain_order=True):
        rows = raw.filter(pl.col("analysis") == analysis).to_dicts()
        margin_rows = [r for r in rows if r["stratum"] != "standardised"]
        n = len(margin_rows)
        crude = [i for i, r in enumerate(margin_rows) if r["stratum"] == "crude"]
        events = [r["events"] for r in margin_rows]
        hide_events = [
            _small(r["events"], min_cell) or _small(r["persons_with_outcome"], min_cell)
            for r in margin_rows
        ]
        spread_suppression(hide_events, events, _groups(margin_rows, _EVENT_MARGINS))
        hidden: dict[str, list[bool]] = {}
        for column in ("persons", "persons_pre_exclusion"):
            flags = [_small(r[column], min_cell) for r in margin_rows]
            if column == "persons":
                flags = [
                    f or _small(r["persons_pre_exclusion"] - r["persons"], min_cell)
                    for f, r in zip(flags, margin_rows, strict=True)
                ]
            spread_suppression(flags, [r[column] for r in margin_rows],
                        _groups(margin_rows, _PERSON_MARGINS))  # fmt: skip
            hidden[column] = flags
        for i in range(n):
            r = margin_rows[i]
            if hide_events[i]:
                for c in ("events", "persons_with_outcome", *RATE):
                    r[c] = None
            for column, flags in hidden.items():
                if flags[i]:
                    r[column] = None
        shown_crude = margin_rows[crude[0]] if crude else {}
        for r in rows:
            if r["stratum"] != "standardised":
                continue
            for c in ("persons_pre_exclusion", "persons", "persons_with_outcome", "events"):
                r[c] = shown_crude.get(c)
            if shown_crude.get("events") is None:
                for c in RATE:
                    r[c] = None
        out += rows
    return pl.DataFrame(out, schema=raw.schema, orient="row")


def outcome_survival(
    raw: pl.DataFrame, min_cell: int, survival: Callable[[pl.DataFrame], pl.DataFrame]
) -> pl.DataFrame:
    """As survival.parquet (`survival`: its mask), and the restricted mean of a point is
    hidden with the point's curve value."""
    masked = survival(raw)
    return masked.with_columns(
        pl.when(pl.col("cumulative_incidence").is_null())
        .then(None)
        .otherwise(pl.col("restricted_mean_days"))
        .alias("restricted_mean_days")
    )
