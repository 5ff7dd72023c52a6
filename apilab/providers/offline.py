"""The built-in offline tutor as a provider: the always-available last resort.

An ordinary registry entry with no key, no network and no cost. It answers the
last user message with ``OfflineTutor.compose`` for the call's lab (the
assistant passes its ``Turn`` in ``call.context["turn"]``; otherwise one is
built from ``call.lab`` and the messages), so a fallback chain ending in
``offline`` always produces a grounded reply. What the tutor did (cards,
tools, objectives) is returned in ``Result.raw`` for the inspector.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, ClassVar

from apilab.calls.base import Call, Chunk, Final, Result, StreamEvent, Usage
from apilab.errors import BadRequestError
from apilab.providers.base import Provider

if TYPE_CHECKING:
    from apilab.assistant.base import Turn
    from apilab.settings import Settings

__all__ = ["OfflineProvider", "register"]


class OfflineProvider(Provider):
    """Answers from the course with the offline tutor (in the server's tutor worker when one
    runs, see ``apilab.assistant.offline.workers``)."""

    name: ClassVar[str] = "offline"
    needs_key: ClassVar[bool] = False
    billable: ClassVar[bool] = False
    default_model: ClassVar[str] = "tutor"
    capabilities: ClassVar[frozenset[str]] = frozenset({"chat", "stream"})

    def __init__(self) -> None:
        from apilab.assistant.offline import OfflineTutor

        self.tutor = OfflineTutor()

    @classmethod
    def from_settings(cls, settings: Settings) -> OfflineProvider:
        return cls()

    def _turn(self, call: Call) -> Turn:
        turn = call.context.get("turn")
        if turn is not None:
            return turn  # type: ignore[no-any-return]
        from apilab.assistant.base import Turn
        from apilab.content import load_course

        if not call.lab:
            raise BadRequestError("The offline tutor answers within a lab; this call names none.",
                                  provider=self.name)
        lab = load_course().lab(call.lab)
        texts = [(m["role"], str(m.get("content") or "")) for m in call.messages
                 if m.get("role") in ("user", "assistant")]
        if not texts or texts[-1][0] != "user":
            raise BadRequestError("The offline tutor needs a learner message to answer.",
                                  provider=self.name)
        history = [("learner" if r == "user" else "assistant", t) for r, t in texts[:-1]]
        return Turn(lab=lab, message=texts[-1][1], history=history)

    async def _result(self, call: Call) -> Result:
        turn = self._turn(call)
        composed = await self.tutor.compose_async(turn)
        if call.record.request is None:  # keep the model request a fallback came from
            call.record.request = {"in_process": "OfflineTutor.compose", "lab": turn.lab.id,
                                   "message_chars": len(turn.message)}
        return Result(
            text=composed.text, provider=self.name, model="tutor", finish_reason="stop",
            usage=Usage(0, 0, exact=True),
            raw={"tutor": composed.meta, "objectives": composed.objectives,
                 "tools_used": composed.tools_used, "on_topic": composed.on_topic},
        )

    async def ahandle(self, call: Call) -> Result:
        return await self._result(call)

    async def astream(self, call: Call) -> AsyncIterator[StreamEvent]:
        from apilab.assistant.offline.tutor import chunk_words

        result = await self._result(call)
        for piece in chunk_words(result.text):
            call.record.streamed_text += piece
            yield Chunk(piece)
            await asyncio.sleep(0)
        yield Final(result)

    def describe(self) -> dict[str, Any]:
        return {"provider": self.name, "billable": False, "in_process": True}


def register(register: Any) -> None:
    """Register the adapter (the registry's callback)."""
    register(OfflineProvider.from_settings, ["offline"])
