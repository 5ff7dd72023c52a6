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
