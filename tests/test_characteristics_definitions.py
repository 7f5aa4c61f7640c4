"""Bad `characteristics:` blocks are refused with the field and the reason
(DefinitionError, exit code 2), before any data is read."""

from __future__ import annotations

import pytest

from pharmacoepi.definition import load_definition
from pharmacoepi.errors import DefinitionError
from tests.cli import assert_user_error, run_cli

BASE = {"windows": {"prior_year": [-365, -1]}}


def _load(definition="itp_faith", **block):
    return load_definition(definition, {"characteristics": {**BASE, **block}})


@pytest.mark.parametrize(
    ("block", "fragment"),
    [
        ({"windows": {"w": [-1, -365]}}, "window 'w' starts after it ends (-1 > -365)"),
        ({"conditions": [{"codelist": "bleeding", "windows": ["year"]}]},
         "conditions[0] names window 'year', not one of windows (prior_year)"),
        ({"conditions": [{"codelist": "tpo_ra", "windows": ["prior_year"]}]},
         "'tpo_ra' has domain 'dispensings'; it needs a diagnoses codelist"),
        ({"drugs": [{"class": "tpo_ra", "codelist": "tpo_ra", "windows": ["prior_year"]}]},
         "a drug is a treatment `class` or a dispensings `codelist`, one"),
        ({"drugs": [{"class": "tpo", "windows": ["prior_year"]}]},
         "names tpo, not a treatment class"),
        ({"drugs": [{"codelist": "bleeding", "windows": ["prior_year"]}]},
         "it needs a dispensings codelist"),
        ({"drugs": [{"class": "tpo_ra", "windows": ["prior_year"]},
                    {"class": "tpo_ra", "windows": ["prior_year"]}]},
         "drug 'tpo_ra' is declared twice in window 'prior_year'"),
        ({"scores": ["charlson"]}, "scores need windows_for_scores"),
        ({"drugs": [{"class": "tpo_ra", "windows": ["prior_year"]}]},
         "window 'prior_year' reaches back to day -365, but the eras of class 'tpo_ra' start "
         "from records dated on or after index_date - 183 (treatments.lookback_days); use its "
         "dispensings codelist (codelist: tpo_ra)"),
        ({"windows": {"ever": [None, -1]}, "drugs": [{"class": "tpo_ra", "windows": ["ever"]}]},
         "reaches back to the start of observation"),
        ({"scores": ["elixhauser"], "windows_for_scores": ["prior_year"]}, "scores.0"),
        ({"strata": ["region"]}, "strata.0"),
        ({"age_bands": [18, 40]}, "age_bands are increasing lower bounds starting at 0"),
        ({"windows": {}}, "characteristics.windows"),
        ({"utilisation": ["gp_visits"]}, "utilisation.0"),
        ({"covariates": True}, "unknown key 'characteristics.covariates'"),
    ],
)  # fmt: skip
def test_refused_with_the_reason(block, fragment):
    with pytest.raises(DefinitionError) as caught:
        _load(**block)
    assert fragment in caught.value.render()


def test_strata_of_sections_the_definition_lacks():
    with pytest.raises(DefinitionError) as caught:
        load_definition(
            "itp_faith",
            {"treatments": None, "phase": None, "summaries": {"exposed_at_days": []},
             "outcomes": {}, "analyses.survival": None, "analyses.outcome_incidence": [],
             "analyses.outcome_survival": [],
             "characteristics": {**BASE, "strata": ["first_line"]}},
        )  # fmt: skip
    assert "characteristics.strata needs a treatments section" in caught.value.render()


def test_a_codelist_may_not_take_a_charlson_name(tmp_path):
    definition = tmp_path / "d.yaml"
    (tmp_path / "x.csv").write_text("code,label\nI50,heart failure\n")
    definition.write_text(
        "extends: itp_faith\n"
        "codelists:\n  charlson_dementia: {file: x.csv, match: prefix, domain: diagnoses}\n"
        "characteristics:\n  windows: {prior_year: [-365, -1]}\n  scores: [charlson]\n"
        "  windows_for_scores: [prior_year]\n"
    )
    with pytest.raises(DefinitionError) as caught:
        load_definition(definition)
    assert "is the name of a shipped Charlson component" in caught.value.render()


def test_charlson_adds_its_components_to_the_screened_codelists():
    loaded = _load(scores=["charlson"], windows_for_scores=["prior_year"])
    charlson = sorted(n for n in loaded.codelists if n.startswith("charlson_"))
    assert len(charlson) == 17
    assert loaded.codelists["charlson_dementia"].match == "prefix"
    assert "F03" in loaded.codelists["charlson_dementia"].codes
    # the manifest's hash covers them: a changed component file is a changed run
    assert loaded.resolved_sha256() != _load().resolved_sha256()


def test_cli_exit_code_2(tmp_path):
    result = run_cli(
        "build-cohort", "itp_faith", "--data", tmp_path, "--out", tmp_path / "o",
        "--set", "characteristics.windows.prior_year=[-1, -365]",
    )  # fmt: skip
    assert_user_error(result, "window 'prior_year' starts after it ends")
