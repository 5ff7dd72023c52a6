"""The Lab 1 workbench API: raw requests to the in-process sandbox, redaction, scenarios."""

from __future__ import annotations

import json

import pytest

from apilab.secretscan import redact
from tests._services import TEST_BASE_URL, TEST_PEER

pytest.importorskip("apilab.sandbox.app", reason="the sandbox provider is not installed")


def _events(text: str) -> list[tuple[str, dict]]:
    events = []
    for frame in text.strip().split("\n\n"):
        lines = frame.splitlines()
        name = next(line[7:] for line in lines if line.startswith("event: "))
        data = next(line[6:] for line in lines if line.startswith("data: "))
        events.append((name, json.loads(data)))
    return events


def _send_json(client, **body) -> dict:
    response = client.post("/api/workbench/send", json=body,
                           headers={"Accept": "application/json"})
    assert response.status_code in (200, 400), response.text
    return response.json()


def _send_sse(client, **body) -> list[tuple[str, dict]]:
    response = client.post("/api/workbench/send", json=body,
                           headers={"Accept": "text/event-stream"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    return _events(response.text)


@pytest.fixture
def lab_secret(app, client, settings) -> str:
    from apilab.sandbox.keys import ensure_lab_key

    return ensure_lab_key(app.state.db, settings)


def test_options_list_catalogue_models_and_scenarios(client) -> None:
    body = client.get("/api/workbench/options").json()
    ids = {m["id"] for m in body["models"]}
    assert {"gpt-4o", "gpt-4o-mini", "claude-3-5-haiku-latest"} <= ids
    assert not ids & {"text-embedding-3-small", "gpt-3.5-turbo-instruct"}  # chat models only
    # keys stripped in tests; the Responses style is sandbox-only
    assert body["providers"] == {"openai": False, "anthropic": False, "responses": False}
    assert body["defaults"]["models"]["responses"] == "gpt-4o-mini"
    assert [s["id"] for s in body["scenarios"]] == [
        "malformed", "bad_key", "rate_limit", "unavailable", "truncated"]


def test_openai_request_and_reply_shown_raw_with_the_key_redacted(client, lab_secret) -> None:
    response = client.post("/api/workbench/send", headers={"Accept": "application/json"},
                           json={"style": "openai", "model": "gpt-4o", "stream": False,
                                 "max_tokens": 1000, "user": "Say hello."})
    assert lab_secret not in response.text  # never on the page, in any field
    out = response.json()
    request = out["request"]
    assert request["url"].endswith("/sandbox/v1/chat/completions")
    assert request["headers"]["Authorization"] == "Bearer " + redact(lab_secret)  # "sk-…a1b2"
    sent = json.loads(request["body"])
    assert sent["model"] == "gpt-4o"
    assert sent["messages"][0] == {"role": "system", "content": "You are a concise assistant."}
    assert sent["max_tokens"] == 1000
    assert '"Authorization: Bearer $SANDBOX_API_KEY"' in request["curl"]
    assert out["response"]["status"] == 200
    assert "x-ratelimit-remaining-requests" in out["response"]["headers"]
    reply = json.loads(out["body"]["text"])
    assert reply["object"] == "chat.completion"
    summary = out["summary"]
    assert summary["status"] == 200
    assert summary["finish_reason"] == "stop"
    assert summary["outcome"] == "ok"
    assert summary["usage"]["completion_tokens"] == reply["usage"]["completion_tokens"]
    assert summary["content"] == reply["choices"][0]["message"]["content"]
    assert summary["request_id"]


def test_openai_stream_events_arrive_one_by_one(client, lab_secret) -> None:
    events = _send_sse(client, style="openai", stream=True, max_tokens=1000)
    names = [n for n, _ in events]
    assert names[0] == "request" and names[1] == "response" and names[-1] == "summary"
    chunks = [d for n, d in events if n == "sse"]
    assert len(chunks) >= 3
    assert [c["n"] for c in chunks] == list(range(1, len(chunks) + 1))
    assert chunks[-1]["data"] == "[DONE]"
    usage_chunk = json.loads(chunks[-2]["data"])
    assert usage_chunk["choices"] == [] and usage_chunk["usage"]["total_tokens"] > 0
    sent = json.loads(events[0][1]["body"])
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    summary = events[-1][1]
    assert summary["usage"] == usage_chunk["usage"]
    assert summary["finish_reason"] == "stop"
    assert summary["ttft_ms"] is not None and summary["ttft_ms"] <= summary["total_ms"]
    assert all(lab_secret not in json.dumps(d) for _, d in events)


def test_anthropic_stream_keeps_event_names_and_cumulative_usage(client, lab_secret) -> None:
    events = _send_sse(client, style="anthropic", model="claude-3-5-haiku-latest", stream=True,
                       max_tokens=1000)
    request = events[0][1]
    assert request["url"].endswith("/sandbox/v1/messages")
    assert request["headers"]["x-api-key"] == redact(lab_secret)
    assert request["headers"]["anthropic-version"] == "2023-06-01"
    assert json.loads(request["body"])["system"] == "You are a concise assistant."
    kinds = [d["event"] for n, d in events if n == "sse"]
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert "content_block_delta" in kinds and "message_delta" in kinds
    summary = events[-1][1]
    assert summary["finish_reason"] == "end_turn"
    assert summary["usage"]["input_tokens"] > 0 and summary["usage"]["output_tokens"] > 0
    assert summary["content"]


@pytest.mark.parametrize("style", ["openai", "anthropic"])
def test_truncated_reply_reports_length(client, style: str) -> None:
    out = _send_json(client, style=style, scenario="truncated", stream=False)
    summary = out["summary"]
    assert summary["status"] == 200
    assert summary["finish_reason"] == ("length" if style == "openai" else "max_tokens")
    assert summary["outcome"] == "length"
    output = summary["usage"]["completion_tokens" if style == "openai" else "output_tokens"]
    assert output == 8
    assert "max_tokens" in summary["explanation"]


def test_malformed_body_gets_a_400_in_the_providers_shape(client) -> None:
    out = _send_json(client, scenario="malformed")
    assert out["request"]["body"].startswith("{") and not out["request"]["body"].endswith("}")
    assert out["summary"]["status"] == 400
    assert out["summary"]["outcome"] == "400"
    assert json.loads(out["body"]["text"])["error"]["type"] == "invalid_request_error"
    assert "do not retry" in out["summary"]["explanation"]


@pytest.mark.parametrize("style", ["openai", "anthropic"])
def test_bad_key_gets_a_401_and_the_fake_key_is_redacted_too(client, style: str) -> None:
    response = client.post("/api/workbench/send", headers={"Accept": "application/json"},
                           json={"style": style, "scenario": "bad_key", "stream": False})
    out = response.json()
    assert out["summary"]["status"] == 401
    assert out["summary"]["outcome"] == "401"
    shown = out["request"]["headers"]
    key = shown.get("Authorization", "").removeprefix("Bearer ") or shown["x-api-key"]
    prefix, ellipsis, tail = key.partition("…")  # "sk-…a1b2" or "sk-sbx-…a1b2"
    assert ellipsis and prefix in ("sk-", "sk-sbx-") and len(tail) <= 4


def test_rate_limit_scenario_sends_until_the_free_tier_refuses(client) -> None:
    out = _send_json(client, scenario="rate_limit")
    statuses = [a["status"] for a in out["attempts"]]
    assert statuses[-1] == 429
    assert set(statuses[:-1]) <= {200} and len(statuses) <= 4  # free tier: 3 RPM
    assert out["summary"]["status"] == 429
    assert out["summary"]["outcome"] == "429"
    headers = out["response"]["headers"]
    assert int(headers["retry-after"]) >= 1
    assert headers["x-ratelimit-remaining-requests"] == "0"
    assert json.loads(out["body"]["text"])["error"]["code"] == "rate_limit_exceeded"
    # A second click is refused at once: the bucket is still empty.
    again = _send_json(client, scenario="rate_limit")
    assert [a["status"] for a in again["attempts"]] == [429]


def test_unavailable_scenario_gets_a_503(client) -> None:
    out = _send_json(client, scenario="unavailable", stream=True)
    assert out["summary"]["status"] == 503
    assert out["summary"]["outcome"] == "503"
    assert out["sse"] == []  # errors before streaming are plain JSON, never SSE
    assert "backoff" in out["summary"]["explanation"]


def test_scenario_keys_are_made_once_per_process(app, client) -> None:
    from apilab.sandbox.keys import list_keys

    _send_json(client, scenario="unavailable", stream=False)
    _send_json(client, scenario="unavailable", stream=False)
    demo = [k for k in list_keys(app.state.db) if k.owner == "apilab-workbench"]
    assert len(demo) == 1 and not demo[0].revoked


def test_a_revoked_scenario_key_is_replaced(app, client) -> None:
    from apilab.sandbox.keys import list_keys, revoke_key

    _send_json(client, scenario="unavailable", stream=False)
    (demo,) = [k for k in list_keys(app.state.db) if k.owner == "apilab-workbench"]
    revoke_key(app.state.db, demo.id)
    out = _send_json(client, scenario="unavailable", stream=False)
    assert out["summary"]["status"] == 503  # not 401: a fresh key took the revoked one's place
    active = [k for k in list_keys(app.state.db, include_revoked=False)
              if k.owner == "apilab-workbench"]
    assert len(active) == 1 and active[0].id != demo.id


def test_unknown_model_is_explained(client) -> None:
    out = _send_json(client, model="gpt-9-ultra", stream=False)
    assert out["summary"]["status"] == 404
    assert "model" in out["summary"]["explanation"]


def test_real_provider_without_a_key_says_it_is_not_configured(client) -> None:
    response = client.post("/api/workbench/send", headers={"Accept": "application/json"},
                           json={"target": "provider", "style": "anthropic"})
    assert response.status_code == 400
    assert "ANTHROPIC_API_KEY" in response.json()["error"]["error"]
    events = _send_sse(client, target="provider")
    assert events == [("error", events[0][1])] and "OPENAI_API_KEY" in events[0][1]["error"]


class _AsLocalHost:
    """The in-process sandbox reached as a remote provider (``testserver`` is not local, so
    calls to it are billable); the Host header is the lab's own, which its front door
    accepts."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        from apilab.web.routes._workbench_transport import StreamingASGITransport

        self._inner = StreamingASGITransport(app)

    async def handle_async_request(self, request):  # type: ignore[no-untyped-def]
        request.headers["host"] = "127.0.0.1"
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@pytest.fixture
def fake_provider(app, monkeypatch, lab_secret):
    """Stand the in-process sandbox in for the real APIs: same wire format, no network."""
    from apilab.web.routes import workbench

    monkeypatch.setenv("OPENAI_API_KEY", lab_secret)
    monkeypatch.setenv("ANTHROPIC_API_KEY", lab_secret)
    monkeypatch.setattr(workbench, "_provider_transport", lambda: _AsLocalHost(app))
    monkeypatch.setitem(workbench.REAL_BASE_URLS, "openai", "http://testserver/sandbox/v1")
    monkeypatch.setitem(workbench.REAL_BASE_URLS, "anthropic", "http://testserver/sandbox/v1")
    return lab_secret


def test_real_provider_goes_through_the_call_layer_and_the_ledger(app, client,
                                                                  fake_provider) -> None:
    from apilab.storage import ledger

    assert client.get("/api/workbench/options").json()["providers"] == {
        "openai": True, "anthropic": True, "responses": False}
    response = client.post("/api/workbench/send", headers={"Accept": "application/json"},
                           json={"target": "provider", "stream": False, "max_tokens": 1000})
    assert fake_provider not in response.text
    out = response.json()
    assert out["request"]["target"] == "provider"
    assert out["request"]["url"] == "http://testserver/sandbox/v1/chat/completions"
    assert "x-stainless-retry-count" in out["request"]["headers"]  # what the SDK really sent
    assert '"authorization: bearer $openai_api_key"' in out["request"]["curl"].lower()
    assert "stainless" not in out["request"]["curl"]
    assert fake_provider[-4:] in out["request"]["headers"]["authorization"]
    assert [a["status"] for a in out["attempts"]] == [200]
    summary = out["summary"]
    assert summary["status"] == 200 and summary["outcome"] == "ok"
    assert summary["usage"]["completion_tokens"] > 0 and summary["content"]
    from apilab.calls.writer import flush_ledger

    flush_ledger(app.state.db, summary["call_id"])  # rows are written behind the reply (#13)
    with app.state.db.session() as session:
        (row,) = ledger.list_calls(session, call_id=summary["call_id"])
        assert (row.learner, row.lab, row.purpose) == ("local", "api-basics", "workbench")


@pytest.mark.parametrize("style", ["openai", "anthropic"])
def test_real_provider_stream_is_tapped_event_by_event(client, fake_provider, style) -> None:
    events = _send_sse(client, target="provider", style=style, stream=True, max_tokens=1000,
                       model="gpt-4o-mini" if style == "openai" else "claude-3-5-haiku-latest")
    names = [n for n, _ in events]
    assert names[:3] == ["request", "attempt", "response"] and names[-1] == "summary"
    sse = [d for n, d in events if n == "sse"]
    assert len(sse) >= 3
    if style == "openai":
        assert sse[-1]["data"] == "[DONE]"
    else:
        assert sse[0]["event"] == "message_start" and sse[-1]["event"] == "message_stop"
    summary = events[-1][1]
    assert summary["status"] == 200 and summary["outcome"] == "ok"
    assert summary["usage"] and summary["ttft_ms"] is not None
    assert all(fake_provider not in json.dumps(d) for _, d in events)


def test_the_learners_budget_stops_a_real_provider_call_before_it_is_sent(
        settings, fake_provider, monkeypatch) -> None:
    from fastapi.testclient import TestClient

    from apilab.web.app import create_app
    from apilab.web.routes import workbench

    app = create_app(settings.with_overrides(budget_learner_daily_usd="0"))
    monkeypatch.setattr(workbench, "_provider_transport", lambda: _AsLocalHost(app))
    with TestClient(app, base_url=TEST_BASE_URL, client=TEST_PEER) as client:
        out = _send_json(client, target="provider", stream=False)
    assert out["attempts"] == [] and "response" not in out  # nothing left the server
    assert out["summary"]["outcome"] == "budget"
    assert out["summary"]["error"]["type"] == "BudgetExceededError"


@pytest.mark.parametrize("body", [{"style": "gemini"}, {"max_tokens": "lots"},
                                  {"scenario": "explode"}])
def test_bad_form_values_are_422(client, body: dict) -> None:
    response = client.post("/api/workbench/send", json=body)
    assert response.status_code == 422


def test_panel_renders_labelled_controls_and_no_secret(settings) -> None:
    from apilab.web.templating import templates

    html = templates.env.get_template("_panel_workbench.html").render(settings=settings)
    assert "/static/workbench.js" in html and "<script>" not in html
    for control in ("wb-model", "wb-max-tokens", "wb-temperature", "wb-system", "wb-user",
                    "wb-target"):
        assert f'for="{control}"' in html and f'id="{control}"' in html
    for scenario in ("malformed", "bad_key", "rate_limit", "unavailable", "truncated"):
        assert f'data-scenario="{scenario}"' in html
    assert "sk-sbx-" not in html


def test_lab_page_includes_the_workbench(app, client, lab_secret) -> None:
    if not any(getattr(r, "path", "") == "/labs/{lab_id}" for r in app.routes):
        pytest.skip("the lab page route is not installed in this build")
    html = client.get("/labs/api-basics").text
    assert 'id="panel-workbench"' in html and 'id="wb-form"' in html
    assert lab_secret not in html


def _chaos_on_lab_key(app, secret: str, profile: dict) -> None:
    from apilab.sandbox.chaos import set_chaos
    from apilab.sandbox.keys import find_key

    set_chaos(app.state.db, profile, key_id=find_key(app.state.db, secret).id)


@pytest.mark.parametrize("style", ["openai", "anthropic"])
def test_a_stream_that_drops_mid_reply_is_reported(app, client, lab_secret, style) -> None:
    _chaos_on_lab_key(app, lab_secret, {"p_disconnect": 1.0})
    out = _send_json(client, style=style, stream=True, max_tokens=1000)
    summary = out["summary"]
    assert summary["status"] == 200  # the status line said all was well ...
    assert summary["outcome"] == "stream_error"  # ... but the end marker never came
    assert "ended before" in summary["error"]["message"]
    assert "interrupted" in summary["explanation"]
    assert out["sse"] and summary["content"]  # the partial reply is kept and shown


def test_a_malformed_chunk_is_reported(app, client, lab_secret) -> None:
    _chaos_on_lab_key(app, lab_secret, {"p_malformed": 1.0})
    out = _send_json(client, stream=True, max_tokens=1000)
    assert out["summary"]["outcome"] == "stream_error"
    assert "malformed chunk" in out["summary"]["error"]["message"]


def test_a_server_that_hangs_hits_the_read_timeout(settings) -> None:
    from fastapi.testclient import TestClient

    from apilab.sandbox.keys import ensure_lab_key
    from apilab.web.app import create_app

    app = create_app(settings.with_overrides(read_timeout=0.3))
    with TestClient(app, base_url=TEST_BASE_URL, client=TEST_PEER) as client:
        _chaos_on_lab_key(app, ensure_lab_key(app.state.db, settings),
                          {"p_hang": 1.0, "hang_s": 5})
        out = _send_json(client, stream=False)
    assert out["summary"]["status"] is None
    assert out["summary"]["outcome"] == "timeout"
    assert "timeout" in out["summary"]["explanation"]


def test_responses_style_shows_the_raw_exchange(client, lab_secret) -> None:
    out = _send_json(client, style="responses", stream=False, max_tokens=200,
                     system="Be brief.", user="Say hello in five words.")
    request = out["request"]
    assert request["url"].endswith("/sandbox/v1/responses")
    sent = json.loads(request["body"])
    assert sent["instructions"] == "Be brief." and sent["input"] == "Say hello in five words."
    assert sent["max_output_tokens"] == 200 and "messages" not in sent
    assert lab_secret not in json.dumps(out)
    summary = out["summary"]
    assert summary["status"] == 200 and summary["outcome"] == "ok"
    assert summary["finish_reason"] == "completed"
    assert len(summary["content"].rstrip(".").split()) == 5
    assert {"input_tokens", "output_tokens", "output_tokens_details"} <= set(summary["usage"])


def test_responses_style_streams_typed_events(client) -> None:
    events = _send_sse(client, style="responses", stream=True, max_tokens=200)
    sse = [d for n, d in events if n == "sse"]
    names = [d["event"] for d in sse]
    assert names[:2] == ["response.created", "response.in_progress"]
    assert names[-1] == "response.completed" and "response.output_text.delta" in names
    summary = events[-1][1]
    assert summary["outcome"] == "ok" and summary["usage"]["output_tokens"] > 0
    assert summary["content"] and summary["ttft_ms"] is not None


def test_responses_style_truncated_is_incomplete(client) -> None:
    out = _send_json(client, style="responses", stream=True, scenario="truncated")
    assert json.loads(out["request"]["body"])["max_output_tokens"] == 16  # the API's floor
    summary = out["summary"]
    assert summary["outcome"] == "length"
    assert summary["finish_reason"] == "incomplete: max_output_tokens"


def test_responses_style_is_sandbox_only(client, fake_provider) -> None:
    out = client.post("/api/workbench/send", headers={"Accept": "application/json"},
                      json={"style": "responses", "target": "provider"}).json()
    assert "sandbox only" in out["error"]["error"]
