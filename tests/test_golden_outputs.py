"""Both shipped definitions on the default dataset write what the golden record says
(tests/golden.py): the same files, the same values to the bit, the same manifest. A change
of outputs is either a bug or an intended change, recorded anew with its reason."""

from __future__ import annotations

import json

import pytest

from tests.golden import RECORD, build_all, versions


@pytest.fixture(scope="module")
def built(default_data, tmp_path_factory):
    return build_all(default_data, tmp_path_factory.mktemp("golden"))


@pytest.fixture(scope="module")
def record():
    return json.loads(RECORD.read_text())


@pytest.mark.parametrize("definition", ["itp_faith", "ms_dmt"])
def test_outputs_match_the_golden_record(built, record, definition):
    got, want = built[definition], record["definitions"][definition]
    assert got["files"] == want["files"]
    same_libraries = record["versions"] == versions()
    for file, expected in want["parquet"].items():
        actual = got["parquet"][file]
        assert actual["schema"] == expected["schema"], file
        assert actual["rows"] == expected["rows"], file
        assert actual["content_sha256"] == expected["content_sha256"], f"{file}: values differ"
        if same_libraries:  # other versions write other parquet metadata, same values
            assert actual["file_sha256"] == expected["file_sha256"], f"{file}: bytes differ"
    for key in want["manifest"]:
        assert got["manifest"][key] == want["manifest"][key], f"manifest.json: {key}"
    assert got["manifest"].keys() == want["manifest"].keys()
