"""Table 1 and the features behind it (sql/characteristics/, characteristics/table.py;
docs/methods.md, "Baseline characteristics")."""

from __future__ import annotations

from pharmacoepi.outputs.dictionary.model import (
    FLOAT64,
    INT64,
    MIN_CELL_COUNT,
    PERSON_ID,
    STRING,
    Column,
    Table,
)

_FEATURE = Column(
    "feature", STRING,
    "age, age_band, sex, index_year (demographics); a condition's codelist; a drug's name; "
    "hospital_stays, hospital_days, distinct_atc4; charlson, charlson_category",
    values="the features of `characteristics`",
)  # fmt: skip
_WINDOW = Column(
    "window", STRING,
    "the window `name: [start, end]`, [index_date + start, index_date + end] both inclusive; "
    "null for demographics",
    values="a key of `characteristics.windows`",
)  # fmt: skip
_CATEGORY = Column(
    "category", STRING,
    "a categorical feature's category (age band `18-39`, sex, year, Charlson class); null "
    "for a binary or continuous feature",
    values="per feature; charlson_category: `0`, `1-2`, `3-4`, `5+`",
)  # fmt: skip
# The unit of a continuous feature's summaries.
_FEATURE_UNIT = "the feature's: years, stays, days, ATC4 groups, Charlson points"

CHARACTERISTICS = Table(
    "characteristics.parquet",
    "one per stratum level, feature, window and category (Table 1, the overall column first)",
    "with a `characteristics:` block",
    (
        Column(
            "stratum",
            STRING,
            "`overall`, or a stratum of `characteristics.strata`",
            values=(
                "overall",
                "sex",
                "age_band",
                "index_year",
                "end_reason",
                "first_line",
                "first_efficacy_group",
                "phase",
            ),
        ),  # fmt: skip
        Column(
            "level",
            STRING,
            "`all` for overall; else the stratum's level (first_line: a regimen or `none`; "
            "first_efficacy_group: a group, `combination` or `none`; phase: `undetermined` "
            "when unknown)",
            values="as the stratum says",
        ),
        Column("persons", INT64, "members in the level (N)", "persons"),
        _FEATURE,
        _WINDOW,
        Column(
            "kind",
            STRING,
            "binary (0/1), categorical (one row per category) or continuous",
            values=("binary", "categorical", "continuous"),
        ),
        _CATEGORY,
        Column(
            "n",
            INT64,
            "members with the feature (binary) or in the category; null for a continuous feature",
            "persons",
        ),
        Column("percent", FLOAT64, "100 n / persons", "percent 0-100"),
        Column(
            "mean",
            FLOAT64,
            "a continuous feature's mean over every member of the level (nothing seen counts 0)",
            _FEATURE_UNIT,
        ),
        Column(
            "sd", FLOAT64, "its sample standard deviation (N - 1); null when N = 1", _FEATURE_UNIT
        ),
        Column("median", FLOAT64, "its median (quantile type 7, as R and numpy)", _FEATURE_UNIT),
        Column("q1", FLOAT64, "its first quartile (type 7)", _FEATURE_UNIT),
        Column("q3", FLOAT64, "its third quartile (type 7)", _FEATURE_UNIT),
        Column(
            "smd",
            FLOAT64,
            "standardized mean difference of the level against smd_reference: signed (level "
            "minus reference) for binary and continuous, >= 0 for categorical (Yang-Dalton, "
            "repeated on each category row); null when undefined",
            "standard deviations",
        ),
        Column(
            "smd_reference",
            STRING,
            "what the SMD compares with: the other level (two levels) or `rest` (the cohort "
            "outside the level); null for overall and a single-level stratum",
            values="the other level, or `rest`",
        ),
        MIN_CELL_COUNT,
    ),
)

COVARIATES = Table(
    "covariates.parquet",
    "one per cohort member, feature and window (a categorical feature: its one category)",
    "with `characteristics.covariates_file: true`",
    (
        PERSON_ID,
        _FEATURE,
        _WINDOW,
        _CATEGORY,
        Column(
            "value",
            FLOAT64,
            "binary: 0 or 1; categorical: 1 (the category named); continuous: the value, 0 "
            "when nothing is seen (the Charlson components are not written)",
            _FEATURE_UNIT,
        ),
    ),
)

TABLES = (COVARIATES, CHARACTERISTICS)
