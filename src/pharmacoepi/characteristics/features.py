"""The features of Table 1 as the definition declares them, in its order, and the
windows and age bands, as tables the SQL stages join (no value pasted into a query)."""

from __future__ import annotations

import pyarrow as pa

from pharmacoepi.characteristics import charlson
from pharmacoepi.definition.characteristics import Characteristics

FEATURES_SCHEMA = pa.schema(
    [("feature", pa.string()), ("kind", pa.string()), ("source", pa.string()),
     ("codelist", pa.string()), ("class", pa.string()), ("window_name", pa.string())]
)  # fmt: skip
_DEMOGRAPHIC_KIND = {"age": "continuous"}  # the others are categorical


def features(c: Characteristics) -> list[dict]:
    """One row per feature and window (demographics: no window), in Table 1's order."""
    rows = [
        {"feature": f, "kind": _DEMOGRAPHIC_KIND.get(f, "categorical"), "source": "demographic"}
        for f in c.demographics
    ]
    for cond in c.conditions:
        rows += [
            {"feature": cond.codelist, "kind": "binary", "source": "condition",
             "codelist": cond.codelist, "window_name": w}
            for w in cond.windows
        ]  # fmt: skip
    for drug in c.drugs:
        source = "drug_class" if drug.class_ else "drug_codelist"
        rows += [
            {"feature": drug.name, "kind": "binary", "source": source, "codelist": drug.codelist,
             "class": drug.class_, "window_name": w}
            for w in drug.windows
        ]  # fmt: skip
    rows += [
        {"feature": u, "kind": "continuous", "source": "utilisation", "window_name": w}
        for u in c.utilisation
        for w in c.windows
    ]
    if "charlson" in c.scores:
        for w in c.windows_for_scores:
            rows += [
                {"feature": "charlson", "kind": "continuous", "source": "score", "window_name": w},
                {"feature": "charlson_category", "kind": "categorical", "source": "score",
                 "window_name": w},
            ]  # fmt: skip
            rows += [
                {"feature": name, "kind": "component", "source": "charlson_component",
                 "codelist": name, "window_name": w}
                for name in map(charlson.codelist_name, charlson.WEIGHTS)
            ]  # fmt: skip
    return rows


def windows_table(c: Characteristics) -> pa.Table:
    return pa.table(
        {
            "window_name": list(c.windows),
            "start_offset": pa.array([w[0] for w in c.windows.values()], pa.int32()),
            "end_offset": pa.array([w[1] for w in c.windows.values()], pa.int32()),
        }
    )


def age_bands_table(c: Characteristics) -> pa.Table:
    lower = list(c.age_bands)
    upper = [*lower[1:], None]
    labels = [
        f"{lo}-{hi - 1}" if hi is not None else f"{lo}+"
        for lo, hi in zip(lower, upper, strict=True)
    ]
    return pa.table(
        {
            "lower_age": pa.array(lower, pa.int32()),
            "upper_age": pa.array(upper, pa.int32()),
            "label": labels,
        }
    )


def age_band_labels(c: Characteristics) -> list[str]:
    return age_bands_table(c)["label"].to_pylist()
