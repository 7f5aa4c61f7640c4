"""The default synthetic dataset: what build-cohort reads when no --data is given."""

from __future__ import annotations

from pathlib import Path

from pharmacoepi.output import atomic_output_dir
from pharmacoepi.progress import Reporter
from pharmacoepi.resources import default_data_home

GROUND_TRUTH_MARKER = "ground_truth/summary.json"


def generate_dataset(config, out: Path, reporter: Reporter) -> dict:
    """Generate a synthetic dataset into `out`, atomically (no half-written dataset)."""
    from pharmacoepi.synth import generate

    with atomic_output_dir(out, "synth") as staging:
        summary = generate(
            config, staging, progress=lambda d, t: reporter.chunks(d, t, "synthetic persons")
        )
    return summary


def default_dataset(reporter: Reporter) -> Path:
    """Path of the default dataset, generated from the 'default' preset on first use."""
    from pharmacoepi.synth import load_preset

    path = default_data_home() / "default"
    if not (path / GROUND_TRUTH_MARKER).is_file():
        config = load_preset("default")
        reporter.info(
            f"no --data given and no default dataset yet: generating it once "
            f"({config.persons:,} synthetic persons, seed {config.seed}) in {path}"
        )
        generate_dataset(config, path, reporter)
    return path
