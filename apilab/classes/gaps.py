"""Group the questions the tutor could not answer (or hedged on) by what they ask.

This is the instructor's to-do list for new answer cards: "14 learners asked
how to set a key in GitHub Actions and the tutor did not know". Each question
is represented by the tutor's ``focus`` (the question part of the message, with
pasted material left out) or its text, embedded with the offline tutor's static
word vectors when the ``wordllama`` wheel is there and by content words
otherwise; groups form greedily (each question joins the most similar existing
group above a threshold, else starts one), which is linear in questions times
groups and bounded by ``MAX_QUESTIONS``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

__all__ = ["GAP_KINDS", "MAX_QUESTIONS", "group_questions"]

# The reply kinds that mean "the tutor had no good answer" (meta.answer_kind).
GAP_KINDS = ("dont-know", "hedged")
MAX_QUESTIONS = 2000
EMBED_THRESHOLD = 0.82
WORDS_THRESHOLD = 0.5


@dataclasses.dataclass
class _Group:
    vector: Any
    items: list[dict[str, Any]]


def _text(item: dict[str, Any]) -> str:
    return (item.get("focus") or item.get("question") or "").strip()[:500]


def _word_sets(texts: Sequence[str]) -> list[frozenset[str]]:
    from apilab.assistant.offline.text import content_terms, stem

    return [frozenset(stem(t) for t in content_terms(text)) for text in texts]


def group_questions(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Groups of similar questions, biggest first: a label, counts, learners, examples."""
    items = list(items)[:MAX_QUESTIONS]
    texts = [_text(i) for i in items]
    groups: list[_Group] = []
    vectors: Any
    try:
        from apilab.assistant.offline.semantic import embedder

        model = embedder()
    except Exception:  # noqa: BLE001 - grouping by words is a fine fallback
        model = None
    if model is not None and texts:
        vectors = model.embed(texts)
        threshold = EMBED_THRESHOLD
    else:
        vectors = _word_sets(texts)
        threshold = WORDS_THRESHOLD
    for item, vector in zip(items, vectors, strict=True):
        best, best_score = None, threshold
        for group in groups:
            score = _similarity(vector, group.vector)
            if score >= best_score:
                best, best_score = group, score
        if best is None:
            groups.append(_Group(vector, [item]))
        else:
            best.items.append(item)
    out = []
    for group in groups:
        learners = {i["learner_id"] for i in group.items}
        kinds: dict[str, int] = {}
        for i in group.items:
            kinds[i["kind"]] = kinds.get(i["kind"], 0) + 1
        labs = sorted({i["lab"] for i in group.items})
        out.append({
            "label": _text(group.items[0]) or "(empty question)",
            "count": len(group.items), "learners": len(learners), "kinds": kinds,
            "labs": labs,
            "examples": [_text(i) for i in group.items[:5]],
            "latest": max(i["at"] for i in group.items),
        })
    out.sort(key=lambda g: (-g["count"], -g["learners"], g["label"]))
    return out


def _similarity(a: Any, b: Any) -> float:
    if isinstance(a, frozenset):
        if not a or not b:
            return 1.0 if a == b else 0.0
        return len(a & b) / len(a | b)
    return float((a * b).sum())
