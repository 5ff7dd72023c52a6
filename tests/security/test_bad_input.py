"""Issue 10, item 6: bounded input; every bad input is a 4xx with a message and the server
keeps serving; outages are 503s that /healthz reports; bad start-up URLs are one line."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time

import httpx
import pytest

from tests.secretscan.keys import make_key

J = {"Content-Type": "application/json"}


def test_a_huge_body_is_413_and_memory_is_not_spent(lab) -> None:  # type: ignore[no-untyped-def]
    base, _app = lab
    with httpx.Client(base_url=base, timeout=60) as client:
        started = time.perf_counter()
        response = client.post("/api/scan/text", content=b"x" * 100_000_000, headers=J)
        assert response.status_code == 413 and "APILAB_MAX_BODY_BYTES" in response.text
        assert time.perf_counter() - started < 10

        def chunks():  # type: ignore[no-untyped-def]
            for _ in range(100):
                yield b"y" * 100_000

        chunked = client.post("/api/pricing/tokens", content=chunks(),
                              headers={"Content-Type": "text/plain"})  # no Content-Length
        assert chunked.status_code in (413, 415)
        assert client.get("/healthz").status_code == 200


def test_422s_never_echo_the_input(lab) -> None:  # type: ignore[no-untyped-def]
    base, _app = lab
    key = make_key("openai-project-key", random.Random(7))
    with httpx.Client(base_url=base, timeout=60) as client:
        too_long = client.post("/api/scan/text", json={"text": key + " " + "x" * 1_000_000})
        assert too_long.status_code == 422
        assert key not in too_long.text and key[-8:] not in too_long.text
        assert "input" not in too_long.json()["detail"][0]
        bad_kind = client.post("/api/scan/text", json={"text": key, "kind": key})
        assert bad_kind.status_code == 422 and key not in bad_kind.text


@pytest.mark.parametrize(("path", "body"), [
    ("/api/arena/run", b'{"clients": NaN}'),
    ("/api/pricing/cost", b'{"model": "gpt-4o", "input_tokens": Infinity, "output_tokens": 1}'),
    ("/api/labs/api-basics/messages", b'{"message": "hi \\ud800"}'),
    ("/api/pricing/cost", b'{"model": "gpt-4o", "input_tokens": 1e33, "output_tokens": 1}'),
    ("/api/pricing/cost",
     b'{"model": "gpt-4o", "input_tokens": 1000000000000000000000000000000000, '
     b'"output_tokens": 1}'),
    ("/api/drill/configure", b'{"key_id": 12345678901234567890}'),
    ("/api/scan/text", b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
    ("/api/prompts/validate", b'{"output": "1", "schema_text": "' + b"[" * 10_000 + b'"}'),
    ("/api/pricing/tokens", b'{"model": "gpt-4o", "messages": [{"role": "user", '
                            b'"content": {"nested": true}}]}'),
    ("/api/workbench/send", b'{"temperature": NaN}'),
])
def test_bad_input_is_4xx_and_the_server_keeps_serving(lab, path: str, body: bytes) -> None:  # type: ignore[no-untyped-def]
    base, _app = lab
    with httpx.Client(base_url=base, timeout=30) as client:
        response = client.post(path, content=body, headers=J)
        assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
        assert response.json()["error"]
        assert client.get("/healthz").status_code == 200


def test_huge_ids_in_the_path_are_4xx(lab) -> None:  # type: ignore[no-untyped-def]
    base, _app = lab
    with httpx.Client(base_url=base) as client:
        for ident in ("12345678901234567890", "-1", "1e5", "9" * 40):
            assert client.get(f"/api/inspector/{ident}").status_code == 422


def test_long_single_character_prompts_are_counted_fast(lab) -> None:  # type: ignore[no-untyped-def]
    base, app = lab
    from apilab.sandbox.keys import ensure_lab_key

    secret = ensure_lab_key(app.state.db, app.state.settings)
    with httpx.Client(base_url=base, timeout=60) as client:
        for size in (120_000, 1_000_000):
            started = time.perf_counter()
            response = client.post(
                "/sandbox/v1/chat/completions", headers={"Authorization": f"Bearer {secret}"},
                json={"model": "gpt-4o-mini", "max_tokens": 5,
                      "messages": [{"role": "user", "content": "a" * size}]})
            assert response.status_code in (200, 400), response.text[:300]
            assert time.perf_counter() - started < 5
        tokens = client.post("/api/pricing/tokens",
                             json={"model": "gpt-4o", "text": "a" * 1_000_000})
        assert tokens.status_code == 200 and tokens.json()["tokens"] > 100_000
        for bad in (b'{"model": "gpt-4o-mini", "temperature": NaN, "messages": []}',
                    b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": '
                    b'"\\udfff"}]}',
                    b"[" * 50_000):
            response = client.post("/sandbox/v1/chat/completions", content=bad,
                                   headers={**J, "Authorization": f"Bearer {secret}"})
            assert response.status_code == 400 and response.json()["error"]["message"]


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_redis_outage_is_503_and_healthz_says_so(serve) -> None:  # type: ignore[no-untyped-def]
    base, app = serve(redis_url=f"redis://127.0.0.1:{_dead_port()}/0")
    from apilab.sandbox.keys import ensure_lab_key

    secret = ensure_lab_key(app.state.db, app.state.settings)
    with httpx.Client(base_url=base, timeout=30) as client:
        health = client.get("/healthz")
        assert health.status_code == 503 and "redis" in health.text
        response = client.post("/sandbox/v1/chat/completions",
                               headers={"Authorization": f"Bearer {secret}"},
                               json={"model": "gpt-4o-mini",
                                     "messages": [{"role": "user", "content": "hi"}]})
        assert response.status_code == 503 and "retry" in response.text.lower()
        assert client.get("/").status_code == 200  # pages that need no Redis still work


@pytest.mark.parametrize(("variable", "value"), [
    ("APILAB_DATABASE_URL", "not a url"),
    ("APILAB_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none"),
    ("APILAB_REDIS_URL", "http://redis.example"),
    ("APILAB_TRUSTED_PROXIES", "the proxy"),
])
def test_bad_settings_at_start_are_one_line_and_exit_2(tmp_path, variable: str, value: str) -> None:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("APILAB_")}
    env.update({"APILAB_DATA_DIR": str(tmp_path), variable: value})
    result = subprocess.run([sys.executable, "-m", "apilab", "serve", "--port",
                             str(_dead_port())], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in result.stderr
