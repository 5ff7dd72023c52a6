"""HTTP tests for the lab pages and the chat API, including bad input."""

from __future__ import annotations

import json
import re

import pytest

from apilab.content import LAB_IDS


def _sse(text: str) -> list[tuple[str, dict]]:
    events = []
    for frame in text.strip().split("\n\n"):
        kind, data = "", {}
        for line in frame.splitlines():
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                data = json.loads(line.split(":", 1)[1])
        events.append((kind, data))
    return events


def _ask(client, lab: str, message: str) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    response = client.post(f"/api/labs/{lab}/messages", json={"message": message})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return _sse(response.text)


def test_healthz(client) -> None:  # type: ignore[no-untyped-def]
    health = client.get("/healthz")
    assert health.text == "ok"
    assert health.headers["x-tutor-worker"] == "off"  # the tests compose in-process


def test_course_map_lists_every_lab_and_lesson(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/").text
    for lab in LAB_IDS:
        assert f"/labs/{lab}" in html
    assert "offline tutor" in html


@pytest.mark.parametrize("lab", LAB_IDS)
def test_every_lab_page_renders(client, lab: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/labs/{lab}")
    assert response.status_code == 200
    assert 'id="composer"' in response.text and 'id="objectives"' in response.text
    assert '<label for="message">' in response.text


def test_every_lesson_page_renders_with_sources(client) -> None:  # type: ignore[no-untyped-def]
    from apilab.content import load_course

    for lesson in load_course().lessons:
        response = client.get(f"/lessons/{lesson.id}")
        assert response.status_code == 200
        assert lesson.title in response.text
        assert 'id="sources"' in response.text


def test_unknown_lab_and_lesson_are_404_with_a_message(client) -> None:  # type: ignore[no-untyped-def]
    for url in ("/labs/no-such-lab", "/lessons/no-such-lesson"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Known" in response.json()["error"]
    response = client.post("/api/labs/no-such-lab/messages", json={"message": "hi"})
    assert response.status_code == 404
    assert "api-basics" in response.json()["error"]


@pytest.mark.parametrize("message", ["", "   \n ", "x" * 20_000])
def test_empty_or_huge_message_is_a_clear_4xx_and_nothing_is_stored(client, message: str) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/labs/api-basics/messages", json={"message": message})
    assert 400 <= response.status_code < 500
    assert response.json()["error"]
    assert client.get("/api/labs/api-basics/messages").json()["messages"] == []


def test_malformed_json_is_422(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/api/labs/api-basics/messages",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    response = client.post("/api/labs/api-basics/messages", json={"msg": "wrong field"})
    assert response.status_code == 422


def test_chat_streams_accepted_deltas_completed(client) -> None:  # type: ignore[no-untyped-def]
    events = _ask(client, "api-basics", "What goes in the Authorization header?")
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "accepted" and kinds[-1] == "completed"
    assert kinds.count("delta") >= 2
    done = events[-1][1]
    assert done["counted"] is True and done["exchange_count"] == 1
    assert "Bearer" in done["html"]
    text = "".join(d["text"] for k, d in events if k == "delta")
    assert "Bearer" in text


def test_completion_after_three_counted_exchanges_and_progress_json(client) -> None:  # type: ignore[no-untyped-def]
    for q in ("RPM vs TPM?", "why add jitter to retries?",
              "How much do 2 million input tokens and 500k output tokens cost on gpt-4o-mini?"):
        done = _ask(client, "rate-limits-cost", q)[-1][1]
    assert done["exchange_count"] == 3 and done["completed_at"]
    progress = {p["lab"]: p for p in client.get("/api/progress").json()["labs"]}
    assert progress["rate-limits-cost"]["completed_at"]
    assert progress["api-basics"]["exchange_count"] == 0
    page = client.get("/progress").text
    assert "<svg" in page and "3/3 exchanges" in page


def test_learner_html_is_escaped_in_the_stored_transcript(client) -> None:  # type: ignore[no-untyped-def]
    _ask(client, "api-basics", "<script>alert(1)</script> what is a 401?")
    html = client.get("/labs/api-basics").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_reset_clears_the_conversation(client) -> None:  # type: ignore[no-untyped-def]
    _ask(client, "api-basics", "What goes in the Authorization header?")
    html = client.get("/labs/api-basics").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    response = client.post("/labs/api-basics/reset", data={"csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/api/labs/api-basics/messages").json()["messages"] == []


def test_reset_form_without_its_token_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    _ask(client, "api-basics", "What goes in the Authorization header?")
    response = client.post("/labs/api-basics/reset", data={"csrf_token": "forged"},
                           follow_redirects=False)
    assert response.status_code == 403
    assert client.get("/api/labs/api-basics/messages").json()["messages"]
    # A script on the page resets with JSON instead (the middleware checked its origin).
    assert client.post("/labs/api-basics/reset", json={},
                       follow_redirects=False).status_code == 303


def test_start_up_objects_are_frozen_out_of_the_garbage_collector(client) -> None:  # type: ignore[no-untyped-def]
    """The course and tutor index outlive every request; a full collection walking them
    stalled every reply in flight (bench/lab_chat.py), so start-up freezes them."""
    import gc

    from apilab.content import load_course

    assert gc.get_freeze_count() > 0
    course = load_course()
    assert gc.is_tracked(course)
    assert not any(obj is course for obj in gc.get_objects())
