"""Stage 5 of the offline tutor: did this reply give substantive help on the lab's topic?

Completion counts only real help. The tutor labels every reply with an *answer kind*
as it composes it; this module maps the kind (and whether the help was about this
lab) to the verdict the completion rules read (``ReplyDone.on_topic`` plus a reason
the page shows). Non-answers never count, whatever words they contain: "I don't
know", an off-topic redirect, small talk, a clarifying question with no content, a
note about instructions the tutor ignored, or a bare tool echo nobody asked for.
"""

from __future__ import annotations

import dataclasses

__all__ = ["ANSWER_KINDS", "Judgement", "judge_reply"]

# kind -> (substantive, reason shown when it does not count)
ANSWER_KINDS: dict[str, tuple[bool, str]] = {
    "answer": (True, ""),  # a card that fits the question
    "hedged": (True, ""),  # the closest card, with what we took the question to be
    "multi": (True, ""),  # one answer per part of a multi-part question
    "tool": (True, ""),  # a calculation or check the question asked for
    "explain": (True, ""),  # a pasted error or response explained
    "review": (True, ""),  # a review of pasted code / a system prompt / key handling
    "coach": (True, ""),  # a guided design conversation step that reacts to the learner
    "plan": (True, ""),  # the tailored plan at the end of a guided conversation
    "secret": (True, ""),  # a pasted key: the incident checklist (counts in Lab 2 only)
    "injection-answer": (True, ""),  # a question about prompt injection, answered
    "other-lab": (False, "it is a question for another lab; ask it there to count it"),
    "dont-know": (False, "the course notes had no answer, so the tutor said so"),
    "off-topic": (False, "it is not about this lab's topic"),
    "clarify": (False, "the tutor asked a clarifying question and gave no answer yet"),
    "small-talk": (False, "greetings, thanks and questions about the tutor don't count"),
    "continuation": (False, "a short reply like \u201cyes\u201d follows the tutor's question "
                            "but is not a question of your own"),
    "injection": (False, "the message only held instructions aimed at the tutor"),
    "echo": (False, "the reply only echoed a tool's generic output; ask a question about it"),
    "repeat": (False, "the answer was the one already given above; ask something new"),
    # The lines of an earlier answer that answer a follow-up: help, but the topic was
    # counted when that answer was given.
    "recap": (False, "the answer was in an earlier reply (the lines that apply are quoted); "
                     "ask something new to count it"),
    "declined": (False, "the tutor does not help with using keys that belong to someone else"),
}


@dataclasses.dataclass(frozen=True)
class Judgement:
    """Whether an exchange gave substantive help on this lab's topic, and why not."""

    counts: bool
    reason: str | None


def judge_reply(kind: str, on_lab_topic: bool, lab_title: str) -> Judgement:
    """The verdict for a reply of ``kind``; ``on_lab_topic`` says the help was this lab's."""
    substantive, reason = ANSWER_KINDS.get(kind, (False, "the reply was not an answer"))
    if not substantive:
        return Judgement(False, reason)
    if not on_lab_topic:
        return Judgement(False, f"the help was not about {lab_title}; ask about this lab's "
                                "topic to count it")
    return Judgement(True, None)
