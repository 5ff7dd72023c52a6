"""The output-validation pipeline: each step catches what the lesson says it catches."""

from __future__ import annotations

import json

import pytest

from apilab.evals import load_examples, validate_output

DATA = load_examples()
BY_ID = {ex["id"]: ex for ex in DATA["examples"]}


def run(example_id: str):  # type: ignore[no-untyped-def]
    return validate_output(BY_ID[example_id]["output"], DATA["schema"], DATA["rules"])


def test_valid_output_may_be_acted_on() -> None:
    result = run("valid")
    assert result.act and result.value["total"] == 9.0
    assert [s.name for s in result.steps] == ["bounds", "parse", "schema", "business rules"]


def test_truncated_output_stops_at_parse_and_blames_max_tokens() -> None:
    result = run("truncated")
    assert not result.act and result.steps[-1].name == "parse"
    assert "max_tokens" in result.steps[-1].detail


def test_wrong_shape_fails_schema_and_skips_rules() -> None:
    result = run("wrong-type")
    schema = next(s for s in result.steps if s.name == "schema")
    assert not schema.ok
    assert any("qty" in e and "integer" in e for e in schema.errors)
    assert any("total" in e for e in schema.errors)
    assert result.steps[-1].skipped and not result.act


def test_business_rules_catch_what_the_schema_allows() -> None:
    result = run("business-rule")
    rules = result.steps[-1]
    assert next(s for s in result.steps if s.name == "schema").ok
    assert not rules.ok and not result.act
    joined = " ".join(rules.errors)
    assert "$.items[0].price = -4.5" in joined and "BTC" in joined


def test_injected_strings_are_flagged_not_trusted() -> None:
    result = run("injected")
    assert result.act  # the structure is fine ...
    text = " ".join(result.warnings)
    assert "prompt injection" in text and "XSS" in text  # ... but the strings are data


def test_fenced_json_is_unwrapped_with_a_warning() -> None:
    result = run("fenced")
    assert result.act and "code fence" in result.warnings[0]


def test_runaway_output_is_refused_before_parsing() -> None:
    result = validate_output("[" + "1," * 20_000 + "1]")
    assert not result.act and result.steps[0].name == "bounds"


@pytest.mark.parametrize("rule", ["total > > 0", "__import__('os') == 1", "total ~= 3"])
def test_unreadable_rules_are_errors_never_code(rule: str) -> None:
    result = validate_output(json.dumps({"total": 1}), None, [rule])
    assert not result.act
    assert "cannot read" in result.steps[-1].errors[0]


def test_invalid_schema_is_reported_as_such() -> None:
    result = validate_output("{}", {"type": "no-such-type"}, [])
    assert not result.act and "schema itself is invalid" in result.steps[-1].detail
