"""Find secrets in a string: the engine under the CLI, the web panel and learner-text redaction.

``find_secrets`` finds every rule keyword in one Aho-Corasick pass over the
lowercased text, runs only the rules whose keywords occur (a keyword-anchored
rule is tried only where its keyword is), lets ``filters.accept`` drop what is
not a secret (known example values, placeholders, low entropy, identifiers and
names that describe a secret), runs the same rules over the views from
``decode`` (joined string literals, decoded Kubernetes Secrets), keeps the most
confident of any overlapping hits and returns ``Finding`` objects. A finding never holds
the secret: only its position, its redacted form and a fingerprint, so any field
may be printed, logged or stored.

A fingerprint is a truncated HMAC-SHA256 of (rule, path, secret) under a key:
a plain hash of a weak password could be reversed offline by hashing guesses.
The key comes from ``fingerprint_key(...)`` around a scan (the CLI uses the
install's key, or a baseline file's own key so a team shares fingerprints; the
web uses the install's key) and is otherwise a random key per process, which
is enough for deduplicating within one run. ``LEGACY_KEY`` reproduces the
unkeyed SHA-256 of version-1 baseline files.

``redact_text`` is what every place a learner types uses before storing or
echoing text. It ignores inline ``apilab: allow`` markers, so a learner cannot
switch redaction off by typing them.
"""

from __future__ import annotations

import bisect
import contextlib
import contextvars
import dataclasses
import functools
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Iterator
from typing import Any

import ahocorasick_rs

from apilab.secretscan import decode, filters
from apilab.secretscan.filters import entropy
from apilab.secretscan.redact import redact
from apilab.secretscan.rules import RULES, TYPED_TEXT_RULES, Rule

__all__ = ["ALLOW_MARKER", "LEGACY_KEY", "Finding", "current_fingerprint_key", "entropy",
           "find_secrets", "fingerprint_key", "redact_text"]

# The empty key selects the unkeyed SHA-256 of version-1 baselines (matching only).
LEGACY_KEY = b""
_KEY: contextvars.ContextVar[bytes | None] = contextvars.ContextVar("fingerprint_key",
                                                                    default=None)


@functools.cache
def _process_key() -> bytes:
    return secrets.token_bytes(32)


def current_fingerprint_key() -> bytes:
    """The key fingerprints are made with here and now (handed to worker processes, so a
    finding has the same fingerprint whichever process found it)."""
    key = _KEY.get()
    return _process_key() if key is None else key


@contextlib.contextmanager
def fingerprint_key(key: bytes) -> Iterator[None]:
    """Fingerprints of findings made inside the block are HMACs under ``key``."""
    token = _KEY.set(key)
    try:
        yield
    finally:
        _KEY.reset(token)

