"""apilab.strictjson: standard JSON only, storable values, bounded depth, no input echoed."""

from __future__ import annotations

import pytest

from apilab.errors import InvalidInputError
from apilab.strictjson import MAX_INT, loads_strict


@pytest.mark.parametrize(("raw", "why"), [
    ('{"a": NaN}', "NaN"),
    ('{"a": -Infinity}', "Infinity"),
    ('{"a": 1e400}', "too large"),
    ('{"a": 9223372036854775808}', "64-bit"),
    ('"\\ud800"', "surrogate"),
    ('{"\\udc00": 1}', "surrogate"),
    ("[" * 65 + "]" * 65, "nested"),
    ('{"a": "' + "[" * 100 + '"}', None),  # brackets inside a string are text
])
def test_refusals_say_why(raw: str, why: str | None) -> None:
    if why is None:
        loads_strict(raw)
        return
    with pytest.raises(InvalidInputError, match=why) as caught:
        loads_strict(raw)
    assert raw[:20] not in str(caught.value) or len(raw) < 3


def test_ordinary_json_passes() -> None:
    assert loads_strict(b'{"a": [1, 2.5, "\\ud83d\\ude00", null, true]}') == {
        "a": [1, 2.5, "\U0001f600", None, True]}
    assert loads_strict(str(MAX_INT)) == MAX_INT
    assert loads_strict("[" * 64 + "]" * 64)


def test_non_utf8_and_broken_json_are_refused_without_quoting() -> None:
    with pytest.raises(InvalidInputError, match="not UTF-8"):
        loads_strict(b"\xff\xfe")
    with pytest.raises(InvalidInputError, match="not valid JSON") as caught:
        loads_strict('{"key": "sk-secret-value"')
    assert "sk-secret" not in str(caught.value)
