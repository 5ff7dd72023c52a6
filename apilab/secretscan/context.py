"""What the text around a name-anchored hit says about it.

``filters.accept`` reads a generic hit's *name* and *value*; the forms of
``rules/generic.py`` also need the text around them: the identifier the name belongs to,
an option's dash before it (``--password VALUE``), the word before a lone ``key``
(``nuget key = ...``), an env list's ``name:`` before it (``- name: X`` / ``value: Y``),
a setter's verb (``setPassword("...")``) and the user given before a password in a pair.

Pure functions over strings; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Collection

__all__ = ["IDENT_CHARS", "env_entry", "env_line", "in_ternary", "name_span", "name_words",
           "option_before", "pair_user", "setter", "spaced_key"]

IDENT_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-$")
_WORD_SPLIT = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
# A string literal (the user given before a password in a credential pair).
_QUOTED_LITERAL = re.compile(r"""["']([^"'\s]{1,100})["']""")
# The "name" key of an env-list entry just before the name ("- name: ", '{"name": "').
_ENV_ENTRY = re.compile(r"""(?i:name)["']?[ \t]{0,3}:[ \t]{0,3}["']?\Z""")


def _ident_start(text: str, start: int) -> int:
    """Where the identifier holding ``start`` begins (at most 80 characters back)."""
    i = start
    while i > 0 and text[i - 1] in IDENT_CHARS and start - i < 80:
        i -= 1
    return i


def name_span(text: str, start: int, stop: int) -> str:
    """The identifier around ``start``: extended left to its beginning, right to ``stop``."""
    i = start  # (the loop of _ident_start, inlined: this runs for every generic hit)
    while i > 0 and text[i - 1] in IDENT_CHARS and start - i < 80:
        i -= 1
    j = start
    while j < stop and text[j] in IDENT_CHARS:
        j += 1
    return text[i:j]


# The lone word after a service's name: "key" in any case, ACCESS and PRIVATE in capitals.
_SPACED_WORD = re.compile(r"(?:key|Key|KEY|ACCESS|PRIVATE)(?![A-Za-z0-9_.$-])")


def spaced_key(text: str, start: int, qualifiers: Collection[str]) -> str:
    """"nuget_key" for the lone name "key" in "nuget key = ...", else "".

    Also "pdfshift_ACCESS" for "pdfshift ACCESS ..." (ACCESS and PRIVATE in capitals).
    A name in words ("clarifai access key", "flickr KEY") reads as its last two words;
    ``qualifiers`` are the words that make "<word> key" a name inside a sentence too.
    """
    word = _SPACED_WORD.match(text, start)
    if word is None or start < 2 or text[start - 1] != " " or text[start - 2] not in IDENT_CHARS:
        return ""
    end = word.end()
    before = name_span(text, start - 1, start - 1)
    i = start - 1 - len(before)
    if not before.isalpha() or text[i - 1:i] == "<":
        return ""  # <add key="..." value="...">: an element, then an attribute named key
    if (before.lower() not in qualifiers and text[i - 1:i] == " "
            and text[i - 2:i - 1].isalpha()):
        return ""  # "not a real key ...": a sentence, unless "<service> access key"
    return f"{before}_{text[start:end]}"


def env_entry(text: str, start: int) -> bool:
    """Whether the name at ``start`` is an env-list entry's ("- name: X", '"name": "X"')."""
    i = _ident_start(text, start)
    return _ENV_ENTRY.search(text, max(0, i - 16), i) is not None


# NAME=value alone on a line (.env, .ini, a commented-out .env line): the name starts the
# line (after "export " or "# "), "=" with no blanks, and nothing but a comment after.
_ENV_LINE_START = re.compile(r"(?:^|\n)[ \t]{0,8}(?:#[ \t]{0,3})?(?:export[ \t]{1,3})?\Z")
_ENV_LINE_END = re.compile(r"[ \t]{0,40}(?:[#;][^\n]{0,200})?(?:\r?\n|\Z)")


def env_line(text: str, start: int, end: int) -> bool:
    """Whether the name at ``start`` and its value ending at ``end`` are a line of their own,
    ``NAME=value`` (an .env or .ini entry), so the unquoted value is a literal."""
    i = _ident_start(text, start)
    j = start
    while j < end and text[j] in IDENT_CHARS:
        j += 1
    return (text[j:j + 1] == "=" and text[j + 1:j + 2] not in ("=", " ", "\t")
            and _ENV_LINE_START.search(text, max(0, i - 20), i) is not None
            and _ENV_LINE_END.match(text, end) is not None)


def in_ternary(text: str, start: int) -> bool:
    """Whether the name at ``start`` is a string after a ternary's "?" (minified JS:
    ``e?"reset_password":"signup"``), so the ":" after it is the ternary's, not a key's."""
    i = _ident_start(text, start)
    j = i - 1
    while j >= 0 and i - j <= 4 and text[j] in "\"'` \t":
        j -= 1
    return j >= 0 and text[j] == "?"


def option_before(text: str, start: int) -> bool:
    """Whether the name at ``start`` is a command-line option (``--password``, ``-p``)."""
    i = start
    while i > 0 and text[i - 1] in IDENT_CHARS and text[i - 1] != "-" and start - i < 80:
        i -= 1
    if text[i - 1:i] not in ("-", "/"):
        return False
    # The dashes start a word: "QA-pass fixes:" in prose is a compound, not an option.
    j = i - 1
    while j > 0 and text[j - 1] == "-" and i - j < 3:
        j -= 1
    return j == 0 or not text[j - 1].isalnum()


def name_words(name: str) -> list[str]:
    """The words of an identifier, lowercase: ``credentialId`` -> ["credential", "id"]."""
    return [w.lower() for w in _WORD_SPLIT.findall(name)]


def setter(name: str) -> bool:
    """Whether ``name`` sets a value (``ds.setPassword``, ``withApiKey``), not looks one up."""
    words = name_words(name.rsplit(".", 1)[-1])
    return bool(words) and words[0] in ("set", "with")


def pair_user(text: str, start: int, stop: int) -> str:
    """The last string literal between ``start`` and ``stop`` (a pair's user), or ""."""
    found = _QUOTED_LITERAL.findall(text, start, stop)
    return found[-1] if found else ""
