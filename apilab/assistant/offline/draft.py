"""The reply the offline tutor is composing, and which objectives its tools exercise.

``Draft`` collects notes, parts, tools run and objectives while the tutor works
through a message; ``tutor.py`` turns it into the final text and metadata.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from apilab.assistant.base import Turn
from apilab.content.models import Card

__all__ = ["TOOL_LABS", "TOOL_OBJECTIVES", "Draft"]

# Which objective each tool exercises, per lab (only objectives the lab has are used).
TOOL_OBJECTIVES = {
    "estimate_cost": ("cost-estimation",),
    "count_tokens": ("token-counting",),
    "backoff_schedule": ("backoff-jitter",),
    "explain_http_response": ("status-codes", "rpm-tpm"),
    "check_json": ("structured-output", "output-validation"),
    "scan_for_keys": ("incident-response", "leak-vectors"),
}
# Labs in which running a tool is itself on-topic.
TOOL_LABS = {
    "estimate_cost": {"rate-limits-cost"},
    "count_tokens": {"rate-limits-cost", "api-basics"},
    "backoff_schedule": {"rate-limits-cost", "api-basics"},
    "explain_http_response": {"api-basics", "rate-limits-cost"},
    "check_json": {"production-prompts", "api-basics"},
    "scan_for_keys": {"key-security"},
}


@dataclasses.dataclass
class Draft:
    """A reply being composed: what to say, what was run, what it covered."""

    turn: Turn
    message: str
    notes: list[str] = dataclasses.field(default_factory=list)
    parts: list[str] = dataclasses.field(default_factory=list)
    tools: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    objectives: list[str] = dataclasses.field(default_factory=list)
    on_topic: bool = False
    intent: str = "question"
    card: Card | None = None
    follow_up: str | None = None
    show_note: bool = False
    topic_reason: str | None = None
    injection: tuple[str, ...] = ()
    pending_codes: list[int] = dataclasses.field(default_factory=list)
    continued: str | None = None  # the tutor's own question a "yes" picked up

    def add_objectives(self, ids: tuple[str, ...] | list[str]) -> None:
        valid = {o.id for o in self.turn.lab.objectives}
        for oid in ids:
            if oid in valid and oid not in self.objectives:
                self.objectives.append(oid)

    def ran(self, name: str, args: dict[str, Any], started: float) -> None:
        self.tools.append({"name": name, "args": args,
                           "ms": round((time.perf_counter() - started) * 1000, 3)})
        self.add_objectives(TOOL_OBJECTIVES.get(name, ()))
        if self.turn.lab.id in TOOL_LABS.get(name, set()):
            self.on_topic = True
