"""A model reply cut off mid-stream keeps its call id, so the inspector can still open it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from apilab.assistant.base import Accepted, Delta, ReplyDone, TextDelta, Turn
from apilab.assistant.exchange import run_exchange
from apilab.settings import Settings
from apilab.storage import conversations
from apilab.storage.db import open_database


class HangingModel:
    """A model backend that streams a little and then never finishes."""

    name = "fake-model"

    def __init__(self) -> None:
        self.seen_call_id: str | None = None

    async def respond(self, turn: Turn) -> AsyncIterator[TextDelta | ReplyDone]:
        self.seen_call_id = turn.call_id
        yield TextDelta("The key goes in ")
        await asyncio.sleep(3600)
        yield ReplyDone(text="never", backend=self.name)  # pragma: no cover


def test_cancelled_model_reply_is_interrupted_with_its_call_id(settings: Settings) -> None:
    db = open_database(settings.db_url)
    model = HangingModel()

    async def run() -> int:
        events = run_exchange(db, settings, learner="local", lab_id="api-basics",
                              message="What goes in the Authorization header?", assistant=model)
        accepted = await events.__anext__()
        assert isinstance(accepted, Accepted)
        assert isinstance(await events.__anext__(), Delta)
        task = asyncio.ensure_future(events.__anext__())
        await asyncio.sleep(0.05)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return accepted.reply_id

    reply_id = asyncio.run(run())
    assert model.seen_call_id and model.seen_call_id.startswith("call_")
    with db.session() as session:
        reply = conversations.get_message(session, reply_id)
        assert reply.status == "interrupted"
        assert reply.call_id == model.seen_call_id
        assert reply.content == "The key goes in "


def test_offline_replies_get_no_call_id(settings: Settings) -> None:
    db = open_database(settings.db_url)

    async def run() -> str | None:
        async for event in run_exchange(db, settings, learner="local", lab_id="api-basics",
                                        message="What goes in the Authorization header?"):
            if isinstance(event, ReplyDone | Delta):
                continue
            last = event
        return getattr(last, "call_id", None)

    assert asyncio.run(run()) is None
