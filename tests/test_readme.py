"""The README's command synopses match the real CLI: every command exists, every flag exists,
flags that take a value are shown with one and switches without (``--lab`` needs a value),
and the README says how to run ``apilab`` from the virtual environment."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer

from apilab.cli import app

README = Path(__file__).resolve().parent.parent / "README.md"


def _synopses() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Commands", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for line in section.splitlines()
            if line.startswith("    apilab ")]


def _resolve(words: list[str]) -> Any:
    # Typer 0.22+ carries its own copy of click, so groups are told by their ``commands``
    # mapping rather than by isinstance checks against the click package.
    command = typer.main.get_command(app)
    for word in words:
        subcommands = getattr(command, "commands", None)
        assert isinstance(subcommands, dict), f"{word!r}: {command.name} has no subcommands"
        sub = subcommands.get(word)
        assert sub is not None, f"no command {word!r} under {command.name}"
        command = sub
    return command


@pytest.mark.parametrize("line", _synopses())
def test_each_synopsis_matches_the_cli(line: str) -> None:
    tokens = shlex.split(line)[1:]
    words: list[str] = []
    while tokens and re.fullmatch(r"[a-z]+", tokens[0]):
        words.append(tokens.pop(0))
    command = _resolve(words)
    if tokens and "|" in tokens[0] and not tokens[0].startswith(("-", "[")):
        # "list|revoke KEY_ID|rotate KEY_ID|usage KEY_ID": alternative subcommands.
        for alternative in re.findall(r"(?:^|\|)([a-z]+)", " ".join(tokens)):
            _resolve([*words, alternative])
        return
    params = {opt: p for p in command.params for opt in getattr(p, "opts", [])}
    for i, token in enumerate(tokens):
        match = re.fullmatch(r"\[?(--[a-z][a-z-]*)(\]?)", token)
        if not match:
            continue
        flag, closed = match.group(1), match.group(2)
        assert flag in params, f"{line}: {flag} is not an option of `apilab {' '.join(words)}`"
        param = params[flag]
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        shows_value = not closed and following and not following.startswith(("-", "["))
        if getattr(param, "is_flag", False):
            assert not shows_value, f"{line}: {flag} is a switch but is shown with a value"
        else:
            assert shows_value, f"{line}: {flag} needs a value but is shown without one"


def test_the_synopses_cover_every_top_level_command() -> None:
    shown = {shlex.split(line)[1] for line in _synopses()}
    group = typer.main.get_command(app)
    commands = getattr(group, "commands", None)
    assert isinstance(commands, dict) and commands
    assert set(commands) <= shown


def test_readme_says_how_to_run_apilab_from_the_venv() -> None:
    text = README.read_text(encoding="utf-8")
    assert "source .venv/bin/activate" in text and ".venv/bin/apilab" in text
    assert "## Your first ten minutes" in text
    for step in ("Inspect", "Send request", "Run the arena", "apilab progress"):
        assert step in text
