"""Baseline files: accepted findings by fingerprint, never by secret."""

from __future__ import annotations

import json
import random

import pytest

from apilab.errors import InvalidInputError
from apilab.secretscan import find_secrets
from apilab.secretscan.baseline import (
    apply_baseline,
    baseline_key,
    load_baseline,
    new_key,
    write_baseline,
)
from apilab.secretscan.scanner import LEGACY_KEY, fingerprint_key
from tests.secretscan.keys import make_key


def test_round_trip_suppresses_exactly_the_accepted_findings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(1)
    accepted, fresh = make_key("xai-api-key", rng), make_key("xai-api-key", rng)
    key = new_key()
    with fingerprint_key(key):
        old = find_secrets(f'A = "{accepted}"\n', "a.py")
    path = tmp_path / "baseline.json"
    assert write_baseline(path, old + old, key) == 1  # duplicates collapse
    text = path.read_text()
    assert accepted not in text
    assert json.loads(text)["findings"][0]["redacted"].startswith("xai-…")
    assert baseline_key(path) == key  # a teammate or CI scans under the same key
    # The accepted secret moved down a few lines; a new one appeared.
    with fingerprint_key(baseline_key(path) or b""):
        now = find_secrets(f'\n\nA = "{accepted}"\nB = "{fresh}"\n', "a.py")
    kept, suppressed = apply_baseline(now, load_baseline(path))
    assert suppressed == 1
    assert [f.line for f in kept] == [4]


def test_bad_baseline_files_give_clear_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInputError, match="does not exist"):
        load_baseline(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InvalidInputError, match="not readable JSON"):
        load_baseline(bad)
    bad.write_text('{"results": []}')
    with pytest.raises(InvalidInputError, match="no 'findings' list"):
        load_baseline(bad)


def test_fingerprints_are_keyed_and_version_1_files_still_match(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    text = 'password = "hunter2hunter2"\n'
    with fingerprint_key(b"k1" * 16):
        (one,) = find_secrets(text, "a.py")
    with fingerprint_key(b"k2" * 16):
        (two,) = find_secrets(text, "a.py")
    assert one.fingerprint != two.fingerprint  # a key is needed to test a guess
    unkeyed = hashlib.sha256(f"{one.rule}\0a.py\0hunter2hunter2".encode()).hexdigest()[:16]
    assert unkeyed not in (one.fingerprint, two.fingerprint)
    old = tmp_path / "v1.json"
    old.write_text(json.dumps({"version": 1, "findings": [{"fingerprint": unkeyed}]}))
    assert baseline_key(old) == LEGACY_KEY
    with fingerprint_key(LEGACY_KEY):
        (legacy,) = find_secrets(text, "a.py")
    assert apply_baseline([legacy], load_baseline(old)) == ([], 1)
