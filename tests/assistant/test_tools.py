"""The tool registry: every tool's schema, figures and Markdown output."""

from __future__ import annotations

import json

import jsonschema
import pytest

from apilab.assistant.tools import TOOLS, backoff_rows, json_check
from tests.assistant._helpers import fake_openai_key


def _fake_openai_key() -> str:
    # Built at run time so no key-shaped literal is committed.
    return fake_openai_key()


def test_registry_has_the_contracted_tools_with_valid_schemas() -> None:
    assert set(TOOLS) == {"estimate_cost", "count_tokens", "backoff_schedule", "scan_for_keys",
                          "check_json", "explain_http_response"}
    for tool in TOOLS.values():
        jsonschema.Draft202012Validator.check_schema(tool.parameters)
        assert tool.description
        assert tool.to_openai()["function"]["name"] == tool.name
        assert tool.to_anthropic()["input_schema"] == tool.parameters


def test_bad_arguments_come_back_as_markdown_not_exceptions() -> None:
    out = TOOLS["backoff_schedule"].run(attempts=0)
    assert "could not run" in out and "attempts" in out
    out = TOOLS["estimate_cost"].run(model="no-such-model-xyz", input_tokens=10)
    assert "could not run" in out and "Unknown model" in out


def test_estimate_cost_gpt_4o_mini_sample() -> None:
    out = TOOLS["estimate_cost"].run(model="gpt-4o-mini", input_tokens=2_000_000,
                                     output_tokens=500_000)
    assert "$0.60 = $0.30 + $0.30" in out
    assert "$0.15" in out and "$0.60" in out  # the per-million rates, from apilab.pricing


def test_estimate_cost_multiplies_requests() -> None:
    out = TOOLS["estimate_cost"].run(model="gpt-4o-mini", input_tokens=1000,
                                     output_tokens=1000, requests=1000)
    # 1M input x $0.15 + 1M output x $0.60
    assert "**$0.75**" in out and "1,000 requests" in out


def test_count_tokens_is_exact_for_openai_models() -> None:
    out = TOOLS["count_tokens"].run(text="Hello, world!", model="gpt-4o")
    assert "**4 tokens**" in out and "exact" in out


def test_backoff_schedule_sample_doubles_and_caps() -> None:
    rows = backoff_rows(5, 1.0, 30.0)
    assert [r.wait for r in rows] == [1, 2, 4, 8, 16]
    assert not any(r.capped for r in rows)
    assert rows[-1].worst_total == 31
    capped = backoff_rows(7, 1.0, 30.0)
    assert [r.wait for r in capped][-2:] == [30, 30] and capped[-1].capped
    out = TOOLS["backoff_schedule"].run(attempts=5, base=1, cap=30)
    assert "| 1 | 1 s |" in out and "| 5 | 16 s |" in out
    assert "thundering herd" in out and "Retry-After" in out


def test_backoff_equal_and_no_jitter() -> None:
    equal = backoff_rows(3, 2.0, 60.0, jitter="equal")
    assert [(r.low, r.high) for r in equal] == [(1, 2), (2, 4), (4, 8)]
    none = TOOLS["backoff_schedule"].run(attempts=2, base=1, cap=5, jitter="none")
    assert "random" not in none


def test_scan_for_keys_never_echoes_the_key() -> None:
    key = _fake_openai_key()
    out = TOOLS["scan_for_keys"].run(text=f"OPENAI_API_KEY={key}\n")
    assert key not in out
    assert key[-4:] in out  # the redacted form keeps the last four characters
    assert "revoke it first" in out.lower()
    assert "No keys found" in TOOLS["scan_for_keys"].run(text="print('hello')")


def test_check_json_parse_errors_have_position_and_hint() -> None:
    out = TOOLS["check_json"].run(text='{"a": 1,}')
    assert "Not valid JSON" in out and "line 1" in out and "trailing comma" in out
    assert "single quotes" in TOOLS["check_json"].run(text="{'a': 1}")
    assert "Valid JSON" in TOOLS["check_json"].run(text="```json\n[1, 2]\n```")


def test_check_json_validates_against_a_schema() -> None:
    schema = json.dumps({"type": "object", "required": ["name", "age"],
                         "properties": {"name": {"type": "string"},
                                        "age": {"type": "integer", "minimum": 0}}})
    ok = TOOLS["check_json"].run(text='{"name": "Ada", "age": 36}', schema=schema)
    assert "matches the schema" in ok
    bad = json_check('{"name": 7, "age": -1}', schema)
    assert bad.validated and len(bad.errors) == 2
    assert any(e.startswith("$.age") for e in bad.errors)
    out = TOOLS["check_json"].run(text='{"name": 7}', schema=schema)
    assert "does not match" in out and "'age' is a required property" in out
    broken = TOOLS["check_json"].run(text="{}", schema='{"type": "nonsense"}')
    assert "schema itself is invalid" in broken


def test_explain_http_response_openai_rate_limit() -> None:
    pasted = ("HTTP/1.1 429 Too Many Requests\nretry-after: 20\n"
              "x-ratelimit-remaining-requests: 0\nx-request-id: req_123\n\n"
              '{"error": {"message": "Rate limit reached for requests", "type": "requests", '
              '"code": "rate_limit_exceeded"}}')
    out = TOOLS["explain_http_response"].run(text=pasted)
    assert "429" in out and "OpenAI" in out and "rate_limit_exceeded" in out
    assert "20 s" in out and "req_123" in out and "RPM" in out


def test_explain_http_response_quota_is_never_retried() -> None:
    body = ("Error code: 429 - {'error': {'message': 'You exceeded your current quota', "
            "'type': 'insufficient_quota', 'code': 'insufficient_quota'}}")
    out = TOOLS["explain_http_response"].run(text=body)
    assert "insufficient_quota" in out and "**Retry?** no" in out


@pytest.mark.parametrize(
    ("body", "provider", "kind"),
    [
        ('{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}',
         "Anthropic", "overloaded_error"),
        ('{"error": {"code": 429, "message": "Resource has been exhausted", '
         '"status": "RESOURCE_EXHAUSTED"}}', "Gemini", "RESOURCE_EXHAUSTED"),
    ],
)
def test_explain_http_response_other_providers(body: str, provider: str, kind: str) -> None:
    out = TOOLS["explain_http_response"].run(text=body)
    assert provider in out and kind in out and "**Retry?** yes" in out


def test_explain_http_response_without_a_status() -> None:
    assert "could not find" in TOOLS["explain_http_response"].run(text="hello there")


def test_a_pasted_openai_spend_limit_429_is_billing_not_pace() -> None:
    from apilab.assistant.httpinfo import explain

    text = ('Error code: 429 - {"error": {"message": "You have reached your project\'s hard '
            'spend limit.", "type": "insufficient_quota", "param": null, '
            '"code": "project_spend_limit_exceeded"}}')
    explained = explain(text)
    assert explained is not None
    assert "project_spend_limit_exceeded" in explained
    assert "Project settings > Limits" in explained and "retrying cannot help" in explained
