"""The ``apilab`` command line: one Typer app, one module per command group.

Each module exposes ``register(app)`` and adds its commands; this module only
composes them, so ``apilab --help`` lists everything in one place.
"""

from __future__ import annotations

import importlib

import typer

__all__ = ["app", "main"]

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


def main() -> None:
    """Entry point for the ``apilab`` script."""
    app()
