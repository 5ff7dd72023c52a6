"""Strict JSON for request bodies: standard JSON only, bounded depth, storable values.

Python's ``json`` accepts more than RFC 8259 (``NaN``, ``Infinity``), turns
``1e400`` into ``inf``, keeps lone UTF-16 surrogates (``"\\ud800"``) that no
database or encoder downstream can store, and has no depth limit of its own
(past the interpreter's recursion limit it raises ``RecursionError``). Each of
those reached a handler and came back as a 500. ``loads_strict`` refuses them up
front with a message that says which rule the body broke and never quotes the
body. It must not be used for files the user owns (those may be lenient); it is
for bytes that arrived over HTTP.

A leaf module: it imports nothing from apilab but ``errors``.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from apilab.errors import InvalidInputError

__all__ = ["MAX_DEPTH", "MAX_INT", "loads_strict"]

MAX_DEPTH = 64
# Every id and counter apilab stores is a signed 64-bit integer; anything past that
# cannot be a real value and would overflow the database column.
MAX_INT = 2**63 - 1
# json's own guard: int("1" * 5000) is already refused by CPython; keep number text short.
_MAX_NUMBER_CHARS = 400


def _constant(name: str) -> Any:
    raise InvalidInputError(f"The JSON body contains {name}, which is not JSON: send a number "
                            "or null.")


def _float(text: str) -> float:
    if len(text) > _MAX_NUMBER_CHARS:
        raise InvalidInputError("The JSON body contains a number too long to be a real value.")
    value = float(text)
    if not math.isfinite(value):
        raise InvalidInputError("The JSON body contains a number too large to represent.")
    return value


def _int(text: str) -> int:
    if len(text) > _MAX_NUMBER_CHARS:
        raise InvalidInputError("The JSON body contains a number too long to be a real value.")
    value = int(text)
    if not -MAX_INT - 1 <= value <= MAX_INT:
        raise InvalidInputError(
            "The JSON body contains an integer outside the 64-bit range; no count or id "
            "is that large.")
    return value


def _check_strings(value: Any) -> None:
    """Every string and key must be encodable text (iterative: depth is already bounded)."""
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, dict):
            for key, child in item.items():
                _check_text(key)
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInputError(
            "The JSON body contains a lone UTF-16 surrogate (an escape such as \\ud800 "
            "without its pair), which is not text.") from None


# Lone surrogates can only come from \\uD800-\\uDFFF escapes: UTF-8 decoding refuses raw ones.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*+"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def _nesting(raw: str, max_depth: int) -> None:
    """Refuse deep nesting before ``json`` recurses into it (strings removed, brackets counted)."""
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub("", raw)):
        depth += 1 if match.group() in "[{" else -1
        if depth > max_depth:
            raise InvalidInputError(
                f"The JSON body is nested more than {max_depth} levels deep.")


def loads_strict(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse a request body as strict JSON, or raise ``InvalidInputError`` saying why.

    The message never contains the body: a pasted secret must not come back in
    an error.
    """
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInputError("The body is not UTF-8 text.") from None
    else:
        text = raw
    if text.count("[") + text.count("{") > max_depth:  # only then is the scan worth it
        _nesting(text, max_depth)
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_float,
                           parse_int=_int)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"The body is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})."
        ) from None
    except RecursionError:
        raise InvalidInputError(
            f"The JSON body is nested more than {max_depth} levels deep.") from None
    except ValueError as exc:  # int() past CPython's digit limit
        raise InvalidInputError(f"The JSON body contains an unreadable number ({exc}).") from None
    if _SURROGATE_ESCAPE.search(text):
        _check_strings(value)
    return value
