"""The Charlson comorbidity index: Quan et al. (2005) ICD-10 coding of the 17 components
(the CSV files in cohorts/codelists/charlson/) and the Quan et al. (2011) weights.

Quan H, Sundararajan V, Halfon P, et al. Coding algorithms for defining comorbidities in
ICD-9-CM and ICD-10 administrative data. Med Care 2005;43:1130-9.
Quan H, Li B, Couris CM, et al. Updating and validating the Charlson comorbidity index and
score for risk adjustment in hospital discharge abstracts using data from 6 countries.
Am J Epidemiol 2011;173:676-82 (Table 3: the updated weights; five components weigh 0).
"""

from __future__ import annotations

import pyarrow as pa

from pharmacoepi.definition.load import CHARLSON_PREFIX

# component: Quan 2011 weight
WEIGHTS = {
    "myocardial_infarction": 0,
    "congestive_heart_failure": 2,
    "peripheral_vascular_disease": 0,
    "cerebrovascular_disease": 0,
    "dementia": 2,
    "chronic_pulmonary_disease": 1,
    "rheumatic_disease": 1,
    "peptic_ulcer_disease": 0,
    "mild_liver_disease": 2,
    "diabetes_without_complications": 0,
    "diabetes_with_complications": 1,
    "hemiplegia_paraplegia": 2,
    "renal_disease": 1,
    "any_malignancy": 2,
    "moderate_severe_liver_disease": 4,
    "metastatic_solid_tumour": 6,
    "aids_hiv": 4,
}
# The hierarchy: a component is not counted when the one that supersedes it is present
# (each condition counted once, at its most severe form).
SUPERSEDED_BY = {
    "mild_liver_disease": "moderate_severe_liver_disease",
    "diabetes_without_complications": "diabetes_with_complications",
    "any_malignancy": "metastatic_solid_tumour",
}
# The usual categories of the score: (lowest, highest or None, label)
CATEGORIES = ((0, 0, "0"), (1, 2, "1-2"), (3, 4, "3-4"), (5, None, "5+"))


def codelist_name(component: str) -> str:
    return CHARLSON_PREFIX + component


def components_table() -> pa.Table:
    return pa.table(
        {
            "component": list(WEIGHTS),
            "codelist": [codelist_name(c) for c in WEIGHTS],
            "weight": pa.array(list(WEIGHTS.values()), pa.int32()),
            "superseded_by": [SUPERSEDED_BY.get(c) for c in WEIGHTS],
        }
    )


def categories_table() -> pa.Table:
    return pa.table(
        {
            "lower_score": pa.array([c[0] for c in CATEGORIES], pa.int32()),
            "upper_score": pa.array([c[1] for c in CATEGORIES], pa.int32()),
            "label": [c[2] for c in CATEGORIES],
        }
    )


def score(components: set[str]) -> int:
    """The index of one person from the components present (the SQL's rule, in Python:
    the spec tests and docs use it)."""
    counted = {c for c in components if SUPERSEDED_BY.get(c) not in components}
    return sum(WEIGHTS[c] for c in counted)
