"""The outside corpus (other scanners' own samples, issue 16): bars on the samples in the repo.

The full corpus (with trufflehog's samples from a local cache) is scored by bench/scan.py
against detect-secrets and gitleaks; these tests keep the committed part from regressing.
"""

from __future__ import annotations

import pytest

from apilab.secretscan import find_secrets
from tests.secretscan.outside.corpus import OutsideSample, load_samples, score


@pytest.fixture(scope="module")
def samples() -> list[OutsideSample]:
    found = load_samples(committed=True, extra=None)
    assert len(found) > 2000
    return found


@pytest.fixture(scope="module")
def found(samples: list[OutsideSample]):  # type: ignore[no-untyped-def]
    cache: dict[str, set[int]] = {}

    def lines(s: OutsideSample) -> set[int]:
        if s.file_key not in cache:
            cache[s.file_key] = {f.line for f in find_secrets(s.text, s.filename)}
        return cache[s.file_key]
    return lines


def test_every_sample_keeps_its_upstream_path_and_commit(samples: list[OutsideSample]) -> None:
    assert {s.source for s in samples} == {"gitleaks", "detect-secrets", "credsweeper"}
    for s in samples:
        assert s.upstream_path and len(s.commit) == 40, s.id


def test_debatable_labels_are_few_and_explained(samples: list[OutsideSample]) -> None:
    debatable = [s for s in samples if s.debatable]
    assert len(debatable) < 0.1 * len(samples)
    assert all(len(s.debatable) > 20 for s in debatable)


def test_ai_provider_keys(samples: list[OutsideSample], found) -> None:  # type: ignore[no-untyped-def]
    tally, missed, false_hits = score([s for s in samples if s.ai], found)
    assert tally.f1 >= 0.98, ([m.id for m in missed], [f.id for f in false_hits])


def test_all_secrets(samples: list[OutsideSample], found) -> None:  # type: ignore[no-untyped-def]
    tally, _missed, _false = score(samples, found)
    assert tally.f1 >= 0.90
    assert tally.precision >= 0.9


def test_debatable_patterns_never_mark_a_random_key() -> None:
    """The placeholder patterns (letters or digits in sequence, x's, EXAMPLE) leave a
    sample out of scoring; a random key body must essentially never match one."""
    import random
    import string

    from tests.secretscan.outside.corpus import _debatable_rules

    _by_id, patterns = _debatable_rules()
    rng = random.Random(16)
    alphabet = string.ascii_letters + string.digits
    bodies = ["".join(rng.choice(alphabet) for _ in range(48)) for _ in range(20_000)]
    marked = [b for b in bodies for positive, pattern, _note in patterns
              if positive and pattern.search(b)]
    assert marked == []
    assert any(p.search("key = abcdefg1234567") for positive, p, _n in patterns if positive)
