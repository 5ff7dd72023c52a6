"""The assistant interface every backend implements, and the events it yields.

A backend (the offline tutor, or a model behind the call layer) receives a
``Turn`` and yields ``TextDelta`` events as the reply is produced, then exactly
one ``ReplyDone``. The exchange service (``assistant/exchange.py``) owns
storage, redaction and completion; backends only produce the reply.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from apilab.content.models import Lab

__all__ = [
    "Accepted",
    "Assistant",
    "Completed",
    "Delta",
    "ExchangeEvent",
    "Failed",
    "ReplyDone",
    "TextDelta",
    "Turn",
]


@dataclasses.dataclass(frozen=True)
class Turn:
    """What a backend sees: the lab, the (already redacted) message, the history."""

    lab: Lab
    message: str
    history: list[tuple[str, str]]  # (role, content), oldest first, redacted
    objectives_covered: frozenset[str] = frozenset()
    learner_id: int | None = None
    # Extra lab state the assistant may coach on (e.g. the leak drill's stage).
    context: dict[str, Any] = dataclasses.field(default_factory=dict)
    # The call-layer record id a model backend must use, assigned up front so a reply
    # cut off mid-stream can still be opened in the API inspector.
    call_id: str | None = None


@dataclasses.dataclass(frozen=True)
class TextDelta:
    """A piece of the reply, in order."""

    text: str


@dataclasses.dataclass(frozen=True)
class ReplyDone:
    """The finished reply and what the backend knows about it."""

    text: str
    backend: str
    objectives: list[str] = dataclasses.field(default_factory=list)  # addressed by this reply
    on_topic: bool = True
    tools_used: list[str] = dataclasses.field(default_factory=list)
    call_id: str | None = None  # the call layer's record, for the API inspector
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)


class Assistant(Protocol):
    """A lab-assistant backend."""

    name: str

    def respond(self, turn: Turn) -> AsyncIterator[TextDelta | ReplyDone]:
        """Yield the reply as ``TextDelta`` events, then one ``ReplyDone``."""
        ...


# --- events of one exchange, as the web page and the CLI see them ---------


@dataclasses.dataclass(frozen=True)
class Accepted:
    """The learner's message is committed (stored redacted) and the reply has begun."""

    message_id: int
    reply_id: int
    content: str  # redacted learner text
    secret_detected: bool = False


@dataclasses.dataclass(frozen=True)
class Delta:
    """A piece of the assistant's reply."""

    text: str


@dataclasses.dataclass(frozen=True)
class Completed:
    """The reply is stored; completion state after this exchange."""

    reply_id: int
    reply: str
    counted: bool
    why_not_counted: str | None
    objectives_covered: list[str]
    exchange_count: int
    completed_at: str | None  # ISO time the lab was completed, if it is
    backend: str
    call_id: str | None = None
    # What the reply was (answer, dont-know, multi, ...) and the answer card it came from.
    answer_kind: str | None = None
    card: str | None = None
    # The earlier reply whose count this message took back ("no, I mean ..."), if any.
    retracted_reply_id: int | None = None


@dataclasses.dataclass(frozen=True)
class Failed:
    """The exchange could not finish; the message says what to do."""

    message: str
    reply_id: int | None = None


ExchangeEvent = Accepted | Delta | Completed | Failed
