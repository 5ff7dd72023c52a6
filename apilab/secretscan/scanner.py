"""Find secrets in a string: the engine under the CLI, the web panel and learner-text redaction.

``find_secrets`` runs every rule in ``rules.RULES`` whose keywords occur in the
text, filters regex hits (known example values, placeholders, low entropy,
identifiers and hashes for the name-anchored rules), keeps the most confident
of any overlapping hits and returns ``Finding`` objects. A finding never holds
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
import math
import re
import secrets
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from apilab.secretscan.redact import KNOWN_PREFIXES, redact
from apilab.secretscan.rules import RULES, TYPED_TEXT_RULES, Rule

__all__ = ["ALLOW_MARKER", "LEGACY_KEY", "Finding", "entropy", "find_secrets",
           "fingerprint_key", "redact_text"]

# The empty key selects the unkeyed SHA-256 of version-1 baselines (matching only).
LEGACY_KEY = b""
_KEY: contextvars.ContextVar[bytes | None] = contextvars.ContextVar("fingerprint_key",
                                                                    default=None)


@functools.cache
def _process_key() -> bytes:
    return secrets.token_bytes(32)


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

# Substrings that mark a value as an example or a placeholder. Case-sensitive and
# at least 5 characters (or containing "_"), so a random key body contains one by
# chance with probability well under one in a million.
_PLACEHOLDER_MARKERS = (
    "EXAMPLE", "example", "Example", "YOUR_", "your_", "your-", "Your_", "_HERE", "_here",
    "PLACEHOLDER", "placeholder", "REDACTED", "redacted", "changeme", "CHANGEME", "dummy",
    "DUMMY", "sample", "SAMPLE", "notreal", "NOTREAL", "not_real", "fake_", "FAKE_", "fake-",
    "xxxx", "XXXX", "1234567", "abcdefg", "ABCDEFG", "<your", "<YOUR", "...", "…", "***",
    "12345", "abcdef",
)
_RUN = re.compile(r"(.)\1{5,}")  # six of the same character in a row
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_DOTTED_IDENT = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+(?:\(\))?")
_CONST_IDENT = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
_WORDS_IDENT = re.compile(r"[a-z]+(?:[_-][a-z]+)+")
_IDENT_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-$")

# Names that contain a secret-ish word but hold something public or structural.
_NOT_SECRET_NAME_WORDS = (
    "hash", "digest", "checksum", "sha1", "sha256", "sha512", "md5", "integrity", "etag",
    "public", "publishable", "pubkey", "pub_key", "url", "uri", "endpoint", "path", "file",
    "dir", "_env", "env_", "envvar", "_var", "name", "type", "count", "limit", "max", "min",
    "length", "size", "ttl", "expir", "header", "prefix", "format", "field", "label", "param",
    "usage", "tokenizer", "encoding", "cost", "price", "budget", "policy", "_id",
    "placeholder", "example", "hint", "fingerprint", "pattern", "regex", "rule",
)
_COMMON_DEFAULTS = frozenset({
    "password", "passw0rd", "postgres", "secret", "admin", "root", "guest", "changeme",
    "test", "testing", "example", "default", "123456", "12345678", "letmein", "qwerty",
    "username", "user", "pass", "mysql", "redis", "none", "null", "undefined", "required",
    "optional", "string", "hunter2", "tiger", "scott",
})
# Hosts that only appear in examples and local development.
_EXAMPLE_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "example.com", "example.org",
                  "example.net", "host", "hostname", "server")
# Values starting like a template, a path or a reference are not literals.
_BAD_STARTS = ("$", "%(", "{", "<", "/", "./", "~/")
_GENERIC_BAD_STARTS = (*_BAD_STARTS, "\\", "#", "@", "&", "[", "(", "%")


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


def entropy(value: str) -> float:
    """Shannon entropy of ``value`` in bits per character."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def fingerprint(rule_id: str, path: str | None, secret: str) -> str:
    """An id for a finding that does not reveal the secret (64 bits of HMAC-SHA256).

    Stable for as long as the key is (see the module docstring).
    """
    message = f"{rule_id}\0{path or ''}\0{secret}".encode()
    key = _KEY.get()
    if key == LEGACY_KEY:
        return hashlib.sha256(message).hexdigest()[:16]
    return hmac.new(key or _process_key(), message, hashlib.sha256).hexdigest()[:16]


def _is_placeholder(value: str) -> bool:
    return any(m in value for m in _PLACEHOLDER_MARKERS) or bool(_RUN.search(value))


def _body(secret: str) -> str:
    prefix = next((p for p in KNOWN_PREFIXES if secret.startswith(p)), "")
    return secret[len(prefix):]


def _name_before(text: str, match: re.Match[str]) -> str:
    """The identifier the name-anchored rule matched, extended left to its start."""
    i = match.start()
    while i > 0 and text[i - 1] in _IDENT_CHARS and match.start() - i < 80:
        i -= 1
    j = match.start()
    while j < match.end() and text[j] in _IDENT_CHARS:
        j += 1
    return text[i:j].lower()


