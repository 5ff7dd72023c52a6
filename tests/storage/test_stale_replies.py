"""Start-up recovery of replies left streaming, alone and with a shared database."""

from __future__ import annotations

import datetime as dt

from apilab.storage import conversations
from apilab.storage.db import Database


def _streaming_reply(db: Database) -> int:
    with db.session() as session:
        learner = conversations.get_or_create_learner(session, "local")
        asked = conversations.add_learner_message(session, learner.id, "api-basics", "hi", {})
        return conversations.start_reply(session, learner.id, "api-basics", asked.id, "offline").id


def _status(db: Database, reply_id: int) -> str:
    with db.session() as session:
        return conversations.get_message(session, reply_id).status


def test_a_fresh_reply_survives_a_shared_sweep_but_not_a_single_server_restart(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 's.db'}")
    db.upgrade()
    reply_id = _streaming_reply(db)
    with db.session() as session:
        # Another process may still be streaming it: a shared sweep leaves it alone.
        assert conversations.mark_stale_replies_interrupted(
            session, older_than=dt.timedelta(minutes=5)) == 0
    assert _status(db, reply_id) == "streaming"
    with db.session() as session:
        assert conversations.mark_stale_replies_interrupted(session) == 1
    assert _status(db, reply_id) == "interrupted"
    db.dispose()
