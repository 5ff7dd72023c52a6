"""The reply the offline tutor is composing, and which objectives its tools exercise.

``Draft`` is the plain data the pipeline stages share: the message as read, what to
say (notes first, then parts), tools run, the card used, objectives covered, and the
*answer kind* the judge stage turns into "counts" or "why not". ``tutor.py`` turns it
into the final text and metadata.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import time
from typing import TYPE_CHECKING, Any

from apilab.assistant.base import Turn
from apilab.assistant.folds import without_folds
from apilab.content.models import Card

if TYPE_CHECKING:
    from apilab.assistant.offline.read import Reading
    from apilab.assistant.offline.retrieve import Match

__all__ = ["TOOL_LABS", "TOOL_OBJECTIVES", "Draft"]

# Which objective each tool exercises, per lab (only objectives the lab has are used).
TOOL_OBJECTIVES = {
    "estimate_cost": ("cost-estimation",),
    "count_tokens": ("token-counting",),
    "backoff_schedule": ("backoff-jitter",),
    "rate_capacity": ("rpm-tpm",),
    "read_headers": ("rpm-tpm", "backoff-jitter"),
    "explain_http_response": ("status-codes", "rpm-tpm"),
    "check_json": ("structured-output", "output-validation"),
    "scan_for_keys": ("incident-response", "leak-vectors"),
    "review_code": (),
    "review_prompt": ("system-prompts", "prompt-injection"),
    "review_retries": ("backoff-jitter", "status-codes"),
    "review_keys": ("key-storage", "leak-vectors"),
    "review_env": ("key-storage",),
    "review_request": ("request-anatomy",),
}
# Labs in which running a tool is itself on-topic.
TOOL_LABS = {
    "estimate_cost": {"rate-limits-cost"},
    "count_tokens": {"rate-limits-cost", "api-basics"},
    "backoff_schedule": {"rate-limits-cost", "api-basics"},
    "rate_capacity": {"rate-limits-cost"},
    "read_headers": {"rate-limits-cost", "api-basics"},
    "explain_http_response": {"api-basics", "rate-limits-cost"},
    "check_json": {"production-prompts", "api-basics"},
    "scan_for_keys": {"key-security"},
    "review_code": {"api-basics", "rate-limits-cost", "production-prompts", "key-security"},
    "review_prompt": {"production-prompts"},
    "review_retries": {"rate-limits-cost", "api-basics"},
    "review_keys": {"key-security"},
    "review_env": {"key-security"},
    "review_request": {"api-basics"},
}


@dataclasses.dataclass
class Draft:
    """A reply being composed: what to say, what was run, what it covered."""

    turn: Turn
    message: str
    reading: Reading | None = None
    notes: list[str] = dataclasses.field(default_factory=list)
    parts: list[str] = dataclasses.field(default_factory=list)
    tools: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    objectives: list[str] = dataclasses.field(default_factory=list)
    kind: str = ""  # the answer kind (judge.ANSWER_KINDS); empty until a stage decides
    on_lab_topic: bool = False  # the help given was about this lab
    card: Card | None = None
    understood: str | None = None  # what we took the question to be, when not obvious
    follow_up: str | None = None
    injection: tuple[str, ...] = ()
    continued: str | None = None  # the tutor's own question a "yes" picked up
    matches: list[Match] = dataclasses.field(default_factory=list)
    other_matches: list[Match] = dataclasses.field(default_factory=list)
    alternatives: list[str] = dataclasses.field(default_factory=list)  # folded card ids
    lab_vocabulary: int = 0  # how many of the lab's topic words the message uses
    why_not: str | None = None  # a reason that overrides the judge's default wording
    hints: list[str] = dataclasses.field(default_factory=list)  # words the message implies
    # A review asked for in so many words answered the whole message ("review my system
    # prompt: ..."): no card answer and no reading line after it.
    reviewed_as_asked: bool = False
    guided: bool = False  # a guided conversation asked its question: no "Next:" beside it
    # The learner's earlier question(s) a short follow-up leans on ("what about anthropic?").
    follows: str | None = None
    answering: bool = False  # ``follows`` is the tutor's own "Next:" question being answered
    # The learner says the answer given did not settle it ("still the same error").
    still_failing: bool = False
    # ``follows`` was set only because a longer question says "it" or "them": if the
    # question alone finds a good answer the conversation has not given, that answers it.
    weak_lean: bool = False
    _earlier_answers: str | None = dataclasses.field(default=None, repr=False)
    reading_said: bool = False  # a note already says which question is being answered

    @property
    def focus(self) -> str:
        """The learner's question, for retrieval and confidence (pasted material left out)."""
        if self.continued:
            return self.continued
        own = self.reading.focus if self.reading is not None and self.reading.focus.strip() \
            else self.message
        return f"{self.follows} {own}" if self.follows else own

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
            self.on_lab_topic = True

    def asked_before(self) -> str:
        """The learner's earlier messages in this lab, lower-cased, for "not again" checks."""
        return " ".join(c.lower() for r, c in self.turn.history if r in ("user", "learner"))

    def starter(self) -> str:
        """A starter question of this lab the learner has not asked yet."""
        asked = self.asked_before()
        for q in self.turn.lab.starter_questions:
            if q.lower()[:30] not in asked:
                return q
        return self.turn.lab.starter_questions[0]

    def last_reply(self) -> str:
        return next((c for r, c in reversed(self.turn.history) if r == "assistant"), "")

    def last_learner_message(self) -> str:
        return next((c for r, c in reversed(self.turn.history) if r in ("user", "learner")),
                    "")

    def answered_before(self, card: Card | None) -> bool:
        """Whether an earlier reply in this conversation gave ``card`` as its answer (a
        folded alternative the learner may not have opened does not count)."""
        if card is None or not self.turn.history:
            return False
        if self._earlier_answers is None:
            self._earlier_answers = " ".join(
                " ".join(without_folds(c).split()) for r, c in self.turn.history
                if r == "assistant")
        return answer_opening(card.answer) in self._earlier_answers


@functools.cache
def answer_opening(answer: str) -> str:
    """A card answer's first 160 characters, whitespace collapsed: how a reply that gave the
    card is recognised in the transcript (cached: every card may be checked per message)."""
    return " ".join(answer.split())[:160]


def lead_paragraph(answer: str) -> str:
    """A card answer's first paragraph on one line: its point, to restate."""
    return " ".join(answer.strip().split("\n\n")[0].split())


_WORD = re.compile(r"[a-z0-9_\-\.]+")


def lab_vocabulary(turn: Turn, text: str) -> int:
    """How many of this lab's topic / objective keywords the text uses."""
    phrases, singles, stems = _lab_keywords(turn.lab.id, tuple(
        [*turn.lab.topic_keywords, *(k for o in turn.lab.objectives for k in o.keywords)]))
    low = f" {text[:4000].lower()} "
    words = set(_WORD.findall(low))
    hits = {k for k in phrases if k in low} | (singles & words)
    # A long keyword also matches words it begins ("stream" -> "streaming").
    for word in words:
        for n in range(5, len(word) + 1):
            if word[:n] in stems:
                hits.add(word[:n])
    return len(hits)


@functools.cache
def _lab_keywords(lab_id: str, keywords: tuple[str, ...]) -> tuple[tuple[str, ...],
                                                                    frozenset[str],
                                                                    frozenset[str]]:
    lowered = [k.lower() for k in keywords]
    phrases = tuple(k for k in lowered if " " in k or not k.isalnum())
    singles = frozenset(k for k in lowered if k not in phrases)
    return phrases, singles, frozenset(k for k in singles if len(k) > 4)
