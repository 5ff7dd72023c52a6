"""The provider registry: lazy defaults, fakes through the same callback, clear errors."""

from __future__ import annotations

import pytest

from apilab.errors import ConfigError, NeedsKeyError
from apilab.providers.gemini import GEMINI_OPENAI_BASE_URL
from apilab.providers.offline import OfflineProvider
from apilab.providers.registry import (
    get_provider,
    provider_names,
    register_provider,
    unregister_provider,
)
from apilab.providers.sandbox import sandbox_base_url


def test_default_providers_are_registered() -> None:
    assert {"openai", "anthropic", "gemini", "sandbox", "offline"} <= set(provider_names())


def test_unknown_provider_names_the_known_ones(settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="Unknown provider 'mistral'.*openai"):
        get_provider("mistral", settings)


def test_missing_key_names_the_variable(settings) -> None:  # type: ignore[no-untyped-def]
    for name, var in (("openai", "OPENAI_API_KEY"), ("anthropic", "ANTHROPIC_API_KEY"),
                      ("gemini", "GEMINI_API_KEY")):
        with pytest.raises(NeedsKeyError, match=var):
            get_provider(name, settings)


def test_gemini_uses_the_openai_compatible_endpoint(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GEMINI_API_KEY", "g-" + "x" * 20)
    adapter = get_provider("gemini", settings)
    assert str(adapter.client.base_url) == GEMINI_OPENAI_BASE_URL  # type: ignore[attr-defined]
    assert adapter.billable and adapter.client.max_retries == 0  # type: ignore[attr-defined]


def test_local_openai_compatible_servers_are_free(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OPENAI_API_KEY", "ollama")
    local = get_provider("openai", settings.with_overrides(base_url="http://localhost:11434/v1"))
    assert not local.billable and local.token_param == "max_tokens"  # type: ignore[attr-defined]


def test_sandbox_base_url_follows_the_server(settings) -> None:  # type: ignore[no-untyped-def]
    assert sandbox_base_url(settings.with_overrides(host="0.0.0.0", port=9001)) == \
        "http://127.0.0.1:9001/sandbox/v1"


def test_fakes_register_through_the_same_callback(settings) -> None:  # type: ignore[no-untyped-def]
    register_provider(lambda s: OfflineProvider(), ["fake-tutor"])
    try:
        assert isinstance(get_provider("fake-tutor", settings), OfflineProvider)
    finally:
        unregister_provider("fake-tutor")
