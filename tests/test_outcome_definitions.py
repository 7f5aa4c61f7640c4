"""Bad outcome blocks and time-at-risk windows are refused with the field and the reason
(DefinitionError, exit code 2), before any data is read."""

from __future__ import annotations

import pytest

from pharmacoepi.definition import load_definition
from pharmacoepi.errors import DefinitionError

BLEEDING = {"bleeding": {"codelist": "bleeding", "settings": ["hospital_primary"]}}
YEAR = {"start": {"anchor": "index_date"}, "end": {"anchor": "index_date", "offset": 365}}


def _load(outcomes=BLEEDING, incidence=(), survival=()):
    return load_definition(
        "itp_faith",
        {"outcomes": outcomes, "analyses.outcome_incidence": list(incidence),
         "analyses.outcome_survival": list(survival)},
    )  # fmt: skip


def _entry(**more):
    return {"name": "a", "outcome": "bleeding", "time_at_risk": YEAR, **more}


@pytest.mark.parametrize(
    ("outcomes", "incidence", "survival", "fragment"),
    [
        (BLEEDING, [_entry(outcome="bleed")], [], "'bleed' is not an outcome declared"),
        ({"bleeding": {"codelist": "bleeding"}}, [], [], "outcomes.bleeding needs settings"),
        ({"x": {"codelist": "tpo_ra", "settings": ["hospital_primary"]}}, [], [],
         "settings are for diagnoses"),
        ({"x": {"codelist": "itp_typo"}}, [], [], "'itp_typo' is not declared"),
        ({"x": {"death": True, "codelist": "bleeding"}}, [], [], "an outcome is one of"),
        ({"x": {"new_course": ["tpo_ra"]}}, [], [], "names tpo_ra, not a course class"),
        (BLEEDING, [_entry(time_at_risk={"during": "tpo"})], [],
         "'tpo' is not a treatment class or efficacy group"),
        (BLEEDING, [_entry(time_at_risk={"during": "tpo_ra", "outside": "ivig"})], [],
         "during or outside, not both"),
        (BLEEDING, [_entry(time_at_risk={})], [], "time_at_risk is {start, end}"),
        (BLEEDING, [_entry(time_at_risk={"during": "tpo_ra", "start": YEAR["start"]})], [],
         "needs both start and end"),
        (BLEEDING, [_entry(time_at_risk={"start": YEAR["start"]})], [], "needs both start and end"),
        (BLEEDING, [], [_entry(time_at_risk={"outside": "tpo_ra"})], "a curve has one origin"),
        (BLEEDING, [_entry(), _entry()], [], "'a' is used twice"),
        (BLEEDING, [_entry()], [_entry()], "'a' is used twice"),
        (BLEEDING, [_entry(time_at_risk={"start": {"anchor": "course_start"},
                                         "end": YEAR["end"]})], [], "course_start needs a class"),
        (BLEEDING, [_entry(time_at_risk={"start": {"anchor": "course_start", "class": "ivig",
                                                   "number": 1}, "end": YEAR["end"]})], [],
         "'ivig' is not a course class"),
        (BLEEDING, [_entry(exclude_prior_days=-1)], [], "exclude_prior_days"),
        (BLEEDING, [_entry(clean_window_days=-1)], [], "clean_window_days"),
        (BLEEDING, [_entry(by=["region"])], [], "by"),
    ],
)  # fmt: skip
def test_a_bad_outcome_block_is_refused(outcomes, incidence, survival, fragment):
    with pytest.raises(DefinitionError) as caught:
        _load(outcomes, incidence, survival)
    assert fragment in str(caught.value)


def test_treatment_anchors_and_outcomes_need_a_treatments_block():
    with pytest.raises(DefinitionError) as caught:
        load_definition(
            "itp_faith",
            {"treatments": None, "analyses.survival": None, "phase": None,
             "outcomes": {"line": {"new_line": True}}},
        )  # fmt: skip
    assert "outcomes.line needs a treatments section" in str(caught.value)


def test_a_good_block_loads():
    loaded = _load(incidence=[_entry(clean_window_days=30, first_only=True,
                                     exclude_prior_days="all", by=["sex"])])  # fmt: skip
    entry = loaded.definition.analyses.outcome_incidence[0]
    assert (entry.clean_window_days, entry.first_only, entry.exclude_prior_days) == (
        30,
        True,
        "all",
    )


def test_a_misspelt_key_in_a_list_entry_names_the_keys_allowed_there():
    start = {"anchor": "course_start", "klass": "rituximab", "number": 1}
    with pytest.raises(DefinitionError) as caught:
        _load(survival=[_entry(time_at_risk={"start": start, "end": YEAR["end"]})])
    assert "allowed keys here: anchor, class, number, offset" in caught.value.hint
