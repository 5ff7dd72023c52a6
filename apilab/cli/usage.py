"""CLI command: ``apilab usage [--lab LAB] [--since WHEN] [--by model|lab|status] [--json]``.

A thin front door over the usage ledger (``apilab.storage.ledger``): every call the
lab made through the call layer, summed per model (the target that answered), lab or
status, with tokens, retries, cache hits, fallbacks and dollars (settled vs reserved).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from decimal import Decimal
from typing import Annotated, Any

import typer

from apilab.cli._common import exit_on_error, load_settings, print_json
from apilab.errors import InvalidInputError

_RELATIVE = re.compile(r"^(\d+)\s*([hdw])$")


def parse_since(value: str | None, now: dt.datetime | None = None) -> dt.datetime | None:
    """``2026-11-01``, ``2026-11-01T09:00``, or relative ``24h`` / ``7d`` / ``2w``."""
    if value is None:
        return None
    now = now or dt.datetime.now(dt.UTC)
    match = _RELATIVE.match(value.strip().lower())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        return now - dt.timedelta(hours=amount * {"h": 1, "d": 24, "w": 168}[unit])
    try:
        when = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInputError(
            f"--since must be a date like 2026-11-01, a time like 2026-11-01T09:00, or "
            f"relative like 24h, 7d, 2w (got {value!r})."
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _usd(amount: Decimal) -> str:
    return f"${amount:.4f}" if amount < 10 else f"${amount:,.2f}"


def _jsonable(group: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in group.items()}


@exit_on_error
def usage(
    lab: Annotated[str | None, typer.Option("--lab", help="Only calls made in this lab.")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", help="Only calls since: 2026-11-01, 2026-11-01T09:00, 24h, 7d or 2w.")] = None,
    by: Annotated[str, typer.Option("--by", help="Group by model, lab or status.")] = "model",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
    = False,
    data_dir: Annotated[str | None, typer.Option("--data-dir", help="Folder for local state.")]
    = None,
) -> None:
    """Summarise the usage ledger: calls, tokens, retries and cost."""
    if by not in ("model", "lab", "status"):
        raise InvalidInputError(f"--by must be model, lab or status (got {by!r}).")
    start = parse_since(since)
    settings = load_settings(data_dir=data_dir)
    from apilab.storage import ledger
    from apilab.storage.db import open_database

    db = open_database(settings.db_url)
    with db.session() as session:
        rows = ledger.list_calls(session, lab=lab, since=start)
        summary = ledger.summarize(rows, by=by)
    if as_json:
        print_json({"lab": lab, "since": start.isoformat() if start else None, "by": by,
                    "total": _jsonable(summary["total"]),
                    "groups": {k: _jsonable(v) for k, v in summary["groups"].items()}})
        return
    total = summary["total"]
    if not total["calls"]:
        typer.echo("No calls in the usage ledger" + (f" for lab {lab}" if lab else "") +
                   (f" since {start:%Y-%m-%d %H:%M} UTC" if start else "") +
                   ". The offline tutor makes no API calls; set APILAB_BACKEND to use a model.")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Usage ledger" + (f" — lab {lab}" if lab else "") +
                  (f" — since {start:%Y-%m-%d %H:%M} UTC" if start else ""))
    for name in (by, "calls", "errors", "retries", "cache hits", "fallbacks", "tokens in",
                 "tokens out", "cost", "reserved"):
        table.add_column(name, justify="left" if name == by else "right")

    def add(label: str, g: dict[str, Any], style: str | None = None) -> None:
        table.add_row(label, str(g["calls"]), str(g["errors"]), str(g["retries"]),
                      str(g["cache_hits"]), str(g["fallbacks"]), f"{g['tokens_in']:,}",
                      f"{g['tokens_out']:,}", _usd(g["cost_usd"]), _usd(g["cost_est_usd"]),
                      style=style)

    for key, group in summary["groups"].items():
        add(key, group)
    add("total", total, style="bold")
    # Piped output has no terminal width; do not squeeze model names into ellipses.
    Console(width=None if sys.stdout.isatty() else 160).print(table)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("usage")(usage)