ALLOW_MARKER = "apilab: allow"
# detect-secrets' pragma is honoured too, so projects moving over keep their markers.
_ALLOW_RE = re.compile(r"apilab:\s?allow|pragma: allowlist secret", re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class Finding:
    """One detected secret. Holds its position and redacted form, never the secret."""

    rule: str
    description: str
    line: int
    column: int
    start: int  # character offsets of the secret in the scanned text
    end: int
    confidence: float
    redacted: str
    fix: str
    fingerprint: str
    path: str | None = None
    commit: str | None = None  # set by history scans
    provider: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by every output (``--format json``, the web API)."""
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "description": self.description,
            "provider": self.provider,
            "confidence": self.confidence,
            "redacted": self.redacted,
            "fix": self.fix,
            "fingerprint": self.fingerprint,
            "commit": self.commit,
        }


def fingerprint(rule_id: str, path: str | None, secret: str) -> str:
    """An id for a finding that does not reveal the secret (64 bits of HMAC-SHA256).

    Stable for as long as the key is (see the module docstring).
    """
    message = f"{rule_id}\0{path or ''}\0{secret}".encode()
    key = _KEY.get()
    if key == LEGACY_KEY:
        return hashlib.sha256(message).hexdigest()[:16]
    return hmac.new(key or _process_key(), message, hashlib.sha256).hexdigest()[:16]


_Hit = tuple[int, int, Rule, str]  # start, end, rule, the secret (decoded for views)


class _Plan:
    """What the scanner derives once from a tuple of rules (built on first use, then kept).

    The keyword automaton, which rules each keyword wakes, the rules with no keyword
    (always run), the provider rules for joined literals and the provider prefixes.
    Kept by the tuple's identity: hashing ~140 rules on every call cost more than
    scanning a small file.
    """

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.rules = rules
        self.words = sorted({k for rule in rules for k in rule.keywords})
        self.automaton = ahocorasick_rs.AhoCorasick(self.words)
        by_word: dict[str, list[int]] = {}
        for i, rule in enumerate(rules):
            for k in rule.keywords:
                by_word.setdefault(k, []).append(i)
        self.by_word = {k: tuple(v) for k, v in by_word.items()}
        self.always = tuple(i for i, rule in enumerate(rules) if not rule.keywords)
        self.provider_rules = tuple(r for r in rules
                                    if not r.generic and r.id not in _NAME_RULES)
        self.prefix_words = frozenset(k for r in rules if not r.generic and r.key_keywords
                                      for k in r.keywords if len(k) >= 5)

    def positions(self, lower: str) -> dict[str, list[int]]:
        """Where each keyword occurs in ``lower`` (one pass for all of them)."""
        words = self.words
        found: dict[str, list[int]] = {}
        for index, start, _end in self.automaton.find_matches_as_indexes(lower,
                                                                         overlapping=True):
            word = words[index]
            if word in found:
                found[word].append(start)
            else:
                found[word] = [start]
        return found

    def woken(self, where: dict[str, list[int]]) -> list[Rule]:
        """The rules to run, in table order: those whose keywords occur, and keyword-less ones."""
        picked = set(self.always)
        for word in where:
            picked.update(self.by_word.get(word, ()))
        rules = self.rules
        return [rules[i] for i in sorted(picked)]


_PLANS: dict[int, _Plan] = {}
_NAME_RULES = frozenset({"sql-password", "url-query-secret"})


def _plan(rules: tuple[Rule, ...]) -> _Plan:
    plan = _PLANS.get(id(rules))
    if plan is None or plan.rules is not rules:
        if len(_PLANS) > 16:
            _PLANS.clear()
        plan = _PLANS[id(rules)] = _Plan(rules)
    return plan


def _keyword_positions(lower: str, rules: tuple[Rule, ...]) -> dict[str, list[int]]:
    """Where each keyword of ``rules`` occurs in ``lower`` (one pass for all of them)."""
    return _plan(rules).positions(lower)


def _matches(rule: Rule, text: str, lower: str, where: dict[str, list[int]]
             ) -> Iterable[re.Match[str]]:
    full = rule.regex
    # Lowercasing can change the length of some non-ASCII text; then offsets would not
    # line up, so fall back to the plain scan.
    aligned = len(lower) == len(text)
    if rule.keyword_anchored and aligned:
        skip_to = -1
        lists = [where[k] for k in rule.keywords if k in where]
        # One keyword's positions come sorted from the keyword pass; several are merged.
        positions = lists[0] if len(lists) == 1 else sorted({p for ps in lists for p in ps})
        for pos in positions:
            # A provider's token found again from inside itself would only overlap. For
            # name-anchored rules only an unquoted value is skipped ("PW:PW:PW:..." would
            # otherwise be re-read from every keyword); a quoted value may hold the real
            # name (key="DbPassword" value="...").
            if pos < skip_to:
                continue
            match = full.match(text, pos)
            if match:
                if not rule.generic:
                    skip_to = match.end()
                else:
                    name, group = filters.secret_group(match)
                    if name in ("u", "o", "x"):
                        skip_to = match.end(group)
                yield match
        return
    anchors = rule.anchor_regexes
    if not anchors or not aligned:
        yield from full.finditer(text)
        return
    if len(anchors) == 1:
        starts: Iterable[int] = (hit.start() for hit in anchors[0].finditer(lower))
    else:
        starts = sorted({hit.start() for anchor in anchors for hit in anchor.finditer(lower)})
    for start in starts:
        match = full.match(text, start)
        if match:
            yield match


def _candidates(text: str, rules: tuple[Rule, ...],
                where: dict[str, list[int]] | None = None, lower: str | None = None
                ) -> list[_Hit]:
    plan = _plan(rules)
    if lower is None:
        lower = text.lower()
    if where is None:
        where = plan.positions(lower)
    hits: list[_Hit] = []
    # The same near miss repeated thousands of times (hostile input) is judged once: the
    # verdict depends only on the match and the name before it (at most 80 characters).
    verdicts: dict[tuple[str, str, str, int, int], Rule | None] = {}
    for rule in plan.woken(where):
        for match in _matches(rule, text, lower, where):
            _name, group = filters.secret_group(match)
            start, end = match.span(group)
            origin = match.start()
            key = (rule.id, match.group(0), text[max(0, origin - 80):origin], start - origin,
                   end - origin)
            if key in verdicts:
                reported = verdicts[key]
            else:
                reported = verdicts[key] = filters.accept(rule, text, match, start, end)
            if reported is not None:
                hits.append((start, end, reported, text[start:end]))
    return hits


def _view_hits(text: str, rules: tuple[Rule, ...], where: dict[str, list[int]]
               ) -> list[_Hit]:
    """Hits in the decoded views, mapped back to spans of ``text``.

    Where a view's hit overlaps a hit in the text itself, the more confident one wins
    (``_resolve_overlaps``): a base64 value that a name made a generic secret becomes
    the provider key it decodes to.
    """
    extra: list[_Hit] = []
    # Joining literals costs a pass over every string in the file: only worth it where a
    # provider's prefix occurs (a split key keeps its prefix in the first piece).
    plan = _plan(rules)
    joined = not plan.prefix_words.isdisjoint(where)
    for make in ((decode.joined_view, decode.continuation_view, decode.manifest_view)
                 if joined else (decode.manifest_view,)):
        view = make(text)
        if view is None:
            continue
        # Joined literals feed the provider rules only: names next to a joined piece of
        # prose ("... pass" + "`x=1`") are not assignments.
        view_rules = rules if make is decode.manifest_view else plan.provider_rules
        for start, end, rule, secret in _candidates(view.text, view_rules):
            o_start, o_end = view.original(start, end)
            extra.append((o_start, o_end, rule, secret))
    return extra


def _resolve_overlaps(hits: list[_Hit]) -> list[_Hit]:
    """Keep the most confident (then longest) hit wherever hits overlap.

    Kept hits are disjoint, so their starts and ends stay sorted together and each new
    hit is checked against its two neighbours only (hostile text can hold many hits).
    """
    starts: list[int] = []
    ends: list[int] = []
    kept: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (-h[2].confidence, h[0] - h[1], h[0])):
        i = bisect.bisect_right(starts, hit[0])
        if i > 0 and ends[i - 1] > hit[0]:
            continue  # overlaps the kept hit that starts at or before it
        if i < len(starts) and starts[i] < hit[1]:
            continue  # overlaps the kept hit that starts after it
        starts.insert(i, hit[0])
        ends.insert(i, hit[1])
        kept.insert(i, hit)
    return kept


def find_secrets(
    text: str,
    path: str | None = None,
    *,
    allow_inline: bool | None = None,
    rules: Iterable[Rule] = RULES,
) -> list[Finding]:
    """Every secret in ``text``, in order of position.

    ``path`` (if given) is recorded on each finding and feeds its fingerprint.
    ``allow_inline`` honours ``apilab: allow`` comments on a finding's line; it
    defaults to True for files (``path`` given) and False for free text, so text
    a learner typed is always fully checked.
    """
    rules = tuple(rules)
    lower = text.lower()
    where = _plan(rules).positions(lower)
    hits = _candidates(text, rules, where, lower)
    hits.extend(_view_hits(text, rules, where))
    if not hits:
        return []
    if allow_inline is None:
        allow_inline = path is not None
    newlines = [i for i, ch in enumerate(text) if ch == "\n"] if "\n" in text else []
    findings: list[Finding] = []
    for start, end, rule, secret in _resolve_overlaps(hits):
        line_index = bisect.bisect_left(newlines, start)
        line_start = newlines[line_index - 1] + 1 if line_index else 0
        if allow_inline:
            line_end = newlines[line_index] if line_index < len(newlines) else len(text)
            if _ALLOW_RE.search(text, line_start, line_end):
                continue
        description = rule.description
        fix = rule.fix
        if path and _is_client_side(path):
            description += " in client-side code"
            fix = (
                "This file is shipped to browsers, where anyone can read the key: call the "
                "provider from your server instead. " + fix
            )
        findings.append(
            Finding(
                rule=rule.id,
                description=description,
                line=line_index + 1,
                column=start - line_start + 1,
                start=start,
                end=end,
                confidence=rule.confidence,
                redacted=redact(secret),
                fix=fix,
                fingerprint=fingerprint(rule.id, path, secret),
                path=path,
                provider=rule.provider,
            )
        )
    return findings


_CLIENT_SUFFIXES = (".js", ".jsx", ".mjs", ".ts", ".tsx", ".vue", ".svelte", ".html", ".htm")
_SERVER_HINTS = ("server", "api/", "backend", "functions/", "node_modules", ".config.")


def _is_client_side(path: str) -> bool:
    """JS/HTML that is likely shipped to browsers (not server code or build config)."""
    low = path.lower().replace("\\", "/")
    return low.endswith(_CLIENT_SUFFIXES) and not any(h in low for h in _SERVER_HINTS)


def _looks_random(token: str) -> bool:
    """Upper, lower and digits mixed: a key or a base64 blob, not a word or a hex hash."""
    return (any(c.isupper() for c in token) and any(c.islower() for c in token)
            and sum(c.isdigit() for c in token) >= 2)


# One tuple object for typed text: the scanner's plan (keyword automaton) is kept by the
# tuple's identity, and ``RULES + TYPED_TEXT_RULES`` per call rebuilt it for every message
# (about a third of the server's CPU per chat reply, measured with py-spy).
_TYPED_RULES: tuple[Rule, ...] = RULES + TYPED_TEXT_RULES


def redact_text(text: str) -> tuple[str, list[Finding]]:
    """``text`` with every secret replaced by its redacted form, and the findings.

    Inline allow markers are ignored here: this is for text people typed. The looser
    ``TYPED_TEXT_RULES`` apply too, so a truncated or unknown-format key is not echoed.
    """
    findings = [
        f for f in find_secrets(text, allow_inline=False, rules=_TYPED_RULES)
        if f.rule != "key-like-token" or _looks_random(text[f.start:f.end])
    ]
    if not findings:
        return text, []
    parts: list[str] = []
    last = 0
    for finding in findings:
        parts.append(text[last:finding.start])
        parts.append(finding.redacted)
        last = finding.end
    parts.append(text[last:])
    return "".join(parts), findings
