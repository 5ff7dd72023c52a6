"""find_secrets / redact_text: the contract other packages rely on (keys generated at run time)."""

from __future__ import annotations

import dataclasses
import json
import random

import pytest

from apilab.secretscan import Finding, find_secrets, redact, redact_text
from apilab.secretscan.rules import RULES_BY_ID
from apilab.secretscan.scanner import entropy
from tests.secretscan.keys import AI_FORMATS, FORMATS, make_key, make_private_key

NAME_ANCHORED = {"cohere-api-key", "mistral-api-key", "deepseek-api-key",
                 "aws-secret-access-key", "generic-secret", "deepgram-api-key",
                 "assemblyai-api-key"}


def _line_for(fmt_rule: str, key: str) -> str:
    env = next(f.env for f in FORMATS if f.rule == fmt_rule)
    return f'{env}="{key}"'


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.rule)
def test_each_format_is_found_with_its_rule(fmt) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(fmt.rule)
    for _ in range(25):
        key = fmt.make(rng)
        if fmt.length:
            assert len(key) == fmt.length
        text = "import os\n" + _line_for(fmt.rule, key) + "\nprint('ok')\n"
        findings = find_secrets(text, "app.py")
        assert [f.rule for f in findings] == [fmt.rule], key[:12]
        finding = findings[0]
        assert finding.line == 2
        assert text[finding.start:finding.end] == key


@pytest.mark.parametrize("fmt", AI_FORMATS, ids=lambda f: f.rule)
def test_no_serialised_field_holds_the_secret(fmt) -> None:  # type: ignore[no-untyped-def]
    key = fmt.make(random.Random(7))
    (finding,) = find_secrets(_line_for(fmt.rule, key), "x.env")
    blob = json.dumps(finding.to_dict()) + repr(finding) + json.dumps(dataclasses.asdict(finding))
    assert key not in blob
    # A redacted form shows at most a prefix and the last four characters.
    assert finding.redacted.count("…") == 1
    assert len(finding.redacted.split("…")[1]) <= 4
    assert len(finding.redacted) <= 20


def test_redact_keeps_prefix_and_last_four() -> None:
    key = make_key("openai-project-key", random.Random(1))
    assert redact(key) == "sk-proj-…" + key[-4:]
    assert redact("short") == "…"
    assert redact("abcdefghijklmn") == "…mn"
    assert redact(make_private_key(random.Random(2))).startswith("-----BEGIN")
    assert "\n" not in redact(make_private_key(random.Random(2)))


def test_redact_text_replaces_every_secret() -> None:
    rng = random.Random(3)
    keys = [make_key(f.rule, rng) for f in AI_FORMATS if f.rule not in NAME_ANCHORED]
    text = "here are my keys: " + " and ".join(keys) + ". Help!"
    clean, findings = redact_text(text)
    assert len(findings) == len(keys)
    for key in keys:
        assert key not in clean
    assert clean.startswith("here are my keys: ") and clean.endswith(". Help!")
    assert redact_text("no secrets here") == ("no secrets here", [])


def test_inline_allow_applies_to_files_not_to_typed_text() -> None:
    key = make_key("google-api-key", random.Random(4))
    line = f'GOOGLE_KEY = "{key}"  # apilab: allow (test fixture)\n'
    assert find_secrets(line, "fixture.py") == []
    assert len(find_secrets(line)) == 1  # learner text: the marker does not switch it off
    clean, _ = redact_text(line)
    assert key not in clean


def test_private_key_block_is_one_finding_covering_the_block() -> None:
    block = make_private_key(random.Random(5))
    text = "x = 1\n" + block + "\n"
    (finding,) = find_secrets(text, "id_rsa")
    assert finding.rule == "private-key" and finding.line == 2
    assert text[finding.start:finding.end] == block
    # A mention of the header in prose is not a key.
    assert find_secrets("Never commit a '-----BEGIN PRIVATE KEY-----' block.") == []


def test_fingerprint_is_stable_and_path_scoped() -> None:
    key = make_key("anthropic-api-key", random.Random(6))
    a = find_secrets(f"k = '{key}'", "a.py")[0]
    b = find_secrets(f"\n\nk = '{key}'", "a.py")[0]
    c = find_secrets(f"k = '{key}'", "b.py")[0]
    assert a.fingerprint == b.fingerprint != c.fingerprint
    assert key not in a.fingerprint


def test_client_side_code_gets_a_server_side_fix() -> None:
    key = make_key("openai-project-key", random.Random(8))
    (finding,) = find_secrets(f'const key = "{key}";', "public/app.js")
    assert "client-side" in finding.description
    assert "server" in finding.fix


def test_entropy() -> None:
    assert entropy("") == 0.0
    assert entropy("aaaa") == 0.0
    assert entropy("abcd") == pytest.approx(2.0)


def test_every_rule_has_a_fix_and_sane_confidence() -> None:
    for rule in RULES_BY_ID.values():
        assert rule.fix and rule.description
        assert 0 < rule.confidence <= 1
    assert isinstance(find_secrets("", None), list)
    assert Finding.__dataclass_params__.frozen  # type: ignore[attr-defined]


def test_an_env_assignment_beside_a_key_name_in_docs_is_not_a_secret() -> None:
    text = "set `ANTHROPIC_API_KEY`, `APILAB_BACKEND=gemini` + `GEMINI_API_KEY`"
    assert find_secrets(text, path="docs/x.md") == []


def test_a_list_of_rule_ids_in_prose_is_not_a_secret() -> None:
    """Kebab-case names with a digit in a word ("mem0-api-key") are identifiers: a docs
    table listing rule ids was reported as a generic secret."""
    text = "| `exa-api-key`, `firecrawl-api-key`, `mem0-api-key`, `ai21-api-key`, `gpt4-turbo` |"
    assert find_secrets(text, "docs.md") == []
    assert find_secrets("api_key = 'mem0-api-key'", "a.py") == []
