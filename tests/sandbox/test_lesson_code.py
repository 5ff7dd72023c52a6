"""Lesson 1's Python examples run unchanged (but for the port) against the sandbox.

The lesson promises its code works with the current SDKs against both the sandbox and
the real APIs; this runs every ``python`` block of lesson 1, in order and in one
namespace (later blocks use the ``client`` the first one makes), against a live sandbox.
"""

from __future__ import annotations

import contextlib
import io
import re
from importlib import resources

LESSON = "01-calling-ai-apis.md"
LESSON_BASE = "http://127.0.0.1:8000/sandbox/v1"


def _blocks() -> list[str]:
    text = (resources.files("apilab.content") / "course" / "lessons" / LESSON).read_text(
        encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, re.S)


def test_lesson_one_code_runs_against_the_sandbox(live_sandbox, secret, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SANDBOX_API_KEY", secret)
    blocks = _blocks()
    assert len(blocks) >= 6 and all(LESSON_BASE in b for b in blocks if "base_url=" in b)
    namespace: dict[str, object] = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in blocks:
            exec(compile(block.replace(LESSON_BASE, live_sandbox.v1), LESSON, "exec"),  # noqa: S102
                 namespace)
        ask = namespace["ask"]
        assert callable(ask)
        assert ask("My name is Ada.") and ask("What is my name?")
    printed = out.getvalue()
    assert "finish_reason: stop" in printed and "request id: req_" in printed
    assert "input tokens:" in printed
    history = namespace["history"]
    assert isinstance(history, list) and len(history) == 5  # system + two turns
