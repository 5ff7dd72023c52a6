"""Baseline files: accepted findings by fingerprint, never by secret."""

from __future__ import annotations

import json
import random

import pytest

from apilab.errors import InvalidInputError
from apilab.secretscan import find_secrets
from apilab.secretscan.baseline import apply_baseline, load_baseline, write_baseline
from tests.secretscan.keys import make_key


def test_round_trip_suppresses_exactly_the_accepted_findings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(1)
    accepted_key, new_key = make_key("xai-api-key", rng), make_key("xai-api-key", rng)
    old = find_secrets(f'A = "{accepted_key}"\n', "a.py")
    path = tmp_path / "baseline.json"
    assert write_baseline(path, old + old) == 1  # duplicates collapse
    text = path.read_text()
    assert accepted_key not in text
    assert json.loads(text)["findings"][0]["redacted"].startswith("xai-…")
    # The accepted secret moved down a few lines; a new one appeared.
    now = find_secrets(f'\n\nA = "{accepted_key}"\nB = "{new_key}"\n', "a.py")
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
