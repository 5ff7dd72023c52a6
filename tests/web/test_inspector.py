"""GET /api/inspector/{id}: model replies (attempts, tokens, cost, fallback), offline replies,
ownership, and no planted canary key anywhere it could leak."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from apilab.calls.base import Call
from apilab.calls.ledger import DatabaseLedger
from apilab.calls.stack import build_stack
from apilab.calls.state.memory import MemoryStore
from apilab.providers.keys import resolve_key
from apilab.providers.openai import OpenAIProvider
from apilab.storage import ledger
from apilab.storage.models.lab import Learner, Message
from tests.calls.fakes import NoSleep, collect
from tests.providers.mock_openai import MockOpenAI, error, sse

CANARY = "sk-" + "proj-" + "CANARY" + "q7" * 14


def _message(db, handle: str, **fields) -> int:  # type: ignore[no-untyped-def]
    with db.session() as session:
        learner = session.query(Learner).filter_by(handle=handle).one_or_none()
        if learner is None:
            learner = Learner(handle=handle)
            session.add(learner)
            session.flush()
        msg = Message(learner_id=learner.id, lab_id="api-basics", **fields)
        session.add(msg)
        session.flush()
        return msg.id


@pytest.fixture
def model_reply(app, settings, monkeypatch, caplog):  # type: ignore[no-untyped-def]
    """A streamed model reply: first a 503, then a 401 echoing the key, then offline."""
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    db = app.state.db

    def responder(body, n):  # type: ignore[no-untyped-def]
        if n == 1:
            return error(503, "overloaded", type_="server_error", headers={"retry-after": "1"})
        if n == 2:
            return sse(["A 429", " means slow down."])
        return error(401, f"Incorrect API key provided: {CANARY}", code="invalid_api_key")

    mock = MockOpenAI(responder)
    s = settings.with_overrides(backend="openai", model="gpt-4o-mini", fallback="offline")
    provider = OpenAIProvider(api_key=resolve_key("openai", s), http_client=mock.client())
    stack = build_stack(s, sink=DatabaseLedger(db), store=MemoryStore(),
                        providers={"openai": provider}, sleep=NoSleep())
    first = Call(provider="openai", model="gpt-4o-mini", lab="api-basics", learner="local",
                 messages=[{"role": "user", "content": "What is a 429?"}])
    asyncio.run(collect(stack.astream(first)))
    second = Call(provider="openai", model="gpt-4o-mini", lab="api-basics", learner="local",
                  messages=[{"role": "user", "content": "And a 401?"}])
    asyncio.run(collect(stack.astream(second)))
    ids = [_message(db, "local", role="assistant", content="x", backend="openai:gpt-4o-mini",
                    call_id=c.call_id) for c in (first, second)]
    return ids, db, caplog


def test_model_reply_shows_attempts_tokens_cost_and_ttft(client, model_reply) -> None:  # type: ignore[no-untyped-def]
    (first_id, _), _, _ = model_reply
    data = client.get(f"/api/inspector/{first_id}").json()
    assert data["kind"] == "model"
    (call,) = data["calls"]
    assert [a["outcome"] for a in call["attempts"]] == ["error", "ok"]
    assert call["attempts"][0]["status"] == 503 and call["attempts"][0]["wait_s"] == 1.0
    assert call["attempts"][0]["wait_reason"] == "retry-after"
    assert call["tokens"]["estimated_input"] and call["tokens"]["output"] == 2
    assert call["cost"]["reserved_usd"] and call["cost"]["actual_usd"]
    assert call["ttft_ms"] is not None and call["events"]
    assert call["request"]["headers"]["Authorization"].startswith("Bearer sk-…")
    assert data["totals"]["attempts"] == 2


def test_fallback_is_shown_and_no_canary_leaks_anywhere(client, model_reply) -> None:  # type: ignore[no-untyped-def]
    (_, second_id), db, caplog = model_reply
    response = client.get(f"/api/inspector/{second_id}")
    data = response.json()
    (call,) = data["calls"]
    assert call["answered_by"] == "offline:tutor" and call["fallback_used"]
    assert call["fallbacks"][0]["error"] == "AuthError"
    assert CANARY not in response.text
    with db.session() as session:
        rows = [ledger.call_to_dict(r) for r in ledger.list_calls(session)]
    assert CANARY not in json.dumps(rows, default=str)
    assert CANARY not in caplog.text
    page = client.get("/labs/api-basics")
    assert CANARY not in page.text


def test_offline_reply_shows_what_the_tutor_did(client, app) -> None:  # type: ignore[no-untyped-def]
    msg_id = _message(app.state.db, "local", role="assistant", content="hi", backend="offline",
                      meta={"tools_used": ["estimate_cost"], "cards": ["c1"],
                            "timing_ms": {"total": 3.2}})
    data = client.get(f"/api/inspector/{msg_id}").json()
    assert data["kind"] == "offline" and data["calls"] == []
    assert data["offline"]["tools_used"] == ["estimate_cost"]
    assert data["offline"]["details"]["cards"] == ["c1"]


def test_learner_messages_and_other_learners_replies_are_refused(client, app) -> None:  # type: ignore[no-untyped-def]
    own = _message(app.state.db, "local", role="learner", content="q")
    other = _message(app.state.db, "someone-else", role="assistant", content="a")
    assert client.get(f"/api/inspector/{own}").status_code == 422
    assert client.get(f"/api/inspector/{other}").status_code == 404
    assert client.get("/api/inspector/999999").status_code == 404


def test_inspector_script_is_served(client) -> None:  # type: ignore[no-untyped-def]
    js = client.get("/static/inspector.js")
    assert js.status_code == 200 and 'button.inspect[data-message-id]' in js.text
    assert "showModal" in js.text and "innerHTML" not in js.text
    assert client.get("/static/inspector.css").status_code == 200


def test_offline_retrieval_rows_name_the_card_and_what_it_answers(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/labs/api-basics/messages",
                           json={"message": "What goes in the Authorization header?"})
    assert response.status_code == 200
    reply = client.get("/api/labs/api-basics/messages").json()["messages"][-1]
    rows = client.get(f"/api/inspector/{reply['id']}").json()["offline"]["retrieval"]
    chosen = [r for r in rows if r["chosen"]]
    assert len(chosen) == 1 and chosen[0]["card"] == "ab-auth-header"
    assert chosen[0]["about"] == "How do I authenticate to the API?"
    assert "header" in chosen[0]["matched"] and 0 < chosen[0]["confidence"] <= 1
    assert {r["where"] for r in rows} <= {"this lab", "other lab"}
