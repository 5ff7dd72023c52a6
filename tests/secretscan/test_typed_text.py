"""Typed text is redacted with looser shapes: a truncated or unknown-format key is never echoed."""

from __future__ import annotations

import secrets
import string

import pytest

from apilab.secretscan import redact_text

ALNUM = string.ascii_letters + string.digits


def _rand(n: int) -> str:
    # Guarantee the mix a real key has (upper, lower, digits) so the test cannot flake.
    return "Ab12" + "".join(secrets.choice(ALNUM) for _ in range(n - 4))


@pytest.mark.parametrize("prefix", ["sk-proj-", "sk-", "sk-ant-api03-", "AIza", "hf_", "gsk_",
                                    "xai-", "pplx-", "sk-or-v1-", "ghp_"])
@pytest.mark.parametrize("length", [20, 48, 120])
def test_off_format_keys_are_redacted(prefix: str, length: int) -> None:
    key = prefix + _rand(length)
    text, findings = redact_text(f"here is my key {key} - is it ok?")
    assert key not in text and key[-12:] not in text
    assert findings and text.startswith("here is my key ")


def test_a_bare_random_token_is_redacted() -> None:
    token = _rand(44)
    text, _ = redact_text(f"token={token}")
    assert token not in text


@pytest.mark.parametrize("text", [
    "what does finish_reason length mean",
    "the sk-proj- prefix marks a project key",
    "sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709 is a hash",
    "see https://platform.openai.com/account/api-keys and /v1/chat/completions",
    "x-ratelimit-remaining-tokens and retry-after-ms headers",
    "placeholder sk-... or YOUR_KEY_HERE",
    # "pass" the verb before an assignment (QA pass 17: told to revoke a key never pasted)
    'i pass response_mime_type="application/json" but grams comes back as a string',
    "we pass temperature=0.2 and still get different answers",
])
def test_ordinary_questions_are_left_alone(text: str) -> None:
    assert redact_text(text) == (text, [])


@pytest.mark.parametrize("text", [
    'var password string = "Xk9mQ2pLw7zR4v"',      # Go's typed declaration
    'const apiKey string = "Xk9mQ2pLw7zR4vT8"',
    'password = "Xk9mQ2pLw7zR4v"',
])
def test_a_declared_or_assigned_secret_is_still_redacted(text: str) -> None:
    redacted, findings = redact_text(text)
    assert findings and "Xk9mQ2pL" not in redacted
