"""The lab assistant: the offline tutor and model backends behind one interface."""

from apilab.assistant.base import (
    Accepted,
    Assistant,
    Completed,
    Delta,
    ExchangeEvent,
    Failed,
    ReplyDone,
    TextDelta,
    Turn,
)

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
