"""docs/tutorial.md cannot rot: every file it shows is written, every command and Python
block it shows is run, in order, in an empty folder, and every output it shows is found
in what the command printed (whitespace aside: terminals wrap lines)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "tutorial.md"
_BLOCK = re.compile(
    r"(?:<!-- file: (?P<file>[^ ]+) -->\n)?```(?P<lang>\w+)\n(?P<body>.*?)```", re.S
)


def blocks() -> list[tuple[str, str | None, str]]:
    return [(m["lang"], m["file"], m["body"]) for m in _BLOCK.finditer(DOC.read_text())]


def _flat(text: str) -> str:
    return " ".join(text.split())


def _run(argv: list[str], cwd: Path) -> str:
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, (argv, done.stdout, done.stderr)
    return done.stdout + done.stderr


def test_the_tutorial_runs_as_written(tmp_path):
    shown = blocks()
    assert [lang for lang, _, _ in shown].count("sh") >= 4
    printed = ""
    for lang, file, body in shown:
        if file is not None:  # a file the reader writes
            (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / file).write_text(body)
        elif lang == "sh":
            printed = ""
            for line in filter(None, (raw.strip() for raw in body.splitlines())):
                argv = shlex.split(line)
                assert argv[0] == "pharmacoepi", line
                printed += _run([sys.executable, "-m", "pharmacoepi", *argv[1:]], tmp_path)
        elif lang == "python":
            printed = _run([sys.executable, "-c", body], tmp_path)
        elif lang == "text":  # what the block before printed
            for line in filter(None, (raw.strip() for raw in body.splitlines())):
                assert _flat(line) in _flat(printed), (line, printed)
        else:
            assert lang == "r", lang  # shown for R users, not run here
    assert (tmp_path / "out" / "report.html").is_file()
