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


def test_a_large_folder_scanned_by_several_processes_gives_the_same_report(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Many files are shared out between worker processes; the findings, their order,
    their fingerprints (under the caller's key) and the counts match a one-process scan."""
    from apilab.secretscan.files import PARALLEL_MIN_FILES
    from apilab.secretscan.scanner import fingerprint_key

    rng = random.Random(11)
    for i in range(PARALLEL_MIN_FILES + 50):
        folder = tmp_path / f"pkg{i % 7}"
        folder.mkdir(exist_ok=True)
        body = f"def f{i}():\n    return {i}\n"
        if i % 97 == 0:
            body += f'GROQ_API_KEY = "{make_key("groq-api-key", rng)}"\n'
        (folder / f"m{i:04d}.py").write_text(body)
    (tmp_path / "pkg0" / "blob.bin").write_bytes(b"\0" * 10)
    with fingerprint_key(b"k" * 32):
        one = scan_paths([tmp_path], jobs=1).to_dict()
        several = scan_paths([tmp_path], jobs=3).to_dict()
    assert one["summary"]["findings"] >= 5 and one["summary"]["files_skipped"] == 1
    assert several == one


def test_a_limited_scan_stays_in_one_process(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The web panel's scans are capped and cancellable from another thread: they never
    fan out, whatever ``jobs`` says."""
    from apilab.secretscan import files

    for i in range(files.PARALLEL_MIN_FILES + 1):
        (tmp_path / f"m{i}.txt").write_text("hello\n")

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("a limited scan started worker processes")

    monkeypatch.setattr(files, "_scan_batch", refuse)
    monkeypatch.setattr("concurrent.futures.ProcessPoolExecutor", refuse)
    report = files.scan_paths([tmp_path], jobs=4, limits=files.ScanLimits(max_files=10_000))
    assert report.files == files.PARALLEL_MIN_FILES + 1 and report.stopped is None
