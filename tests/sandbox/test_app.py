"""The sandbox app: cheap to import, mountable in the lab server, provider-shaped 404s."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_importing_the_app_is_cheap() -> None:
    # What is imported, not how long it takes: timings belong in bench/ (a loaded CI box
    # with no .pyc files took over 3 s here).
    code = ("import sys; import apilab.sandbox.app; "
            "print(any(m.startswith(('tiktoken', 'apilab.pricing', 'jsonschema', 'openai')) "
            "for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120).stdout.split()
    assert out[0] == "False", "heavy modules must load on first request, not on import"


def test_mounted_in_the_lab_server(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/sandbox/healthz").text == "ok"
    response = client.post("/sandbox/v1/chat/completions", json={"model": "gpt-4o",
                                                                  "messages": []})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"
    assert "/v1/chat/completions" in client.get("/sandbox/openapi.json").json()["paths"]


@pytest.mark.anyio
async def test_unknown_path_in_provider_shape(aclient) -> None:  # type: ignore[no-untyped-def]
    openai_style = await aclient.post("/v1/completionz", json={})
    assert openai_style.status_code == 404
    assert set(openai_style.json()["error"]) == {"message", "type", "param", "code"}
    anthropic_style = await aclient.get("/v1/nothing", headers={"anthropic-version":
                                                                "2023-06-01"})
    assert anthropic_style.json()["type"] == "error"
    wrong_method = await aclient.get("/v1/chat/completions")
    assert wrong_method.status_code == 405
    assert "error" in wrong_method.json()
