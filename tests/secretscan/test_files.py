"""Folder scans outside git: skipping, env files, reporting."""

from __future__ import annotations

import random

import pytest

from apilab.errors import InvalidInputError
from apilab.secretscan.files import scan_paths
from tests.secretscan.keys import make_key


def test_folder_scan_finds_keys_and_skips_binaries_and_caches(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(3)
    key = make_key("perplexity-api-key", rng)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(f'PPLX = "{key}"\n')
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\0" + key.encode())
    (tmp_path / "blob.dat").write_bytes(b"\0\0" + key.encode())
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "x.js").write_text(f'k="{key}"')
    report = scan_paths([tmp_path])
    assert [(f.path.rsplit("/", 2)[-2:], f.line) for f in report.findings] == [
        (["src", "app.py"], 1)
    ]
    assert report.files == 1 and report.skipped == 2
    assert report.to_dict()["summary"]["findings"] == 1


def test_loose_env_file_and_gitignore_outside_git(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".env").write_text("DEBUG=1\n")
    (tmp_path / ".gitignore").write_text("dist/\n")
    rules = sorted(f.rule for f in scan_paths([tmp_path]).findings)
    assert rules == ["env-file-not-ignored", "gitignore-missing-env"]


def test_single_file_and_missing_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "one.env"
    f.write_text(f"GROQ_API_KEY={make_key('groq-api-key', random.Random(4))}\n")
    assert [x.rule for x in scan_paths([f]).findings] == ["groq-api-key"]
    with pytest.raises(InvalidInputError, match="No such file or folder"):
        scan_paths([tmp_path / "nope"])
