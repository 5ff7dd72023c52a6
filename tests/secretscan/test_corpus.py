"""The labelled corpus bars: 100% recall on every AI-provider format, precision >= 0.97."""

from __future__ import annotations

import pytest

from apilab.secretscan import find_secrets
from tests.secretscan.corpus import ai_rules, build_corpus, formats, score


@pytest.fixture(scope="module")
def results():  # type: ignore[no-untyped-def]
    files = build_corpus(seed=606)
    found = {f.name: find_secrets(f.text, f.name) for f in files}
    return files, found


def test_recall_is_total_on_every_ai_provider_format(results) -> None:  # type: ignore[no-untyped-def]
    files, found = results
    s = score(files, [(name, f.line) for name, fs in found.items() for f in fs])
    for rule in ai_rules():
        assert s.recall_by_rule[rule] == 1.0, (rule, [m for m in s.missed if rule in m[0]])


def test_precision_on_the_whole_corpus(results) -> None:  # type: ignore[no-untyped-def]
    files, found = results
    s = score(files, [(name, f.line) for name, fs in found.items() for f in fs])
    assert s.precision >= 0.97, s.false_hits[:10]
    assert s.recall >= 0.97, s.missed[:10]


def test_every_positive_is_labelled_with_its_rule(results) -> None:  # type: ignore[no-untyped-def]
    files, found = results
    for f in files:
        for line, rule in f.labels.items():
            rules_on_line = {x.rule for x in found[f.name] if x.line == line}
            assert rule in rules_on_line, (f.name, rule, rules_on_line)


def test_false_positive_vectors_stay_quiet(results) -> None:  # type: ignore[no-untyped-def]
    files, found = results
    noisy = {f.kind for f in files if f.kind != "positive" and found[f.name]}
    assert noisy == set()


def test_corpus_covers_every_format_and_context() -> None:
    files = build_corpus(seed=1, per_format=18)
    rules = {r for f in files for r in f.labels.values()}
    assert {f.rule for f in formats()} <= rules
    exts = {f.name.rsplit("/", 1)[1].split(".", 1)[1] for f in files if f.labels}
    assert {"py", "js", "min.js", "yaml", "json", "env", "sh", "md", "ipynb", "html"} <= exts
    kinds = {f.kind for f in files}
    for vector in ("uuids", "git-hashes", "lockfile-integrity", "base64-image",
                   "truncated-openai", "overlong-openai", "aws-documented-example"):
        assert vector in kinds
