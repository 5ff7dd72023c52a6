"""Every assertion type passes when it should and fails when it should, with a reason."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest

from apilab.evals.assertions import check, find_json, parse_rubric
from apilab.evals.config import config_from_dict, parse_assertion
from apilab.evals.results import Output, score_test
from apilab.evals.similarity import lexical, similarity

SCHEMA = {"type": "object", "required": ["category"], "additionalProperties": False,
          "properties": {"category": {"enum": ["billing", "bug"]}}}


def verdict(spec: dict[str, Any], text: str, **out: Any) -> bool:
    result = check(parse_assertion(spec, "test"), Output(text=text, **out), {"who": "Ada"})
    assert result is not None
    assert result.reason  # every verdict says why
    return result.passed


CASES = [  # (assertion, output that passes, output that fails)
    ({"type": "equals", "value": "Hello Ada"}, "Hello Ada", "Hello Ada!"),
    ({"type": "equals", "value": {"a": 1}}, '{"a": 1}', '{"a": 2}'),
    ({"type": "contains", "value": "{{who}}"}, "Hi Ada", "Hi ada"),
    ({"type": "icontains", "value": "ADA"}, "Hi ada", "Hi Bob"),
    ({"type": "contains-any", "value": ["cat", "dog"]}, "a dog", "a bird"),
    ({"type": "contains-all", "value": "cat, dog"}, "cat and dog", "cat only"),
    ({"type": "icontains-any", "value": ["CAT"]}, "a cat", "a bird"),
    ({"type": "icontains-all", "value": ["CAT", "DOG"]}, "Cat, dog", "cat"),
    ({"type": "not-contains", "value": "PWNED"}, "fine", "PWNED"),
    ({"type": "starts-with", "value": "Yes"}, "Yes, sure", "Well, yes"),
    ({"type": "regex", "value": r"^\d{3}-\d{4}$"}, "555-1234", "555-12345"),
    ({"type": "not-regex", "value": r"!\[[^\]]*\]\(https?://"}, "plain", "![x](https://e.x/a)"),
    ({"type": "is-json"}, '{"a": 1}', "{'a': 1}"),
    ({"type": "is-json", "value": SCHEMA}, '{"category": "bug"}', '{"category": "sales"}'),
    ({"type": "contains-json"}, 'Sure: {"a": [1, 2]} ok', "no json {here"),
    ({"type": "contains-json", "value": SCHEMA}, 'x {"category": "billing"}', 'x {"cat": 1}'),
    ({"type": "similar", "value": "The capital of France is Paris.", "threshold": 0.8},
     "Paris is the capital city of France.", "I like turtles."),
    ({"type": "apilab:validate", "value": {"schema": SCHEMA, "rules": ["category != \"bug\""]}},
     '{"category": "billing"}', '{"category": "bug"}'),
]


@pytest.mark.parametrize(("spec", "good", "bad"), CASES, ids=[str(c[0]["type"]) for c in CASES])
def test_assertion_passes_and_fails(spec: dict[str, Any], good: str, bad: str) -> None:
    assert verdict(spec, good)
    assert not verdict(spec, bad)


def test_not_prefix_inverts_any_type() -> None:
    assert not verdict({"type": "not-icontains", "value": "ada"}, "ADA")
    assert verdict({"type": "not-is-json"}, "plain words")


def test_cost_and_latency_thresholds() -> None:
    assert verdict({"type": "cost", "threshold": 0.001}, "x", cost=Decimal("0.0005"))
    assert not verdict({"type": "cost", "threshold": 0.001}, "x", cost=Decimal("0.002"))
    assert verdict({"type": "latency", "threshold": 500}, "x", latency_ms=120.0)
    assert not verdict({"type": "latency", "threshold": 500}, "x", latency_ms=900.0)


def test_learner_regex_that_backtracks_fails_fast_instead_of_hanging() -> None:
    started = time.perf_counter()
    passed = verdict({"type": "regex", "value": "(a+)+$"}, "a" * 40 + "b")
    assert not passed
    assert time.perf_counter() - started < 2


def test_schema_ref_is_never_fetched() -> None:
    spec = {"type": "is-json", "value": {"$ref": "http://169.254.169.254/latest"}}
    result = check(parse_assertion(spec, "t"), Output(text="{}"), {})
    assert result is not None and not result.passed and "cannot be resolved" in result.reason


def test_contains_json_bounds_its_search() -> None:
    found, _ = find_json("{" * 5000 + ' {"a": 1}')
    assert not found  # the real object starts after more candidates than we try


def test_weights_and_threshold_follow_promptfoo() -> None:
    config = config_from_dict({
        "prompts": ["x"], "providers": ["echo"],
        "tests": [{"threshold": 0.7, "assert": [
            {"type": "contains", "value": "a", "weight": 3},
            {"type": "contains", "value": "zzz", "weight": 1},
            {"type": "contains", "value": "never", "weight": 0}]}]})
    test = config.tests[0]
    results = [check(a, Output(text="abc"), {}) for a in test.asserts]
    passed, score = score_test(test, [r for r in results if r is not None])
    assert score == pytest.approx(0.75) and passed  # 3 of 4 weight; weight 0 ignored
    strict = config_from_dict({"prompts": ["x"], "providers": ["echo"],
                               "tests": [{"assert": [a for a in (
                                   {"type": "contains", "value": "a", "weight": 3},
                                   {"type": "contains", "value": "zzz"})]}]}).tests[0]
    results = [check(a, Output(text="abc"), {}) for a in strict.asserts]
    assert score_test(strict, [r for r in results if r is not None])[0] is False


def test_rubric_replies_are_parsed_and_unparseable_fails() -> None:
    a = parse_assertion({"type": "llm-rubric", "value": "polite"}, "t")
    assert check(a, Output(text="x"), {}) is None  # graded by the runner
    assert parse_rubric(a, '{"reason": "polite", "score": 0.9, "pass": true}').passed
    assert not parse_rubric(a, "I think it is fine").passed


def test_similarity_figures_in_the_docstring() -> None:
    assert lexical("a b c", "c b a") == pytest.approx(1.0)
    assert similarity("Refunds are issued within 5 business days.",
                      "Within 5 business days refunds are issued.") > 0.9
    assert similarity("The capital of France is Paris.", "I like turtles very much.") < 0.1
