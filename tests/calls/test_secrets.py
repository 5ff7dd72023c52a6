"""Planted canary keys never leak: not in a log line, a ledger row, the database files,
the inspector, the lab page, the chat stream or an error message."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from apilab.errors import NeedsKeyError
from apilab.providers.keys import resolve_key, write_secret
from tests._services import TEST_BASE_URL, TEST_PEER

CANARIES = {
    "OPENAI_API_KEY": "sk-" + "proj-" + "CANARYopenai" + "x1" * 12,
    "ANTHROPIC_API_KEY": "sk-" + "ant-api03-" + "CANARYanthropic" + "y2" * 12,
    "GEMINI_API_KEY": "AI" + "za" + "CANARYgemini" + "z3" * 12,
    "SANDBOX_API_KEY": "sk-" + "sbx-" + "CANARYsandbox" + "w4" * 12,
}


@pytest.fixture
def canaries(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in CANARIES.items():
        monkeypatch.setenv(name, value)
    return CANARIES


def _assert_clean(text: str, where: str) -> None:
    for name, value in CANARIES.items():
        assert value not in text, f"{name} leaked into {where}"
        assert value[8:-6] not in text, f"part of {name} leaked into {where}"


def test_full_exchange_through_a_failing_model_leaks_nothing(  # type: ignore[no-untyped-def]
    canaries, settings, caplog, clean_environ: Path
) -> None:
    from fastapi.testclient import TestClient

    from apilab.web.app import create_app

    caplog.set_level(logging.DEBUG)
    # A model backend whose server refuses connections: retries, then the offline tutor.
    s = settings.with_overrides(backend="openai", model="gpt-4o-mini", fallback="offline",
                                base_url="http://127.0.0.1:9/v1", max_retries=1,
                                retry_base=0.01, connect_timeout=0.5)
    with TestClient(create_app(s), base_url=TEST_BASE_URL, client=TEST_PEER) as client:
        stream = client.post("/api/labs/api-basics/messages",
                             json={"message": "What does HTTP 429 mean?"})
        assert stream.status_code == 200
        _assert_clean(stream.text, "the chat stream")
        assert "event: completed" in stream.text
        completed = stream.text.split("event: completed\ndata: ")[1].split("\n")[0]
        reply_id = json.loads(completed)["reply_id"]
        inspector = client.get(f"/api/inspector/{reply_id}")
        assert inspector.status_code == 200
        data = inspector.json()
        assert data["kind"] == "model"
        call = data["calls"][0]
        assert call["fallbacks"][0]["error"] == "ProviderConnectionError"
        assert call["request"]["headers"]["Authorization"].startswith("Bearer sk-…")
        _assert_clean(inspector.text, "the inspector")
        _assert_clean(client.get("/labs/api-basics").text, "the lab page")
    _assert_clean(caplog.text, "the logs")
    for path in clean_environ.rglob("*"):
        if path.is_file():
            _assert_clean(path.read_bytes().decode("latin-1"), f"the file {path.name}")


def test_error_messages_name_the_variable_never_a_value(settings, canaries) -> None:  # type: ignore[no-untyped-def]
    assert resolve_key("openai", settings) == canaries["OPENAI_API_KEY"]
    with pytest.raises(NeedsKeyError) as info:
        resolve_key("mistral", settings)
    message = str(info.value)
    assert "MISTRAL_API_KEY" in message and "secrets.env" in message
    _assert_clean(message, "NeedsKeyError")


def test_secret_file_wins_over_env_and_must_be_private(settings, canaries) -> None:  # type: ignore[no-untyped-def]
    path = write_secret(settings, "OPENAI_API_KEY", "from-" + "file-" + "k" * 20)
    assert path.stat().st_mode & 0o777 == 0o600
    assert resolve_key("openai", settings) == "from-" + "file-" + "k" * 20
    assert resolve_key("openai", settings, explicit="explicit") == "explicit"
    path.chmod(0o644)
    with pytest.raises(Exception, match="chmod 600"):
        resolve_key("openai", settings)
