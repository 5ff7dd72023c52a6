"""The conversations repository: learners, messages, replies, progress, reset, recovery."""

from __future__ import annotations

import pytest

from apilab.errors import NotFoundError
from apilab.settings import Settings
from apilab.storage import conversations
from apilab.storage.db import Database, open_database


@pytest.fixture
def db(settings: Settings) -> Database:
    return open_database(settings.db_url)


def _exchange(db: Database, learner_id: int, lab: str, text: str, counted: bool = True,
              objectives: list[str] | None = None) -> int:
    with db.session() as s:
        asked = conversations.add_learner_message(s, learner_id, lab, text)
        reply = conversations.start_reply(s, learner_id, lab, asked.id, "offline")
        reply_id = reply.id
    with db.session() as s:
        conversations.finish_reply(s, reply_id, content="answer", backend="offline",
                                   counted=counted, why_not_counted=None if counted else "no",
                                   objectives=objectives or [], meta={"card": "x"})
        conversations.record_exchange(s, learner_id, lab, counted=counted,
                                      objectives=objectives or [], min_exchanges=3)
    return reply_id


def test_learner_is_created_once(db: Database) -> None:
    with db.session() as s:
        first = conversations.get_or_create_learner(s, "local").id
    with db.session() as s:
        assert conversations.get_or_create_learner(s, "local").id == first
        assert conversations.get_or_create_learner(s, "someone-else").id != first


def test_messages_in_order_and_reply_links(db: Database) -> None:
    with db.session() as s:
        lid = conversations.get_or_create_learner(s, "local").id
    reply_id = _exchange(db, lid, "api-basics", "q1")
    with db.session() as s:
        msgs = conversations.list_messages(s, lid, "api-basics")
        assert [(m.role, m.status) for m in msgs] == [("learner", "complete"),
                                                      ("assistant", "complete")]
        reply = conversations.get_message(s, reply_id)
        assert reply.reply_to_id == msgs[0].id and reply.meta == {"card": "x"}
        assert msgs[0].counted is True  # the verdict is copied to the learner's message
        assert conversations.list_messages(s, lid, "key-security") == []
        with pytest.raises(NotFoundError):
            conversations.get_message(s, 10_000)


def test_completion_after_three_counted_and_it_stays(db: Database) -> None:
    with db.session() as s:
        lid = conversations.get_or_create_learner(s, "local").id
    _exchange(db, lid, "api-basics", "q1", objectives=["streaming"])
    _exchange(db, lid, "api-basics", "off", counted=False)
    _exchange(db, lid, "api-basics", "q2", objectives=["streaming", "status-codes"])
    with db.session() as s:
        row = conversations.get_progress(s, lid)["api-basics"]
        assert row.exchange_count == 2 and row.completed_at is None
        assert row.objectives_covered == ["streaming", "status-codes"]
    _exchange(db, lid, "api-basics", "q3")
    with db.session() as s:
        done = conversations.get_progress(s, lid)["api-basics"].completed_at
        assert done is not None
    _exchange(db, lid, "api-basics", "q4")
    with db.session() as s:
        row = conversations.get_progress(s, lid)["api-basics"]
        assert row.exchange_count == 4 and row.completed_at == done
        assert conversations.completed_iso(row).endswith("+00:00")


def test_repeat_checks_read_only_the_most_recent_counted_questions(db: Database) -> None:
    """Oldest first, at most COUNTED_LIMIT: the repeat check's cost stays bounded."""
    from sqlalchemy import insert

    from apilab.storage.models import Message

    with db.session() as s:
        lid = conversations.get_or_create_learner(s, "local").id
        extra = 5
        s.execute(insert(Message), [
            {"learner_id": lid, "lab_id": "api-basics", "role": "learner", "content": f"q{i}",
             "status": "complete", "counted": True}
            for i in range(conversations.COUNTED_LIMIT + extra)])
        s.execute(insert(Message), [{"learner_id": lid, "lab_id": "api-basics",
                                     "role": "learner", "content": "not counted",
                                     "status": "complete", "counted": False}])
    with db.session() as s:
        found = conversations.counted_questions(s, lid, "api-basics")
    assert len(found) == conversations.COUNTED_LIMIT
    assert found[0] == f"q{extra}" and found[-1] == f"q{conversations.COUNTED_LIMIT + extra - 1}"


def test_reset_clears_messages_keeps_completion(db: Database) -> None:
    with db.session() as s:
        lid = conversations.get_or_create_learner(s, "local").id
    for q in ("a", "b", "c"):
        _exchange(db, lid, "api-basics", q, objectives=["streaming"])
    _exchange(db, lid, "key-security", "k")
    with db.session() as s:
        assert conversations.reset(s, lid, "api-basics") == 6
    with db.session() as s:
        assert conversations.list_messages(s, lid, "api-basics") == []
        assert len(conversations.list_messages(s, lid, "key-security")) == 2
        row = conversations.get_progress(s, lid)["api-basics"]
        assert row.exchange_count == 0 and row.objectives_covered == []
        assert row.completed_at is not None
    with db.session() as s:
        assert conversations.reset(s, lid) == 2


def test_interrupted_and_stale_replies(db: Database) -> None:
    with db.session() as s:
        lid = conversations.get_or_create_learner(s, "local").id
        asked = conversations.add_learner_message(s, lid, "api-basics", "q")
        first = conversations.start_reply(s, lid, "api-basics", asked.id, "offline").id
        second = conversations.start_reply(s, lid, "api-basics", asked.id, "offline").id
    with db.session() as s:
        conversations.mark_reply_interrupted(s, first, content="partial text")
    with db.session() as s:
        assert conversations.mark_stale_replies_interrupted(s) == 1
    with db.session() as s:
        a = conversations.get_message(s, first)
        b = conversations.get_message(s, second)
        assert (a.status, a.content, a.counted) == ("interrupted", "partial text", False)
        assert b.status == "interrupted" and "server stopped" in b.why_not_counted
        assert conversations.mark_stale_replies_interrupted(s) == 0


@pytest.mark.postgres
def test_exchanges_on_postgres(settings: Settings) -> None:
    """The same repository and exchange flow on PostgreSQL (own schema, dropped after)."""
    import asyncio
    import uuid

    import sqlalchemy as sa

    from apilab.assistant.base import Completed
    from apilab.assistant.exchange import run_exchange
    from tests._services import require_postgres

    url = require_postgres()
    schema = "t_" + uuid.uuid4().hex[:10]
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        db = Database(url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}")
        db.upgrade()

        async def ask(message: str) -> Completed:
            events = [e async for e in run_exchange(db, settings, learner="local",
                                                    lab_id="rate-limits-cost",
                                                    message=message)]
            assert isinstance(events[-1], Completed)
            return events[-1]

        results = [asyncio.run(ask(q)) for q in ("RPM vs TPM?", "why add jitter to retries?",
                                                  "RPM vs TPM?", "What is prompt caching?")]
        assert [r.counted for r in results] == [True, True, False, True]
        assert results[-1].completed_at is not None and results[-1].exchange_count == 3
        with db.session() as s:
            lid = conversations.get_or_create_learner(s, "local").id
            assert conversations.reset(s, lid, "rate-limits-cost") == 8
        with db.session() as s:
            assert conversations.get_progress(s, lid)["rate-limits-cost"].completed_at
        db.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
