"""The default synthetic dataset: what build-cohort reads when no --data is given."""

from __future__ import annotations

import json
from pathlib import Path

from pharmacoepi.outputs.write import MARKER, atomic_output_dir
from pharmacoepi.progress import Reporter
from pharmacoepi.resources import default_data_home

GROUND_TRUTH_MARKER = "ground_truth/summary.json"


def generate_dataset(config, out: Path, reporter: Reporter) -> dict:
    """Generate a synthetic dataset into `out`, atomically (no half-written dataset)."""
    from pharmacoepi.synth import generate
    from pharmacoepi.synth.census import write_census

    with atomic_output_dir(out, "synth") as staging:
        summary = generate(
            config, staging, progress=lambda d, t: reporter.chunks(d, t, "synthetic persons")
        )
        # the census a whole-population database would be compared with (external denominator)
        write_census(staging, config.start, config.end, staging / "ground_truth" / "population.csv")
    return summary


def _made_by(path: Path) -> tuple[str, dict] | None:
    """(generator version, preset config) recorded with a dataset, if it is complete."""
    try:
        summary = json.loads((path / GROUND_TRUTH_MARKER).read_text())
        made_by = summary["generator_version"], summary["config"]
    except (OSError, ValueError, KeyError):
        return None
    if summary.get("generator") == "pharmacoepi.synth" and not (path / MARKER).exists():
        # written before output folders carried a marker: it is ours, so it may be replaced
        (path / MARKER).write_text("synth\n")
    return made_by


def default_dataset(reporter: Reporter) -> Path:
    """Path of the default dataset, generated from the 'default' preset on first use, and
    again when it was made by another generator version or preset (an old cached dataset
    would lack what newer definitions read, such as the multiple sclerosis claims)."""
    from pharmacoepi.synth import GENERATOR_VERSION, load_preset

    path = default_data_home() / "default"
    config = load_preset("default")
    wanted = (GENERATOR_VERSION, json.loads(json.dumps(config.to_dict(), default=str)))
    found = _made_by(path)
    if found != wanted:
        why = "no default dataset yet" if found is None else "the cached one is outdated"
        reporter.info(
            f"no --data given and {why}: generating the default dataset "
            f"({config.persons:,} synthetic persons, seed {config.seed}) in {path}"
        )
        generate_dataset(config, path, reporter)
    return path
