"""The eighth pass (issue 16): a common-word provider name standing alone names the provider.

Keys are assembled at run time from seeded random pieces, so this file holds no key-shaped
string.
"""

from __future__ import annotations

import pytest

from apilab.secretscan.provider_names import off_format
from tests.secretscan.keys import ALNUM, HEX, seeded_text
from tests.secretscan.keys import rules_found as _rules


def _r(alphabet: str, n: int, seed: int = 8) -> str:
    return seeded_text(alphabet, n, seed)


@pytest.mark.parametrize(("name", "value"), [
    ("TOGETHER_API_KEY", _r(ALNUM, 30)),          # Together's are tgp_v1_... or 64 hex
    ("togetherApiKey", _r(HEX, 40)),
    ("STABILITY_API_KEY", "sk-" + _r(ALNUM, 20)),  # Stability's are sk- and 48
    ("voyage_api_key", "pa-" + _r(ALNUM, 12)),     # a truncated Voyage key
    ("exa_key", _r(ALNUM, 30)),                    # Exa's are UUIDs
    ("JINA_API_KEY", _r(ALNUM, 36)),               # Jina's are jina_...
    ("FAL_KEY", _r(HEX, 32)),                      # fal's are <uuid>:<32 hex>
    ("modal_token_secret", _r(ALNUM, 30)),         # Modal's are as-...
])
def test_a_common_word_provider_alone_with_a_value_off_its_format_stays_quiet(
        name: str, value: str) -> None:
    assert off_format(name, value), name
    assert _rules(f'{name} = "{value}"') == [], name
    # the same value under a name that names no provider is reported
    assert _rules(f'service_token = "{value}"') == ["generic-secret"], name


@pytest.mark.parametrize("name", [
    "together_session_token",   # another word: not only the provider's key
    "stability_pool_secret",
    "voyage_booking_token",
    "cursor_api_key",           # a paging or database cursor's, as often
    "work_together_key",
])
def test_a_common_word_beside_other_words_is_not_a_provider(name: str) -> None:
    assert not off_format(name, _r(ALNUM, 32, 3)), name
    assert "generic-secret" in _rules(f'{name} = "{_r(ALNUM, 32, 3)}"'), name


def test_the_provider_format_under_its_bare_name_is_still_found() -> None:
    assert not off_format("TOGETHER_API_KEY", _r(HEX, 64))
    assert _rules(f'TOGETHER_API_KEY = "{_r(HEX, 64)}"') == ["together-api-key-legacy"]


# --- the names the vendors' own SDKs and docs read keys from --------------------------------

@pytest.mark.parametrize(("name", "value", "rule"), [
    ("HF_TOKEN", "hf" + "_" + _r(ALNUM, 34), "huggingface-token"),
    ("HUGGINGFACEHUB_API_TOKEN", "hf" + "_" + _r(ALNUM, 34, 2), "huggingface-token"),
    ("GEMINI_API_KEY", "AIza" + _r(ALNUM, 35), "google-api-key"),
    ("GROK_API_KEY", "xai" + "-" + _r(ALNUM, 80), "xai-api-key"),
    ("PPLX_API_KEY", "pplx" + "-" + _r(ALNUM, 48), "perplexity-api-key"),
    ("AZURE_OPENAI_KEY", _r(HEX, 32), "azure-openai-key"),
])
def test_a_vendor_alias_name_with_the_vendor_format_is_found(name: str, value: str,
                                                              rule: str) -> None:
    assert not off_format(name, value)
    assert _rules(f'{name} = "{value}"') == [rule], name


@pytest.mark.parametrize("name", [
    "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "GEMINI_API_KEY", "GOOGLE_API_KEY",
    "GOOGLE_GENERATIVE_AI_API_KEY", "GROK_API_KEY", "PPLX_API_KEY", "CO_API_KEY",
    "XI_API_KEY", "ELEVEN_API_KEY", "ZHIPUAI_API_KEY", "GLM_API_KEY", "CLAUDE_API_KEY",
    "AZURE_OPENAI_API_KEY", "azureOpenAIKey",
])
def test_a_vendor_alias_name_with_a_value_off_the_format_stays_quiet(name: str) -> None:
    value = _r(ALNUM, 30, 11)  # none of these vendors issues 30 bare letters and digits
    assert off_format(name, value), name
    assert _rules(f'{name} = "{value}"') == [], name


@pytest.mark.parametrize("name", ["GOOGLE_TOKEN", "google_client_secret", "CO_SECRET",
                                  "OPENAI_API_KEY"])
def test_names_that_hold_other_credentials_are_not_aliases(name: str) -> None:
    assert not off_format(name, _r(ALNUM, 30, 11)), name
