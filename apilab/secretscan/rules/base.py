"""The ``Rule`` record and the regex pieces every rule module shares.

A rule is data: a pattern plus the checks that turn a regex hit into a finding.
This module owns the record and shared fragments (boundaries, the assignment
operator, the rotation advice); it holds no rule itself.
"""

from __future__ import annotations

import dataclasses
import re

__all__ = ["ASSIGN", "B", "E", "HIGH", "LOW", "MEDIUM", "NAMED_ASSIGN", "UUID", "Rule", "fix",
           "mixed_case"]

# Confidence bands (docs/secretscan.md, "Confidence"): a fixed marker or checksum in the
# key itself is HIGH; a provider's format recognised by its variable name or a loose
# prefix is MEDIUM; a name and entropy alone is LOW.
HIGH = 0.95
MEDIUM = 0.8
LOW = 0.6

# A key must not be glued to other key characters on either side; an escaped
# \n, \r or \t just before it (JSON strings, notebooks) still counts as a boundary.
# A terminal colour code just before it (ESC[93m in a log) counts as a boundary too.
B = r"(?:(?<![A-Za-z0-9_-])|(?<=\\[nrt])|(?<=\x1b\[\dm)|(?<=\x1b\[\d\dm))"
E = r"(?![A-Za-z0-9_-])"
# name, optional closing quote/bracket, an assignment operator, optional opening quote.
# (A "," is not an operator: in lists of strings it made every neighbour a "value".)
# A UUID in any case, for token bodies and their look-alike checks.
UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def mixed_case(chars: str, most: int) -> str:
    """Look-aheads: within ``most`` body characters there is a digit, a lower and an upper.

    Each look-ahead is bounded, so at one start position the cost is at most 3 x ``most``.
    """
    return "".join(rf"(?=[{chars}]{{0,{most}}}[{need}])" for need in ("0-9", "a-z", "A-Z"))


ASSIGN = r"""\\?["'`]?\]?\s{0,3}(?:=|:=|:|=>)\s{0,3}\\?["'`]?"""

# A provider's name, then up to 20 more name characters (spaces too: "deepgram token")
# and an assignment in any common syntax (=, :, :=, ::=, ?=, =>, ||, ==, a "," after a
# quoted name), as in the public rule sets of gitleaks and betterleaks; the name rules of
# rules/ai.py and rules/ai_platforms.py put it after ``(?i:<provider names>)``. Not when
# the name says the value is something else: a 40-hex value beside "deepgram" may be a
# commit, a 32-hex one beside "elevenlabs" a voice id.
NAMED_ASSIGN = (
    r"""(?![ \t\w.-]{0,20}?(?i:id|ids|sha|hash|commit|digest|version|voice)[\s'"`=:,])"""
    r"""[ \t\w.-]{0,20}[\s'"`\\\]]{0,4}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[`'"\s=\\]{0,5}"""
)

_ROTATE = (
    "Revoke this key now in {console}, then read its usage log for calls you did not make, "
    "create a new key, load it from the environment ({env}) or a secret manager, and remove "
    "the old one from the code and the git history."
)


def fix(console: str, env: str) -> str:
    """The standard rotation advice for a provider's key."""
    return _ROTATE.format(console=console, env=env)


@dataclasses.dataclass(frozen=True)
class Rule:
    """One detector: a pattern and the checks a hit must pass to become a finding.

    The secret is the first capturing group that matched (named groups starting
    with ``_`` are structure, not the secret), or the whole match when the pattern
    has no groups.
    """

    id: str
    description: str
    pattern: str
    keywords: tuple[str, ...]  # lowercase literals; the regex runs only if one is present
    confidence: float
    fix: str
    provider: str = ""
    ai_provider: bool = False  # an AI-provider key format (recall bar: 100%)
    min_entropy: float = 0.0  # Shannon bits/char of the secret, below which it is a placeholder
    prefix: str = ""  # the non-secret prefix shown when redacting
    show_suffix: bool = True  # whether redaction may show the last characters
    allow: tuple[str, ...] = ()  # documented example values that are not secrets
    generic: bool = False  # name-anchored rule: extra filters for identifiers and hashes
    # Optional speed-up: a case-sensitive regex run over the *lowercased* text to find
    # where ``pattern`` can start; the full pattern is then only tried at those points.
    # (Python's re is slow at case-insensitive alternations scanned over every position.)
    # Several anchors are each run and their hits merged: a regex that starts with one
    # literal character is scanned for at C speed, an alternation of two is not.
    anchor: str | tuple[str, ...] = ""
    flags: int = 0
    # Whether the placeholder filter (six identical characters, "example", ...) applies.
    # Off for private keys: every ssh-keygen key body holds "AAAAAA".
    placeholder_check: bool = True
    # When set, the placeholder checks read only the part after the last occurrence of
    # this separator: the parts before are public ids (a Slack token's team and user
    # numbers), where "1111111" is an upstream fixture's id, not a filler in the secret.
    placeholder_tail: str = ""
    # The pattern starts with one of ``keywords`` (case aside): try it only where a keyword
    # occurs instead of scanning the whole text (the keyword pass finds those places).
    keyword_anchored: bool = False
    # The keywords are the start of the key itself, which survives a split into string
    # pieces ("sk-ant-" + "..."): where one occurs, the scanner also joins literals. False
    # for rules whose keyword is a variable name or a header ("cursor", "authorization"),
    # so common words do not buy every file that pass.
    key_keywords: bool = True

    def __hash__(self) -> int:
        # Rule tuples key the scanner's caches on every scan; hashing every field of ~130
        # rules each time cost about a millisecond per chat message. Ids are unique.
        return hash(self.id)

    @property
    def regex(self) -> re.Pattern[str]:
        return _compiled(self.pattern, self.flags)

    @property
    def anchor_regexes(self) -> tuple[re.Pattern[str], ...]:
        anchors = (self.anchor,) if isinstance(self.anchor, str) else self.anchor
        return tuple(_compiled(a, 0) for a in anchors if a)


_CACHE: dict[tuple[str, int], re.Pattern[str]] = {}


def _compiled(pattern: str, flags: int) -> re.Pattern[str]:
    key = (pattern, flags)
    if key not in _CACHE:
        _CACHE[key] = re.compile(pattern, flags)
    return _CACHE[key]
