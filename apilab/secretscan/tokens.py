"""Checks for the generic prefixed-token rule (``rules/prefixed.py``): prefix and body.

A hit of that rule is a separator and a body of 28+ letters and digits; it is a key when

- the text before the separator is a vendor prefix: a lowercase segment of 2 to 12
  characters, then up to two more of letters or digits (``abcd``, ``abcd-live``,
  ``live_1260311``; a single two-letter segment only for ``sk``); not a hash algorithm, a
  public-key, test or placeholder word, a file/asset word or the prefix of an object id
  AI APIs hand out openly (``msg_``, ``toolu_``, ``chatcmpl-``); not a prefix a provider
  rule owns (``reserved_prefixes``) or that one with its first letter changed, added or
  dropped (``bsk-`` for Cerebras' ``csk-``); not after ``sha256=``; and not continuing an
  identifier, a path, a URL or an e-mail address (the character before it is not a
  letter, digit, ``_``, ``-``, ``.``, ``/``, ``\\``, ``:``, ``@``, ``$``, ``#``, ``%``,
  ``~`` or ``+``); a URL-safe body may hold ``_`` or ``-`` itself, so when a short
  chunk with an upper-case letter stands between such a prefix and the body
  (``abc_sa_sk_Q1xy_<35>``), the prefix is read before it, and must then hold a credential
  word (``sk``, ``key``, ``live``...): pieces of a base64url blob do not;
- the body is random: 28+ characters of upper case, lower case and digits mixed with
  frequent changes of kind (camelCase words change kind rarely); or 32+ lowercase
  letters and digits that are not hex (base36), or hex under a prefix with a credential
  word (``key``, ``live``, ``token``, ``sk``...), since ``build-<hex>`` and
  ``cache_<hex>`` are everywhere; never the alphabet in order (``aAbBcC``, ``abcd1234``).

Pure functions over strings; no I/O.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

__all__ = ["entropy", "prefixed_token_ok", "reserved_prefixes"]

_PREFIX = re.compile(
    r"(?:^|(?<=[^A-Za-z0-9_\-./\\:@$#%~+]))([a-z][a-z0-9]{1,11}(?:[_-][a-z0-9]{1,12}){0,2})\Z")
# A body in URL-safe base64 holds "_" and "-" itself (two in three random 40-character
# bodies do), so the rule's last run may follow a chunk of the body, not the prefix: the
# prefix is then read before that chunk ("mdb_sa_sk_" in "mdb_sa_sk_BdIX_<35>"), and must
# hold a credential word. The chunk holds an upper-case letter, so it is not one more
# lowercase segment of the prefix.
_PREFIX_CHUNKED = re.compile(
    r"(?:^|(?<=[^A-Za-z0-9_\-./\\:@$#%~+]))([a-z][a-z0-9]{1,11}(?:[_-][a-z0-9]{1,12}){0,2})"
    r"[_-]((?=[a-z0-9]{0,15}[A-Z])[A-Za-z0-9]{1,16}(?:[_-][A-Za-z0-9]{1,16}){0,2})\Z")
# First segments that are not a vendor: hashes and digests (sha256-<base64>), public and
# test markers, and words for files, assets, ids and builds.
_NOT_VENDOR = frozenset({
    "sha", "sha1", "sha224", "sha256", "sha384", "sha512", "md5", "crc32", "blake2b", "h1",
    "pk", "pub", "public", "publishable", "test", "tests", "example", "sample", "fake",
    "dummy", "mock", "data", "base64", "b64", "img", "image", "icon", "file", "files", "id",
    "uid", "uuid", "guid", "hash", "blob", "commit", "rev", "build", "chunk", "css", "js",
    "src", "asset", "assets", "static", "cache", "tmp", "temp", "v1", "v2", "v3", "ref",
    "refs", "node", "type", "font", "class", "style", "block", "nonce", "salt", "seed",
    "checksum", "digest", "integrity", "signature", "sig", "hmac", "fingerprint", "req",
    "request", "trace", "span", "session", "msg", "message", "user", "org", "project",
    "team", "acct", "account", "cus", "cust", "customer", "price", "prod", "product", "sub",
    "inv", "invoice", "pi", "ch", "txn", "evt", "event", "job", "run", "task", "obj",
    # object ids that AI APIs hand out openly (messages, tool calls, files, runs)
    "toolu", "srvtoolu", "wrkspc", "msgbatch", "chatcmpl", "cmpl", "call", "asst",
    "thread", "batch", "resp", "ft", "ftjob", "vs", "proj", "sess", "compl", "conv", "item",
    "rs", "fc", "ws", "agent", "skill", "vault", "env", "deploy", "mem",
    # placeholder words: "foo_" + random is a test's made-up token
    "foo", "bar", "baz", "qux", "quux", "demo", "my", "your", "some", "any", "xxx", "abc",
    "invalid", "bad", "wrong",
})
# A hash given as "sha256=<urlsafe base64>" (wheel RECORD files, SRI) holds "_" and "-":
# a piece of it after one of them is not a token.
_HASH_BEFORE = re.compile(r"(?i:sha\d*|md5|hash|digest|integrity|checksum|h1)\s{0,2}[=:]\s{0,2}\Z")
# Placeholders made of the alphabet in order ("aAbBcCdD...", "abcd1234efgh5678...").
_ALPHABET_RUN = re.compile(r"(?:a+b+c+d+e+|b+c+d+e+f+|0+1+2+3+4+|f+g+h+i+j+|k+l+m+n+o+)")
# Segments that say a hex body is a credential (hex bodies alone are hashes and ids).
_CREDENTIAL_WORDS = frozenset({
    "key", "keys", "token", "tok", "secret", "sec", "sk", "api", "apikey", "pat", "auth",
    "access", "private", "priv", "live", "pwd", "pass", "password", "cred", "creds",
})


_HEX = re.compile(r"[0-9a-f]+")
_CAMEL_WORDS = re.compile(r"[a-z]*(?:[A-Z][a-z]+|[0-9]+)+")


def entropy(value: str) -> float:
    """Shannon entropy of ``value`` in bits per character."""
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values()) if n else 0.0


def _first_letter_off(a: str, b: str) -> bool:
    """Whether ``a`` is ``b`` with its first character changed, added or dropped.

    Test suites make near misses that way (``bsk-`` for ``csk-``, ``xcfat_`` for
    ``cfat_``); a vendor's own family of prefixes varies the end (``phc_``/``phx_``,
    ``vcp_``/``vck_``, ``ghp_``/``gho_``), which stays open.
    """
    return a != b and (a[1:] == b[1:] or a[1:] == b or a == b[1:])


def _kinds_change(body: str) -> int:
    kinds = ["u" if c.isupper() else "l" if c.islower() else "d" for c in body]
    return sum(a != b for a, b in zip(kinds, kinds[1:], strict=False))


def reserved_prefixes(keywords: Iterable[str]) -> frozenset[str]:
    """The prefixes a provider rule owns, from its keywords: every part up to a separator.

    ``sk-ant-api03-`` gives ``sk-`` and ``sk-ant-`` and ``sk-ant-api03-``: a token under
    ``sk-ant-`` that the Anthropic rules rejected (a wrong version, a wrong length) is
    their near miss, not an unknown service's key. ``sk-`` and ``sk_`` stay open: many
    services (and old OpenAI keys) use them.
    """
    out = {k[:i + 1] for k in keywords for i, c in enumerate(k) if c in "_-" and i >= 1}
    return frozenset(out - {"sk-", "sk_"})


def prefixed_token_ok(text: str, separator: int, body: str,
                      reserved: frozenset[str] = frozenset()) -> bool:
    """Whether ``body``, after the separator at ``separator`` in ``text``, is a vendor token.

    ``reserved``: prefixes that belong to a provider rule (``reserved_prefixes``).
    """
    found = _PREFIX.search(text, max(0, separator - 40), separator)
    if found is None:
        found = _PREFIX_CHUNKED.search(text, max(0, separator - 96), separator)
        if found is None or not any(
                seg in _CREDENTIAL_WORDS for seg in re.split(r"[_-]", found.group(1))):
            # (a chunk needs a credential word in the prefix: pieces of a base64url blob
            # split over lines, "qssd_uMbP-<40>", have a random lowercase run there)
            return False
        body = re.sub(r"[_-]", "", found.group(2)) + body
        separator = found.end(1)
    prefix = found.group(1).lower() + text[separator]
    segments = re.split(r"[_-]", found.group(1))
    first = prefix[:len(segments[0]) + 1]
    if len(first) >= 4 and any(len(r) >= 4 and _first_letter_off(first, r) for r in reserved):
        return False  # "bsk-" beside "csk-": a provider's prefix one typo off is its near miss
    if len(segments) == 1 and len(segments[0]) < 3 and segments[0] not in _CREDENTIAL_WORDS:
        return False  # "r9_", "cf_": two letters are another rule's prefix one typo off
    if segments[0] in _NOT_VENDOR or any(
            prefix[:i + 1] in reserved for i, c in enumerate(prefix) if c in "_-"):
        return False
    if _HASH_BEFORE.search(text, max(0, found.start() - 12), found.start()):
        return False
    if _ALPHABET_RUN.search(body.lower()):
        return False
    digits = sum(c.isdigit() for c in body)
    upper = sum(c.isupper() for c in body)
    lower = len(body) - digits - upper
    if upper and lower and digits >= 2 and len(body) >= 28:
        # Random base62 changes kind at ~60% of positions, camelCase words with a number
        # ("TestConnectionHandler2024") at under 40%, and are words throughout.
        return (_kinds_change(body) >= 0.4 * (len(body) - 1)
                and not _CAMEL_WORDS.fullmatch(body))
    if upper or len(body) < 32 or digits < 0.15 * len(body) or lower < 0.15 * len(body):
        return False  # UPPER-and-digit bodies, short or near-uniform hex: too often ids
    if not _HEX.fullmatch(body) and entropy(body) >= 4.0:
        return True  # random base36: letters past "f" rule out a hash in hex
    return any(s in _CREDENTIAL_WORDS for s in segments)
