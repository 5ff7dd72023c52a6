"""run_exchange: the storage contract behind the chat page and `apilab ask`."""

from __future__ import annotations

import asyncio
import random
import string
from collections.abc import AsyncIterator
from typing import Any

import pytest

from apilab.assistant.base import (
    Accepted,
    Completed,
    Delta,
    ExchangeEvent,
    Failed,
    ReplyDone,
    TextDelta,
    Turn,
)
from apilab.assistant.exchange import run_exchange
from apilab.errors import InvalidInputError, NotFoundError
from apilab.settings import Settings
from apilab.storage import conversations
from apilab.storage.db import Database, open_database
from tests.assistant._helpers import fake_openai_key


@pytest.fixture
def db(settings: Settings) -> Database:
    return open_database(settings.db_url)


def _run(db: Database, settings: Settings, message: str, lab: str = "api-basics",
         assistant: Any = None) -> list[ExchangeEvent]:
    async def go() -> list[ExchangeEvent]:
        return [e async for e in run_exchange(db, settings, learner="local", lab_id=lab,
                                              message=message, assistant=assistant)]

    return asyncio.run(go())


def _messages(db: Database, lab: str = "api-basics") -> list[Any]:
    with db.session() as s:
        learner = conversations.get_or_create_learner(s, "local")
        return list(conversations.list_messages(s, learner.id, lab))


class _Scripted:
    """A backend that streams two pieces, then waits, fails or finishes as told."""

    name = "scripted"

    def __init__(self, then: str = "finish", db: Database | None = None) -> None:
        self.then = then
        self.db = db
        self.seen: list[Any] = []
        self.turn: Turn | None = None

    async def respond(self, turn: Turn) -> AsyncIterator[TextDelta | ReplyDone]:
        self.turn = turn
        if self.db is not None:  # what is stored while the assistant runs?
            self.seen = [(m.role, m.status, m.content) for m in _messages(self.db)]
        yield TextDelta("Hello ")
        yield TextDelta("there. ")
        if self.then == "hang":
            await asyncio.sleep(3600)
        if self.then == "fail":
            raise RuntimeError("backend exploded")
        yield ReplyDone(text="Hello there. ", backend=self.name, objectives=["streaming"],
                        meta={"card": "x"})


def test_happy_path_events_and_storage(db: Database, settings: Settings) -> None:
    events = _run(db, settings, "How do I show the answer while it's being generated?")
    assert isinstance(events[0], Accepted)
    assert all(isinstance(e, Delta) for e in events[1:-1]) and len(events) > 3
    done = events[-1]
    assert isinstance(done, Completed)
    assert done.counted and done.why_not_counted is None and done.exchange_count == 1
    assert "streaming" in done.objectives_covered and done.backend == "offline"
    assert "".join(e.text for e in events[1:-1]) == done.reply
    asked, reply = _messages(db)
    assert (asked.role, asked.content, asked.counted) == (
        "learner", "How do I show the answer while it's being generated?", True)
    assert (reply.status, reply.content, reply.id) == ("complete", done.reply, done.reply_id)
    assert reply.meta["card"] and reply.meta["tools_used"] == []
    timing = reply.meta["timing_ms"]
    assert timing["total"] >= timing["first_delta"] >= timing["stored"] > 0


def test_message_is_committed_before_the_assistant_runs(db: Database,
                                                        settings: Settings) -> None:
    backend = _Scripted(db=db)
    _run(db, settings, "what is streaming?", assistant=backend)
    assert backend.seen == [("learner", "complete", "what is streaming?"),
                            ("assistant", "streaming", "")]


