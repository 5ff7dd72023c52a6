"""Folded sections in a reply: one Markdown convention, read by every place that shows one.

The offline tutor folds the other answers that may fit under its answer (and the closest
answers under an "I don't know") as a markdown-it container::

    ::: details If you meant “...”
    <Markdown>
    :::

The page renders it as a closed ``<details>`` (``apilab.web.templating``), ``apilab ask``
as a ruled heading (``TerminalFolds``), and the tutor eval strips it to judge the answer
alone (``without_folds``).
"""

from __future__ import annotations

import re

__all__ = ["FOLD", "TerminalFolds", "fold", "without_folds"]

FOLD = "::: details"
FOLD_END = ":::"

_FOLDED = re.compile(r"^::: details[^\n]*\n.*?^:::$\n?", re.MULTILINE | re.DOTALL)
_TITLE_MAX = 300  # a longer line is not held back by TerminalFolds: it is printed as it comes


def fold(title: str, body: str) -> str:
    """``body`` (Markdown) as a folded section titled ``title`` (one line)."""
    return f"{FOLD} {title}\n{body}\n{FOLD_END}"


def without_folds(reply: str) -> str:
    """The reply without its folded sections: what a learner reads without opening one."""
    return _FOLDED.sub("", reply)


class TerminalFolds:
    """Streamed reply text for a terminal: a fold's opening line becomes a ruled heading and
    its closing marker a blank line. Whole lines are held back only while they could still
    be a marker, so any cut of the stream gives the same output."""

    def __init__(self) -> None:
        self._held = ""  # the start of a line that may still turn out to be a marker
        self._mid_line = False  # what follows is not at the start of a line

    def feed(self, text: str) -> str:
        out = []
        pieces = (self._held + text).splitlines(keepends=True)
        self._held = ""
        for piece in pieces:
            if piece.endswith("\n"):
                out.append(piece if self._mid_line else self._line_for_terminal(piece))
                self._mid_line = False
            elif not self._mid_line and len(piece) < _TITLE_MAX and (
                    FOLD.startswith(piece) or piece.startswith(FOLD)):
                self._held = piece
            else:
                out.append(piece)
                self._mid_line = True
        return "".join(out)

    def flush(self) -> str:
        rest, self._held = self._held, ""
        return self._line_for_terminal(rest) if rest else ""

    @staticmethod
    def _line_for_terminal(line: str) -> str:
        if line.startswith(FOLD):
            return f"── {line.removeprefix(FOLD).strip()} ──\n"
        if line.rstrip("\n") == FOLD_END:
            return "\n"
        return line