def _generic_ok(rule: Rule, text: str, match: re.Match[str], secret: str) -> bool:
    """Extra filters for name-anchored rules, where the value may be anything."""
    if rule.id == "url-credentials":
        user = match.group(0).split("://", 1)[1].split(":", 1)[0]
        host = match.group(0).rsplit("@", 1)[1].lower()
        low = secret.lower()
        return not (
            low == user.lower() or low in _COMMON_DEFAULTS or "%20" in low
            or any(c in secret for c in "[]") or host.startswith(_EXAMPLE_HOSTS)
        )
    name = _name_before(text, match)
    if rule.id != "bearer-token" and any(w in name for w in _NOT_SECRET_NAME_WORDS):
        return False
    bad_starts = _BAD_STARTS if rule.id == "generic-password" else _GENERIC_BAD_STARTS
    if secret.startswith(bad_starts) or "://" in secret or "${" in secret:
        return False
    if secret.lower() in _COMMON_DEFAULTS or _UUID.fullmatch(secret):
        return False
    low = secret.lower()
    if any(word in low for word in ("password", "passwd", "secret", "token")):
        return False  # "some_password", "my-secret-here": a description, not a value
    if rule.id == "generic-password":
        return not _CONST_IDENT.fullmatch(secret)
    if (
        _DOTTED_IDENT.fullmatch(secret)
        or _CONST_IDENT.fullmatch(secret)
        or _WORDS_IDENT.fullmatch(secret)
    ):
        return False
    if any(c.isdigit() for c in secret):
        return True
    # Random tokens almost always hold a digit. Long mixed-case ones without are still
    # keys when quoted; unquoted they are usually type names (``token: TokenProvider``).
    quoted = match.start(match.lastindex or 0) > 0 and text[match.start(match.lastindex or 0)
                                                              - 1] in "\"'`"
    mixed_case = any(c.isupper() for c in secret) and any(c.islower() for c in secret)
    return quoted and len(secret) >= 24 and mixed_case


def _matches(rule: Rule, text: str, lower: str) -> Iterable[re.Match[str]]:
    anchor = rule.anchor_regex
    # Lowercasing can change the length of some non-ASCII text; then offsets would not
    # line up, so fall back to the plain scan.
    if anchor is None or len(lower) != len(text):
        yield from rule.regex.finditer(text)
        return
    full = rule.regex
    for hit in anchor.finditer(lower):
        match = full.match(text, hit.start())
        if match:
            yield match


def _candidates(text: str, rules: Iterable[Rule]) -> list[tuple[int, int, Rule]]:
    lower = text.lower()
    hits: list[tuple[int, int, Rule]] = []
    for rule in rules:
        if rule.keywords and not any(k in lower for k in rule.keywords):
            continue
        for match in _matches(rule, text, lower):
            group = next((i for i, g in enumerate(match.groups(), 1) if g is not None), 0)
            start, end = match.span(group)
            secret = text[start:end]
            if secret in rule.allow or _is_placeholder(secret):
                continue
            if rule.min_entropy and entropy(_body(secret)) < rule.min_entropy:
                continue
            if rule.generic and not _generic_ok(rule, text, match, secret):
                continue
            hits.append((start, end, rule))
    return hits


def _resolve_overlaps(hits: list[tuple[int, int, Rule]]) -> list[tuple[int, int, Rule]]:
    """Keep the most confident (then longest) hit wherever hits overlap."""
    kept: list[tuple[int, int, Rule]] = []
    for hit in sorted(hits, key=lambda h: (-h[2].confidence, h[0] - h[1], h[0])):
        if all(hit[1] <= k[0] or hit[0] >= k[1] for k in kept):
            kept.append(hit)
    return sorted(kept, key=lambda h: h[0])


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
    hits = _candidates(text, rules)
    if not hits:
        return []
    if allow_inline is None:
        allow_inline = path is not None
    newlines = [i for i, ch in enumerate(text) if ch == "\n"] if "\n" in text else []
    findings: list[Finding] = []
    for start, end, rule in _resolve_overlaps(hits):
        line_index = bisect.bisect_left(newlines, start)
        line_start = newlines[line_index - 1] + 1 if line_index else 0
        if allow_inline:
            line_end = newlines[line_index] if line_index < len(newlines) else len(text)
            if _ALLOW_RE.search(text, line_start, line_end):
                continue
        secret = text[start:end]
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


def redact_text(text: str) -> tuple[str, list[Finding]]:
    """``text`` with every secret replaced by its redacted form, and the findings.

    Inline allow markers are ignored here: this is for text people typed. The looser
    ``TYPED_TEXT_RULES`` apply too, so a truncated or unknown-format key is not echoed.
    """
    findings = [
        f for f in find_secrets(text, allow_inline=False, rules=RULES + TYPED_TEXT_RULES)
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
