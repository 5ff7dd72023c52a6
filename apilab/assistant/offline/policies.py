"""The business rules a learner states while planning a prompt ("refunds only within 14
days of delivery, max = order total, anything over 100 eur needs a human"), so the draft
prompt and the plan can quote them instead of a placeholder.

A clause is a rule when it uses a policy word ("only", "never", "max", "over", "within",
"needs a human", ...) and is specific: it has a number or one of the strong words. Clauses
are split at sentence ends, semicolons and top-level commas (not inside parentheses, so
"shipping (DE/AT only, 3-5 days, free over 60 eur)" stays one rule). Bounded: the first
``MAX_CHARS`` of each text, at most ``MAX_RULES`` rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["MAX_RULES", "policy_rules"]

MAX_RULES = 8
MAX_CHARS = 3000
MAX_RULE_CHARS = 160

_POLICY = re.compile(
    r"\b(?:only|never|must|max|maximum|at most|no more than|up to|over|above|under|below|"
    r"within|needs?\s{1,3}(?:a\s{1,3})?human|human\s{1,3}(?:review|approval)|requires?|"
    r"not\s{1,3}(?:for|allowed)|free\s{1,3}over|limit|allowed|forbidden|except)\b", re.I)
# Specific enough to quote: a number, or a word that is a rule by itself.
_SPECIFIC = re.compile(r"\d|\b(?:only|never|must|human)\b|\bmax(?:imum)?\s{0,3}[=:]", re.I)
# Said about the plan or the conversation, not about the feature ("with my numbers in it",
# "only the schema please", "max 2 questions").
_NOT_A_RULE = re.compile(r"\b(?:checklist|plan|draft|prompt|please|can you|could you|with my|"
                         # a complaint about the draft ("it says answer only from <docs> but
                         # we don't have docs"), not a rule of theirs
                         r"it says|you (?:said|wrote)|we don'?t have|"
                         r"tokens?|requests? (?:a|per) (?:minute|day)|rpm|tpm)\b|\?", re.I)
_LEAD = re.compile(r"^\s{0,3}(?:(?:and|but|also|so|policy|rules?|our rules?|i'?d (?:also )?like|"
                   r"i (?:also )?want|we (?:also )?(?:want|need)|the bot knows|it knows)\b\s{0,3}"
                   r"[:,-]?\s{0,3})+", re.I)


_FLAG_WHEN = re.compile(r"^(?:a\s{1,3})?flag\s{1,3}(?:when|if)\s{1,3}"
                        r"(?:the\s{1,3}bot\s{1,3}thinks\s{1,3})?(?:a\s{1,3})?human\s{1,3}should"
                        r"\s{1,3}take\s{1,3}over\s{0,3}", re.I)


def _clauses(text: str) -> Iterable[str]:
    """Sentences, semicolon parts and top-level comma parts of ``text``."""
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif ch in ".;\n!?" or (ch == "," and depth == 0):
            # A full stop inside a number ("1.5") is not a sentence end.
            if ch == "." and 0 < i < len(text) - 1 and text[i + 1].isdigit():
                continue
            yield text[start:i]
            start = i + 1
    yield text[start:]


def policy_rules(texts: Iterable[str]) -> list[str]:
    """The rules stated in ``texts`` (the learner's messages), in order, without repeats."""
    out: list[str] = []
    for text in texts:
        for clause in _clauses(text[:MAX_CHARS]):
            rule = _LEAD.sub("", " ".join(clause.split())).strip(" :-")
            # "a flag when the bot thinks a human should take over (...)": said as the rule.
            rule = _FLAG_WHEN.sub("hand over to a human when ", rule, count=1)
            if (len(rule.split()) < 2 or len(rule) > MAX_RULE_CHARS
                    or not _POLICY.search(rule) or not _SPECIFIC.search(rule)
                    or _NOT_A_RULE.search(rule)):
                continue
            if rule.lower() not in (r.lower() for r in out):
                out.append(rule)
            if len(out) >= MAX_RULES:
                return out
    return out
