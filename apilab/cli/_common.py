"""Helpers shared by the command modules: settings from flags, clean errors."""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import typer

from apilab.errors import ApilabError
from apilab.settings import Settings, get_settings

P = ParamSpec("P")
R = TypeVar("R")

__all__ = ["exit_on_error", "load_settings", "print_json"]


def load_settings(*, server: bool = False, **flags: Any) -> Settings:
    """Settings from the environment with command-line flags winning.

    Logging goes to stderr at ``log_level`` for the servers (``server=True``). A one-shot
    command prints its own result, so it shows only warnings and errors unless
    ``APILAB_LOG_LEVEL=debug``: "Created sandbox key ..." at INFO under the command's own
    "Created key_..." line was noise.
    """
    settings = get_settings(**{k: v for k, v in flags.items() if v is not None})
    level = getattr(logging, str(settings.log_level).upper(), logging.INFO)
    if not server and level != logging.DEBUG:
        level = max(level, logging.WARNING)
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if str(settings.log_level).lower() != "debug":
        # Migration chatter ("Context impl SQLiteImpl") is noise on every command.
        logging.getLogger("alembic").setLevel(logging.WARNING)
    return settings


def exit_on_error(func: Callable[P, R]) -> Callable[P, R]:
    """Turn an ``ApilabError`` into its message on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ApilabError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(code=2) from exc

    return wrapper


def print_json(data: Any) -> None:
    """Print JSON to stdout (Decimals and dates as strings)."""
    typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
