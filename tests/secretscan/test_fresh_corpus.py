"""The fresh corpus (fresh.py): provenance and a split by service that cannot leak.

No score floor here on purpose: a floor on the held-out half would invite tuning on it.
bench/scan.py --fresh prints the scores.
"""

from __future__ import annotations

import gzip
import json

from tests.secretscan.outside.corpus import FRESH, load_fresh
from tests.secretscan.outside.fresh import FRESH_SOURCES, held_out


def test_every_fresh_sample_keeps_its_upstream_path_commit_and_half() -> None:
    samples = load_fresh()
    assert len(samples) > 2000
    for s in samples:
        assert s.source in FRESH_SOURCES and s.upstream_path and len(s.commit) == 40, s.id
        assert s.half in ("dev", "held-out"), s.id


def test_each_service_lies_in_one_half_only() -> None:
    doc = json.loads(gzip.decompress(FRESH.read_bytes()))
    halves: dict[str, set[str]] = {}
    for s in doc["samples"]:
        halves.setdefault(s["group"], set()).add(s["half"])
        assert s["half"] == ("held-out" if held_out(s["group"]) else "dev")
    assert all(len(h) == 1 for h in halves.values())
    assert 0.3 < sum(h == {"held-out"} for h in halves.values()) / len(halves) < 0.7


def test_no_fresh_sample_repeats_a_committed_one() -> None:
    from tests.secretscan.outside.corpus import labelled_text, load_samples
    committed = {labelled_text(s).strip() for s in load_samples(committed=True, extra=None)}
    assert not [s.id for s in load_fresh() if labelled_text(s).strip() in committed]
