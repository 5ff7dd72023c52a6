"""Completion rules: does an exchange count, and which objectives did it cover?

An exchange counts when the reply finished, the message was on-topic for the
lab (the backend says so in ``ReplyDone.on_topic``) and it is not a near-repeat
of an earlier learner message in that lab. A lab is complete after
``lab.min_exchanges`` counted exchanges; storing the completion time and
keeping a completed lab complete is the repository's job
(``storage.conversations.record_exchange``). Every "no" comes with a reason the
page shows to the learner.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from apilab.assistant.base import ReplyDone
from apilab.content.models import Lab

if TYPE_CHECKING:
    from apilab.storage.db import Database

__all__ = [
    "REPEAT_THRESHOLD",
    "Verdict",
    "judge",
    "near_repeat",
    "normalise",
    "objectives_by_keywords",
]

# Word-set similarity at or above which a message is a near-repeat.
REPEAT_THRESHOLD = 0.8
_WORD = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")
_FILLER_WORDS = "a an the please pls can could would you me i my again so um uh hey hi ok okay just"
_FILLER = frozenset(_FILLER_WORDS.split(" "))


@dataclasses.dataclass(frozen=True)
class Verdict:
    """Whether one exchange counts, why not, and the objectives it covered."""

    counted: bool
    why_not_counted: str | None
    objectives: list[str]
    repeat_of: str | None = None
    similarity: float | None = None


def normalise(text: str) -> list[str]:
    """Lowercase words without filler, for comparing messages."""
    return [w for w in _WORD.findall(text.lower()) if w not in _FILLER]


def _similarity(a: list[str], b: list[str]) -> float:
    if not a or not b:
        return 1.0 if a == b else 0.0
    sa, sb = set(a), set(b)
    jaccard = len(sa & sb) / len(sa | sb)
    # Word order matters less than word choice, but "429 vs 503" and "503 vs 429" are the
    # same question; a sequence ratio catches rewordings with one word changed.
    seq = difflib.SequenceMatcher(a=a, b=b, autojunk=False).ratio()
    # Different numbers make a different question ("cost of 2M" vs "cost of 5M").
    if {w for w in sa if w[0].isdigit()} != {w for w in sb if w[0].isdigit()}:
        return min(jaccard, seq, 0.79)
    return max(jaccard, seq if min(len(a), len(b)) >= 4 else jaccard)


def _could_repeat(a: list[str], counts: Counter[str], b: list[str]) -> bool:
    """A cheap upper bound: can ``_similarity(a, b)`` reach ``REPEAT_THRESHOLD`` at all?

    difflib's ratio is 2M / (len(a) + len(b)) with M matched words, at most the size of the
    multiset intersection; Jaccard is cheap to compute exactly. A learner
    with hundreds of counted questions (or a shared server without identities, where every
    message is the one local learner's) would otherwise run difflib against every one of
    them on each message.
    """
    if not a or not b:
        return True
    other = Counter(b)
    # counts.keys() and other.keys() are the two word sets.
    common = len(counts.keys() & other.keys())
    if common / (len(counts) + len(other) - common) >= REPEAT_THRESHOLD:
        return True
    shared = sum((counts & other).values())
    return 2 * shared / (len(a) + len(b)) >= REPEAT_THRESHOLD


def near_repeat(message: str, earlier: Iterable[str]) -> tuple[str, float] | None:
    """The earlier message this one nearly repeats, with the similarity, or ``None``."""
    words = normalise(message)
    counts = Counter(words)
    best: tuple[str, float] | None = None
    for previous in earlier:
        other = normalise(previous)
        if not _could_repeat(words, counts, other):
            continue
        score = _similarity(words, other)
        if score >= REPEAT_THRESHOLD and (best is None or score > best[1]):
            best = (previous, score)
    return best


def _shorten(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# "no, I mean ...", "that's not what I asked", "you misunderstood": the learner says the last
# answer missed. A bare "no" is not one (it answers "Do you have a spending cap?").
# Anchored at the start and bounded.
_CORRECTION = re.compile(
    r"^\W{0,3}(?:(?:no+|nope|nah|not really|sorry|hmm+|um+|wait|huh|what)[\s,.!?]{1,4}){0,2}"
    r"(?:(?:no|not)\s{1,3})?(?:i\s{1,3}(?:mean|meant)\b|that'?s not (?:what i (?:asked|meant|"
    r"mean)|my question|my numbers|it|right)\b|thats not (?:what i|my|it|right)\b|"
    r"not what i (?:asked|meant|mean)\b|you misunderstood\b|you misread\b|"
    r"wrong (?:answer|card|topic)\b|that (?:doesn'?t|does not|didn'?t|did not) answer\b|"
    r"you (?:didn'?t|did not|never) (?:answer|read)\b|you (?:ignored|missed) (?:my|the)\b|"
    r"that'?s [\w\s]{1,20}? again\b[^\n]{0,30}\bi asked\b|"
    # "i dont have any tools. i asked you to write a system prompt": one short sentence
    # may come first.
    r"(?:[\w\s',-]{1,40}?[.;!?]\s{1,3})?i asked (?:you\s{1,3})?(?:about|for|how|to|if|"
    r"whether)\b|"
    # "no not api keys. i mean the refund tool", "thats openai though? i said claude"
    r"not\s{1,3}(?!sure\b|yet\b|really\b|much\b)[\w\s'-]{1,30}?[.,;!?-]{1,3}\s{0,3}i\s{1,3}"
    r"(?:mean|meant|asked|said)\b|"
    r"that'?s\s{1,3}[\w\s'-]{1,30}?[.,;!?-]{1,3}\s{0,3}i\s{1,3}(?:asked|said)\b)",
    re.I)


def corrects_last_answer(message: str) -> bool:
    """Whether the learner says the previous answer missed their question (its count is then
    taken back, see ``apilab.storage.conversations.retract_last_count``)."""
    return _CORRECTION.match(message[:200]) is not None


def judge(lab: Lab, message: str, done: ReplyDone, earlier: Iterable[str]) -> Verdict:
    """The verdict on one finished exchange.

    ``earlier`` holds the learner's earlier messages in this lab whose
    exchanges counted (repeating a message whose reply was interrupted is a
    retry, not a repeat).
    """
    valid = {o.id for o in lab.objectives}
    objectives = [o for o in dict.fromkeys(done.objectives) if o in valid]
    # A repeated question first: its reason says more than the reply's own verdict.
    repeat = near_repeat(message, earlier)
    if repeat is not None:
        previous, score = repeat
        return Verdict(
            False,
            f"Not counted: this nearly repeats your earlier question \u201c{_shorten(previous)}"
            f"\u201d ({score:.0%} similar). Ask something new to count an exchange.",
            [], repeat_of=previous, similarity=round(score, 3),
        )
    if not done.on_topic:
        reason = done.meta.get("topic_reason") if isinstance(done.meta, dict) else None
        why = (f"Not counted: {reason}." if reason
               else f"Not counted: the message was not about {lab.title}.")
        return Verdict(False, why + " Ask a question on this lab's topic to count an exchange.",
                       [])
    if not objectives:
        # A backend that does not tag objectives (a model) still earns the ones its
        # message plainly names.
        objectives = objectives_by_keywords(lab, message)
    return Verdict(True, None, objectives)


def objectives_by_keywords(lab: Lab, text: str) -> list[str]:
    """Objectives whose keywords appear in ``text`` (at least two, or one multi-word one)."""
    low = f" {text.lower()} "
    words = set(_WORD.findall(low))
    found = []
    for obj in lab.objectives:
        hits = 0
        for kw in obj.keywords:
            k = kw.lower()
            if " " in k or not k.replace("_", "").isalnum():
                hits += 2 if k in low else 0
            elif k in words:
                hits += 1
        if hits >= 2:
            found.append(obj.id)
    return found


def progress_report(db: Database, learner: str) -> dict[str, Any]:
    """Each lab's counted exchanges, objectives covered and completion (CLI and web)."""
    from apilab.content import load_course
    from apilab.storage import conversations

    course = load_course()
    with db.session() as session:
        learner_row = conversations.get_or_create_learner(session, learner)
        rows = conversations.get_progress(session, learner_row.id)
        labs = []
        for lab in course.labs:
            row = rows.get(lab.id)
            labs.append({
                "lab": lab.id,
                "title": lab.title,
                "exchange_count": row.exchange_count if row else 0,
                "min_exchanges": lab.min_exchanges,
                "objectives_covered": list(row.objectives_covered or []) if row else [],
                "objectives_total": len(lab.objectives),
                "completed": bool(row and row.completed_at),
                "completed_at": conversations.completed_iso(row),
            })
    return {"learner": learner, "labs": labs}
