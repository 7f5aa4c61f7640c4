"""Golden outputs: what both shipped definitions write on the default dataset, recorded as
digests, so a refactor that must not change behaviour can prove it did not.

Each parquet output is recorded by its content (schema, then every value in file order,
floats to the bit): this holds across library versions that write different parquet
metadata. The file's bytes are recorded too, and compared when the library versions are
the ones the record was made with. manifest.json is compared whole, except what differs
between two identical runs (times, the command line, temporary paths, library versions).

Regenerate after an intended change of outputs, and say why in the commit:

    .venv/bin/python -m tests.golden
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
from pathlib import Path

import duckdb
import polars as pl
import pyarrow
import pyarrow.parquet as pq

RECORD = Path(__file__).resolve().parent / "golden" / "default_dataset.json"
DEFINITIONS = ("itp_faith", "ms_dmt")


def versions() -> dict[str, str]:
    return {"duckdb": duckdb.__version__, "polars": pl.__version__, "pyarrow": pyarrow.__version__}


def _value(value: object) -> str:
    # floats by their bits: a last-digit change is a change
    if isinstance(value, float):
        return "f" + struct.pack(">d", value).hex()
    return repr(value)


def content_digest(path: Path) -> dict[str, object]:
    """Rows, schema and a digest of every value in file order."""
    table = pq.read_table(path)
    digest = hashlib.sha256(str(table.schema.remove_metadata()).encode())
    for column in table.columns:
        for value in column.to_pylist():
            digest.update(_value(value).encode())
            digest.update(b"\x00")
    return {
        "rows": table.num_rows,
        "schema": [f"{f.name}: {f.type}" for f in table.schema],
        "content_sha256": digest.hexdigest(),
        "file_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }


def normalised_manifest(path: Path, data_dir: Path) -> dict:
    """The manifest without what two identical runs do not share."""
    manifest = json.loads(path.read_text())
    # the data fingerprint hashes the files' modification times: each machine's own
    for key in ("started_at", "seconds", "command", "versions", "data_fingerprint"):
        manifest.pop(key, None)
    manifest["definition"].pop("path", None)
    for codelist in manifest["codelists"].values():
        codelist["path"] = Path(codelist["path"]).name
    for entry in manifest["inputs"].values():
        entry["files"] = [str(Path(f).relative_to(data_dir)) for f in entry["files"]]
    for stage in manifest["stages"]:
        stage.pop("seconds", None)
    return manifest


def snapshot(out: Path, data_dir: Path) -> dict:
    files = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    return {
        "files": files,
        "parquet": {f: content_digest(out / f) for f in files if f.endswith(".parquet")},
        "manifest": normalised_manifest(out / "manifest.json", data_dir),
    }


def build_all(data_dir: Path, out_root: Path) -> dict[str, dict]:
    from tests.cli import run_cli

    snapshots = {}
    for name in DEFINITIONS:
        out = out_root / name
        result = run_cli("build-cohort", name, "--data", data_dir, "--out", out, "--quiet")
        if result.returncode != 0:
            raise RuntimeError(f"build-cohort {name} failed:\n{result.stderr[-3000:]}")
        snapshots[name] = snapshot(out, data_dir)
    return snapshots


def main() -> None:
    import tempfile

    from pharmacoepi.datasets import default_dataset
    from pharmacoepi.progress import Reporter

    data_dir = default_dataset(Reporter.for_stderr())
    with tempfile.TemporaryDirectory() as tmp:
        record = {"versions": versions(), "definitions": build_all(data_dir, Path(tmp))}
    RECORD.parent.mkdir(exist_ok=True)
    RECORD.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    print(f"wrote {RECORD}", file=sys.stderr)


if __name__ == "__main__":
    main()