@pytest.mark.parametrize(
    ("lab", "message", "error"),
    [("no-such-lab", "hi", NotFoundError), ("api-basics", "   ", InvalidInputError),
     ("api-basics", "x" * 20_000, InvalidInputError)],
)
def test_bad_input_raises_before_storing(db: Database, settings: Settings, lab: str,
                                         message: str, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        _run(db, settings, message, lab=lab)
    assert str(info.value)
    assert _messages(db) == []


def test_pasted_key_is_stored_and_shown_redacted(db: Database, settings: Settings) -> None:
    key = fake_openai_key()
    events = _run(db, settings, f"I pasted my key {key} here, is that bad?", lab="key-security")
    accepted, done = events[0], events[-1]
    assert isinstance(accepted, Accepted) and accepted.secret_detected
    assert key not in accepted.content and key[-4:] in accepted.content
    assert isinstance(done, Completed) and key not in done.reply
    assert "revoke" in done.reply.lower()
    for message in _messages(db, "key-security"):
        assert key not in message.content and key not in str(message.meta)


def test_three_counted_exchanges_complete_the_lab(db: Database, settings: Settings) -> None:
    questions = ["What goes in the Authorization header?", "What's the best pizza in Rome?",
                 "Why does my chatbot forget what I said two messages ago?",
                 "what goes in the authorization header",
                 "what's the difference between a 429 and a 503?"]
    results = [_run(db, settings, q)[-1] for q in questions]
    assert all(isinstance(r, Completed) for r in results)
    counted = [r.counted for r in results]  # type: ignore[union-attr]
    assert counted == [True, False, True, False, True]
    assert "not about" in results[1].why_not_counted  # type: ignore[union-attr]
    assert "nearly repeats" in results[3].why_not_counted  # type: ignore[union-attr]
    assert results[2].completed_at is None  # type: ignore[union-attr]
    assert results[4].completed_at is not None  # type: ignore[union-attr]
    assert results[4].exchange_count == 3  # type: ignore[union-attr]


def test_history_and_covered_objectives_reach_the_backend(db: Database,
                                                          settings: Settings) -> None:
    _run(db, settings, "How do I show the answer while it's being generated?")
    backend = _Scripted()
    _run(db, settings, "and how does SSE end?", assistant=backend)
    assert backend.turn is not None
    assert [role for role, _ in backend.turn.history] == ["learner", "assistant"]
    assert "streaming" in backend.turn.objectives_covered


def test_closing_the_stream_marks_the_reply_interrupted(db: Database,
                                                        settings: Settings) -> None:
    async def go() -> None:
        events = run_exchange(db, settings, learner="local", lab_id="api-basics",
                              message="what is streaming?", assistant=_Scripted("hang"))
        assert isinstance(await events.__anext__(), Accepted)
        assert isinstance(await events.__anext__(), Delta)
        await events.aclose()

    asyncio.run(go())
    asked, reply = _messages(db)
    assert asked.status == "complete"
    assert (reply.status, reply.content, reply.counted) == ("interrupted", "Hello ", False)


def test_cancelling_the_task_marks_interrupted_and_propagates(db: Database,
                                                             settings: Settings) -> None:
    async def consume(started: asyncio.Event) -> None:
        async for event in run_exchange(db, settings, learner="local", lab_id="api-basics",
                                        message="what is streaming?",
                                        assistant=_Scripted("hang")):
            if isinstance(event, Delta):
                started.set()

    async def go() -> None:
        started = asyncio.Event()
        task = asyncio.create_task(consume(started))
        await started.wait()
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(go())
    reply = _messages(db)[1]
    assert reply.status == "interrupted" and reply.content == "Hello there. "


def test_backend_failure_yields_failed_and_keeps_the_message(db: Database,
                                                             settings: Settings) -> None:
    events = _run(db, settings, "what is streaming?", assistant=_Scripted("fail"))
    failed = events[-1]
    assert isinstance(failed, Failed) and "send it again" in failed.message
    assert "exploded" not in failed.message  # internals are logged, not shown
    asked, reply = _messages(db)
    assert asked.content == "what is streaming?"
    assert reply.status == "interrupted" and failed.reply_id == reply.id
    with db.session() as s:
        assert not conversations.get_progress(s, asked.learner_id)


def test_drill_state_reaches_the_key_security_turn(db: Database, settings: Settings) -> None:
    from decimal import Decimal

    from apilab.storage.models.drill import LeakDrill

    with db.session() as s:
        learner = conversations.get_or_create_learner(s, "local")
        s.add(LeakDrill(learner_id=learner.id, stage="leaked", leaked_key_id="k1",
                        credit_usd=Decimal("1.5")))
    backend = _Scripted()
    _run(db, settings, "what now?", lab="key-security", assistant=backend)
    assert backend.turn is not None and backend.turn.context["drill"]["stage"] == "leaked"
    events = _run(db, settings, "what now?", lab="key-security")
    assert "Leak drill" in events[-1].reply  # type: ignore[union-attr]


def test_control_characters_are_dropped(db: Database, settings: Settings) -> None:
    events = _run(db, settings, "what is\x00 streaming?\x07")
    assert isinstance(events[0], Accepted) and events[0].content == "what is streaming?"
    with pytest.raises(InvalidInputError):
        _run(db, settings, "\x00\x01")


def test_key_shaped_strings_are_redacted_too(db: Database, settings: Settings) -> None:
    # Not the exact published format (no marker), still never stored or echoed in chat.
    odd = "sk-" + "proj-" + "".join(random.choices(string.ascii_letters + string.digits, k=90))
    events = _run(db, settings, f"is this ok: {odd} ?", lab="key-security")
    assert isinstance(events[0], Accepted) and events[0].secret_detected
    assert odd not in events[0].content and odd not in events[-1].reply  # type: ignore[union-attr]
    assert all(odd not in m.content for m in _messages(db, "key-security"))
    assert "sk-proj-" in events[0].content  # the redacted form keeps the prefix


def test_a_correction_takes_back_the_count_of_the_answer_before(db: Database,
                                                                settings: Settings) -> None:
    """QA15/16: wrong answers counted toward completion; "no, I mean ..." says one missed."""
    from apilab.assistant.completion import corrects_last_answer

    assert corrects_last_answer("no, I mean the error type says insufficient_quota")
    assert corrects_last_answer("that's not what I asked")
    assert not corrects_last_answer("no")  # answers "Do you have a cap?"
    assert not corrects_last_answer("no cap yet, not sure")
    first = _run(db, settings, "How do I show the answer while it's being generated?")[-1]
    assert isinstance(first, Completed) and first.counted and first.exchange_count == 1
    second = _run(db, settings, "no, I mean what does the 429 status code mean?")[-1]
    assert isinstance(second, Completed) and second.retracted_reply_id == first.reply_id
    # The first no longer counts (and its objective is gone); the second does.
    assert second.counted and second.exchange_count == 1
    assert "streaming" not in second.objectives_covered
    earlier = {m.id: m for m in _messages(db)}[first.reply_id]
    assert earlier.counted is False and "taken back" in (earlier.why_not_counted or "")
    # Only the reply just before: a second correction has nothing counted to take back
    # beyond the answer it follows.
    third = _run(db, settings, "that's not what I asked")[-1]
    assert isinstance(third, Completed) and third.retracted_reply_id == second.reply_id


def test_a_completed_lab_keeps_its_counts_after_a_correction(db: Database,
                                                              settings: Settings) -> None:
    for q in ["What goes in the Authorization header?",
              "Why does my chatbot forget what I said two messages ago?",
              "what's the difference between a 429 and a 503?"]:
        done = _run(db, settings, q)[-1]
    assert isinstance(done, Completed) and done.completed_at is not None
    after = _run(db, settings, "no, I mean what is a 401?")[-1]
    assert isinstance(after, Completed) and after.retracted_reply_id is None
    assert after.completed_at == done.completed_at


def test_more_ways_to_say_the_answer_missed() -> None:
    from apilab.assistant.completion import corrects_last_answer

    for said in ("thats not my numbers though. 2000 students x 20 messages/day",
                 "thats streaming again. i asked about retries",
                 "that didnt answer my question", "I asked about anthropic, not openai",
                 "you didnt answer my question lol. is revoking enough",
                 "no not api keys. i mean the refund tool the model can call",
                 "huh? i dont have any tools. i asked you to write a system prompt",
                 "thats openai though? i said claude"):
        assert corrects_last_answer(said), said
    for said in ("that works thanks", "no", "not yet", "no idea",
                 "not sure, i said yes to the cap earlier",  # an answer, not a complaint
                 "that's great. i mean it, thanks"):
        assert not corrects_last_answer(said), said
