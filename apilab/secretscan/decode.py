r"""Other views of a text, so secrets hidden by their placement are still seen.

- ``joined_view``: adjacent string literals joined into one (Python's implicit
  concatenation ``"sk-ant-" "api03..."``, ``"a" + "b"`` in most languages,
  template strings without ``${}``), so a key split across literals is whole again;
- ``continuation_view``: a run of key characters cut by a line-continuation backslash
  (``"sk-ant-api03-abc\``, newline, ``def..."``) joined again;
- ``manifest_view``: base64 values of a Kubernetes ``Secret`` (``data:``) and of
  Docker ``auth`` fields decoded in place;
- ``decode_bytes``: a file's bytes as text, UTF-16 (by its BOM) included.

A view keeps the line numbers of the original: a replaced span is followed by as
many newlines as it spanned. ``View.original`` maps a span of the view back to
the span of the original text it came from. Nothing here decides what a secret
is; the scanner runs the same rules over each view.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import dataclasses
import re

__all__ = ["View", "continuation_view", "decode_bytes", "joined_view", "manifest_view"]

# One string literal (bounded, no newline inside) and what may sit between two that the
# language joins: spaces/newlines, a "+", or a line-continuation backslash.
_LITERAL = re.compile(r""""([^"\\\n]{0,400})"|'([^'\\\n]{0,400})'|`([^`$\\]{0,400})`""")
_GLUE = re.compile(r"(?:[ \t]*(?:\\?\r?\n)?[ \t]*\+?[ \t]*(?:\\?\r?\n)?[ \t]*)")
_B64_VALUE = re.compile(
    r"""^([ \t]*"?[A-Za-z0-9_.-]{1,253}"?[ \t]*:[ \t]*"?)"""
    r"""([A-Za-z0-9+/]{12,20000}={0,2})("?,?[ \t]*)$""",
    re.M)


@dataclasses.dataclass
class View:
    """A derived text and the replaced spans: (view start, view end, orig start, orig end)."""

    text: str
    spans: list[tuple[int, int, int, int]]
    starts: list[int] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        self.starts = [s[0] for s in self.spans]

    def original(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that the view's [start, end) came from."""
        i = bisect.bisect_right(self.starts, start) - 1
        if i < 0:
            return start, end
        view_start, view_end, orig_start, orig_end = self.spans[i]
        if start < view_end:
            return orig_start, orig_end
        shift = orig_end - view_end
        return start + shift, end + shift


def _build(text: str, replacements: list[tuple[int, int, str]]) -> View | None:
    """The view with each (start, end, new) replaced, padded to keep the line count."""
    if not replacements:
        return None
    parts: list[str] = []
    spans: list[tuple[int, int, int, int]] = []
    last = pos = 0
    for start, end, new in replacements:
        parts.append(text[last:start])
        pos += start - last
        block = new + "\n" * text.count("\n", start, end)
        spans.append((pos, pos + len(block), start, end))
        parts.append(block)
        pos += len(block)
        last = end
    parts.append(text[last:])
    return View("".join(parts), spans)


def joined_view(text: str) -> View | None:
    """``text`` with every run of two or more adjacent string literals joined into one."""
    if text.count('"') + text.count("'") + text.count("`") < 4:
        return None
    replacements: list[tuple[int, int, str]] = []
    run: list[re.Match[str]] = []

    def flush() -> None:
        if len(run) >= 2:
            joined = "".join(next(g for g in m.groups() if g is not None) for m in run)
            quote = run[0].group(0)[0]
            if len(joined) >= 16 and quote not in joined:
                replacements.append((run[0].start(), run[-1].end(), quote + joined + quote))
        run.clear()

    for m in _LITERAL.finditer(text):
        if run:
            glue = _GLUE.match(text, run[-1].end())
            if glue and glue.end() == m.start() and m.start() > run[-1].end():
                run.append(m)
                continue
            flush()
        run.append(m)
    flush()
    return _build(text, replacements)


_CONTINUATION = re.compile(r"\\\r?\n")
_KEY_RUN = re.compile(r"[A-Za-z0-9_\-+/=.]{1,400}+")
_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/=.")


def continuation_view(text: str) -> View | None:
    """Runs of key characters on both sides of a backslash-newline joined into one.

    Each side is read at most 400 characters from the backslash, so the work is linear
    in the text however many continuations it holds.
    """
    if "\\\n" not in text and "\\\r\n" not in text:
        return None
    runs: list[tuple[int, int, list[str]]] = []  # (start, end, pieces) of each joined run
    for m in _CONTINUATION.finditer(text):
        cut = m.start()
        start = cut
        while start > 0 and cut - start < 400 and text[start - 1] in _KEY_CHARS:
            start -= 1
        right = _KEY_RUN.match(text, m.end())
        if right is None:
            continue
        if runs and runs[-1][1] == cut:  # a key over three lines or more
            first, _end, pieces = runs[-1]
            pieces.append(right.group())
            runs[-1] = (first, right.end(), pieces)
        elif cut - start >= 8 and (not runs or runs[-1][1] <= start):
            runs.append((start, right.end(), [text[start:cut], right.group()]))
    replacements = [(start, end, "".join(pieces)) for start, end, pieces in runs]
    return _build(text, replacements)


def manifest_view(text: str) -> View | None:
    """Base64 values under ``data:`` of a Kubernetes Secret, and Docker ``auth``, decoded."""
    low = text.lower()
    if "kind: secret" not in low and '"kind": "secret"' not in low and '"auth"' not in low \
            and "dockerconfigjson" not in low:
        return None
    replacements: list[tuple[int, int, str]] = []
    for m in _B64_VALUE.finditer(text):
        value = m.group(2)
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if not decoded.strip() or any(ord(c) < 32 and c not in "\n\r\t" for c in decoded):
            continue
        # Keep it on one line (a decoded PEM or .dockerconfigjson keeps its "\n" escaped).
        flat = decoded.strip().replace("\r", "").replace("\n", "\\n")
        replacements.append((m.start(2), m.end(2), flat))
        nested = manifest_view(flat) if '"auth"' in flat else None
        if nested is not None:
            replacements[-1] = (m.start(2), m.end(2), nested.text)
    return _build(text, replacements)


def decode_bytes(data: bytes) -> str | None:
    """The text of a file's bytes; UTF-16 with a BOM decoded; ``None`` for binary data."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", "replace")
