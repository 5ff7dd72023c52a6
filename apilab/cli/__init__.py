"""The ``apilab`` command line: one Typer app, one module per command group.

Each module exposes ``register(app)`` and adds its commands; this module only
composes them, so ``apilab --help`` lists everything in one place.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys

import typer

__all__ = ["app", "fast_exit_allowed", "main"]

# Command modules, in the order their commands appear in --help.
COMMAND_MODULES = (
    "serve",  # serve, db
    "lab",  # ask, reset, progress
    "pricing",  # tokens, cost, prices
    "sandbox",  # sandbox (+ keys)
    "scan",  # scan
    "usage",  # usage
    "evals",  # eval tutor
    "accounts",  # users, classes, privacy (class mode)
)

app = typer.Typer(
    name="apilab",
    help="A hands-on lab for building production-grade apps on AI APIs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click help and usage errors, not Rich panels: typer.rich_utils imports most of
    # Rich and markdown-it (about 0.23 s, more than the rest of `apilab --help` together);
    # the bar is a CLI that answers at once (issue 13). Commands still print with Rich.
    rich_markup_mode=None,
    # Use a wide terminal (click's default stops at 80 columns and cuts command summaries).
    context_settings={"max_content_width": 120},
)

for _name in COMMAND_MODULES:
    importlib.import_module(f"apilab.cli.{_name}").register(app)


_FAST_EXIT = {"allowed": False}


def fast_exit_allowed() -> None:
    """Called by a command whose work is done and stored when it returns (``apilab ask``
    with the offline tutor): ``main`` may then end the process without tearing it down.
    """
    _FAST_EXIT["allowed"] = True


def main() -> None:
    """Entry point for the ``apilab`` script.

    ``apilab ask`` is a one-question process (issue 13: an answer within a second). It
    builds the tutor's index (about a million small objects) and then spends a quarter
    of a second in the interpreter's shutdown freeing them one by one, and another tenth
    in cycle collections while loading it. So for ``ask`` the collector is off (nothing
    it builds is garbage before the process ends) and, once the command says its reply is
    stored and printed, the process leaves with ``os._exit`` after flushing its output.
    In-process callers (tests, ``CliRunner``) never go through here.
    """
    one_question = len(sys.argv) > 1 and sys.argv[1] == "ask"
    if one_question:
        gc.disable()
    try:
        app()
    except SystemExit as exc:
        if not _FAST_EXIT["allowed"]:
            raise
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
