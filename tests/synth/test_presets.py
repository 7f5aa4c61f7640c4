"""`synth --preset NAME|PATH` and `--model PATH`: own presets and models, and the errors of
bad ones (exit 2, the reason, no traceback)."""

from __future__ import annotations

import polars as pl
import yaml

from pharmacoepi.synth.config import presets_dir
from tests.cli import assert_user_error, run_cli


def test_a_model_copy_with_a_drug_class_added_emits_it(tmp_path):
    model = yaml.safe_load((presets_dir() / "france_model.yaml").read_text())
    model["background"]["community_atc"].append(["B01AF02", 5.0, 2])  # apixaban
    path = tmp_path / "my_model.yaml"
    path.write_text(yaml.safe_dump(model))
    preset = tmp_path / "tiny.yaml"
    preset.write_text("persons: 300\nstart: 2010-01-01\nend: 2011-12-31\nseed: 7\n")
    out = tmp_path / "data"
    result = run_cli("synth", "--preset", preset, "--model", path, "--out", out)
    assert result.returncode == 0, result.stderr
    assert f"preset {preset}: 300 persons, 2010-01-01..2011-12-31, seed 7" in result.stderr
    dispensings = pl.read_parquet(out / "dispensings" / "**" / "*.parquet")
    assert dispensings.filter(pl.col("atc") == "B01AF02").height > 0
    assert pl.read_parquet(out / "persons.parquet").height == 300


def test_bad_presets_and_models_exit_2_with_the_reason(tmp_path):
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("persons: 10\nstart: 2010-01-01\nend: 2011-01-01\nseed: 1\nsize: 3\n")
    bad_model = tmp_path / "model.yaml"
    bad_model.write_text("model_version: 4\n")
    cases = [
        (["--preset", "nope"], ["unknown preset 'nope'", "default, national_1m"]),
        (["--preset", "france_model"], ["is a model", "--model"]),
        (["--preset", str(tmp_path / "missing.yaml")], ["no such file"]),
        (["--preset", str(unknown)], ["unknown fields size"]),
        (["--model", str(bad_model), "--persons", "10"], ["cannot be read", "'population'"]),
    ]
    for args, fragments in cases:
        result = run_cli("synth", *args, "--out", tmp_path / "out")
        assert_user_error(result, *fragments)
    assert not (tmp_path / "out").exists()
