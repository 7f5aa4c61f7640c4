"""`pip install .` (not editable) into a fresh venv gives a working command, with the SQL
stages, cohort definitions and synthetic presets shipped inside the wheel."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import polars as pl

from tests.claims import Claims

REPO = Path(__file__).resolve().parents[1]


def test_pip_install_gives_a_working_command(tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    install = subprocess.run(
        [bin_dir / "python", "-m", "pip", "install", "--quiet", str(REPO)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    work = tmp_path / "elsewhere"  # run away from the checkout: resources must come from the wheel
    work.mkdir()
    data = (
        Claims()
        .person(1)
        .diagnosis(1, "2010-03-01")
        .dispensing(1, "2010-02-01")
        .write(work / "data")
    )

    def run(*args):
        return subprocess.run(
            [bin_dir / "pharmacoepi", *map(str, args)],
            capture_output=True,
            text=True,
            cwd=work,
            timeout=600,
        )

    assert run("--version").stdout.startswith("pharmacoepi ")
    built = run("build-cohort", "itp_faith", "--data", data, "--out", "out", "--quiet")
    assert built.returncode == 0, built.stderr
    cohort = pl.read_parquet(work / "out" / "cohort.parquet")
    assert cohort["index_date"].cast(pl.String).to_list() == ["2010-02-01"]
    synth = run("synth", "--preset", "default", "--persons", "2000", "--out", "synth")
    assert synth.returncode == 0, synth.stderr
    assert (work / "synth" / "ground_truth" / "summary.json").is_file()
    location = subprocess.run(
        [bin_dir / "python", "-c", "import pharmacoepi, sys; print(pharmacoepi.__file__)"],
        capture_output=True,
        text=True,
        cwd=work,
    )
    assert str(env_dir) in location.stdout  # the installed copy, not the checkout
    assert sys.prefix != str(env_dir)
