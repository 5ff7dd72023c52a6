"""The exchange hot path (Core statements) keeps the ORM repository's semantics."""

from __future__ import annotations

import pytest

from apilab.errors import NotFoundError
from apilab.settings import Settings
from apilab.storage import conversations
from apilab.storage.db import Database, open_database


@pytest.fixture
def db(settings: Settings) -> Database:
    return open_database(settings.db_url)


def _exchange(db: Database, handle: str, text: str, *, counted: bool = True,
              objectives: list[str] | None = None) -> tuple[int, list[str], str | None]:
    with db.engine.begin() as conn:
        lid = conversations.learner_id(conn, handle)
        asked, reply = conversations.start_exchange(conn, lid, "api-basics", text, {}, "offline")
    with db.engine.begin() as conn:
        conversations.complete_reply(
            conn, reply, asked, content="answer", backend="offline", counted=counted,
            why_not_counted=None if counted else "off-topic", objectives=objectives or [],
            meta={"card": "x"})
        return conversations.count_exchange(conn, lid, "api-basics", counted=counted,
                                            objectives=objectives or [], min_exchanges=3)


def test_learner_id_is_stable_and_rows_match_the_orm_view(db: Database) -> None:
    with db.engine.begin() as conn:
        first = conversations.learner_id(conn, "local")
        assert conversations.learner_id(conn, "local") == first
        assert conversations.learner_id(conn, "other") != first
    _exchange(db, "local", "q1", objectives=["streaming"])
    with db.session() as s:
        assert conversations.get_or_create_learner(s, "local").id == first
        asked, reply = conversations.list_messages(s, first, "api-basics")
        assert (asked.role, asked.status, asked.counted) == ("learner", "complete", True)
        assert (reply.status, reply.reply_to_id, reply.meta) == ("complete", asked.id,
                                                                {"card": "x"})
        assert reply.completed_at is not None and reply.objectives == ["streaming"]
    with db.engine.begin() as conn:
        assert conversations.recent_turns(conn, first, "api-basics", 40) == [
            ("learner", "q1", "complete"), ("assistant", "answer", "complete")]
        assert conversations.counted_questions(conn, first, "api-basics") == ["q1"]
        assert conversations.lab_objectives_covered(conn, first, "api-basics") == ["streaming"]


def test_progress_counts_merges_objectives_and_completes_once(db: Database) -> None:
    assert _exchange(db, "local", "off", counted=False) == (0, [], None)
    assert _exchange(db, "local", "q1", objectives=["a"]) == (1, ["a"], None)
    assert _exchange(db, "local", "q2", objectives=["a", "b"]) == (2, ["a", "b"], None)
    count, covered, done = _exchange(db, "local", "q3")
    assert (count, covered) == (3, ["a", "b"]) and done is not None and done.endswith("+00:00")
    assert _exchange(db, "local", "q4") == (4, ["a", "b"], done)  # completion is kept
    with db.session() as s:
        lid = conversations.get_or_create_learner(s, "local").id
        row = conversations.get_progress(s, lid)["api-basics"]
        assert row.exchange_count == 4 and conversations.completed_iso(row) == done


def test_completing_a_reply_that_was_reset_away_is_not_found(db: Database) -> None:
    with db.engine.begin() as conn:
        lid = conversations.learner_id(conn, "local")
        asked, reply = conversations.start_exchange(conn, lid, "api-basics", "q", {}, "offline")
    with db.session() as s:
        conversations.reset(s, lid, "api-basics")
    with db.engine.begin() as conn, pytest.raises(NotFoundError):
        conversations.complete_reply(conn, reply, asked, content="a", backend="offline",
                                     counted=True, why_not_counted=None, objectives=[], meta={})
