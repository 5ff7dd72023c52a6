"""OpenAI request validation, directly (the HTTP path is in test_bad_input.py)."""

from __future__ import annotations

import pytest

from apilab.sandbox.errors import SandboxHTTPError
from apilab.sandbox.openai_request import message_text, parse_chat_request

BASE = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}


def _error(**changes):  # type: ignore[no-untyped-def]
    with pytest.raises(SandboxHTTPError) as info:
        parse_chat_request({**BASE, **changes})
    return info.value


def test_defaults_and_max_tokens_precedence() -> None:
    req = parse_chat_request(BASE)
    assert (req.n, req.max_tokens, req.stream, req.include_usage, req.tools) == (1, None,
                                                                                 False, False, [])
    both = parse_chat_request({**BASE, "max_tokens": 50, "max_completion_tokens": 20})
    assert both.max_tokens == 20 and both.used_legacy_max_tokens


def test_strict_schema_rules() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
              "required": ["a"], "additionalProperties": False}
    err = _error(response_format={"type": "json_schema", "json_schema": {
        "name": "x", "schema": schema, "strict": True}})
    assert "Missing 'b'" in err.message and err.code == "invalid_json_schema"
    nested = {"type": "object", "additionalProperties": False, "required": ["inner"],
              "properties": {"inner": {"type": "object", "properties": {}}}}
    err = _error(response_format={"type": "json_schema", "json_schema": {
        "name": "x", "schema": nested, "strict": True}})
    assert "'inner'" in err.message
    ok = parse_chat_request({**BASE, "response_format": {"type": "json_schema", "json_schema": {
        "name": "x", "schema": {**schema, "required": ["a", "b"]}, "strict": True}}})
    assert ok.json_schema is not None and ok.json_mode


def test_tool_choice_must_name_a_given_tool() -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    err = _error(tools=tools, tool_choice={"type": "function", "function": {"name": "g"}})
    assert err.param == "tool_choice"
    req = parse_chat_request({**BASE, "tools": tools, "tool_choice": "required"})
    assert req.tools[0]["name"] == "f" and req.tool_choice == "required"


def test_booleans_are_not_integers() -> None:
    assert _error(max_tokens=True).code == "invalid_type"
    assert _error(n=0).code == "integer_below_min_value"
    assert _error(seed=1.5).param == "seed"
    assert _error(stop=["a"] * 5).param == "stop"


def test_message_text() -> None:
    assert message_text("x") == "x"
    assert message_text([{"type": "text", "text": "a"}, {"type": "image_url"},
                         {"type": "text", "text": "b"}]) == "ab"
    assert message_text(None) == ""
