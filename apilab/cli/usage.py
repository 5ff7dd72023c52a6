"""CLI command: ``apilab usage [--lab LAB] [--since WHEN] [--by model|lab|status|source]``.

A thin front door over the two records of what the lab sent to an AI API:

- the usage ledger (``apilab.storage.ledger``): every call through the call layer (the
  assistant's model backend, workbench sends to a real provider, evals), summed per model
  (the target that answered), lab, status or source, with tokens, retries, cache hits,
  fallbacks and dollars (settled vs reserved);
- the sandbox's audit log (``apilab.storage.sandbox.audit_totals``): every request the
  built-in sandbox answered, by source (the workbench, its scenarios, the leak drill,
  your own sandbox keys). Workbench and drill requests go straight to the sandbox, not
  through the call layer, so without this table they were invisible here.
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
_BY = ("model", "lab", "status", "source")

# Which lab feature owns a sandbox key, from the owner its creator gives it
# (sandbox.keys.ensure_lab_key, web/routes/workbench.py, web/routes/_drill.py), and the lab
# it belongs to (for --lab).
_SANDBOX_SOURCES: tuple[tuple[str, str, str | None], ...] = (
    ("lab", "workbench (lab key)", "api-basics"),
    ("apilab-workbench", "workbench scenarios", "api-basics"),
    ("drill:", "leak drill", "key-security"),
)


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


def sandbox_source(owner: str | None, key_id: str | None) -> tuple[str, str | None]:
    """The lab feature behind a sandbox key, and its lab: (source, lab id or None)."""
    if key_id is None:
        return "no valid key (refused)", None
    for prefix, source, lab in _SANDBOX_SOURCES:
        if owner == prefix or (prefix.endswith(":") and (owner or "").startswith(prefix)):
            return source, lab
    return "your sandbox keys", None


def sandbox_summary(rows: list[dict[str, Any]], lab: str | None) -> dict[str, Any]:
    """Audit totals per source (optionally only one lab's), with a total."""
    fields = ("requests", "errors", "input_tokens", "output_tokens", "cost_usd")
    groups: dict[str, dict[str, Any]] = {}
    total: dict[str, Any] = dict.fromkeys(fields, 0)
    total["cost_usd"] = Decimal(0)
    for row in rows:
        source, source_lab = sandbox_source(row["owner"], row["key_id"])
        if lab is not None and source_lab != lab:
            continue
        group = groups.setdefault(source, {**dict.fromkeys(fields, 0), "cost_usd": Decimal(0)})
        for name in fields:
            group[name] += row[name]
            total[name] += row[name]
    return {"total": total, "groups": dict(sorted(groups.items()))}


@exit_on_error
def usage(
    lab: Annotated[str | None, typer.Option("--lab", help="Only calls made in this lab.")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", help="Only calls since: 2026-11-01, 2026-11-01T09:00, 24h, 7d or 2w.")] = None,
    by: Annotated[str, typer.Option(
        "--by", help="Group ledger calls by model, lab, status or source.")] = "model",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
    = False,
    data_dir: Annotated[str | None, typer.Option("--data-dir", help="Folder for local state.")]
    = None,
) -> None:
    """Every call the lab made: the usage ledger, then the built-in sandbox's requests."""
    if by not in _BY:
        raise InvalidInputError(f"--by must be model, lab, status or source (got {by!r}).")
    start = parse_since(since)
    settings = load_settings(data_dir=data_dir)
    from apilab.storage import ledger
    from apilab.storage import sandbox as sandbox_repo
    from apilab.storage.db import open_database

    db = open_database(settings.db_url)
    with db.session() as session:
        rows = ledger.list_calls(session, lab=lab, since=start)
        summary = ledger.summarize(rows, by="purpose" if by == "source" else by)
        sandbox = sandbox_summary(sandbox_repo.audit_totals(session, since=start), lab)
    if by == "source":
        summary["groups"] = {_LEDGER_SOURCES.get(k, k): v for k, v in summary["groups"].items()}
    if as_json:
        print_json({"lab": lab, "since": start.isoformat() if start else None, "by": by,
                    "total": _jsonable(summary["total"]),
                    "groups": {k: _jsonable(v) for k, v in summary["groups"].items()},
                    "sandbox": {"total": _jsonable(sandbox["total"]),
                                "groups": {k: _jsonable(v)
                                           for k, v in sandbox["groups"].items()}}})
        return
    where = (f" for lab {lab}" if lab else "") + (
        f" since {start:%Y-%m-%d %H:%M} UTC" if start else "")
    from rich.console import Console

    # Piped output has no terminal width; do not squeeze model names into ellipses.
    console = Console(width=None if sys.stdout.isatty() else 160)
    if summary["total"]["calls"]:
        console.print(_ledger_table(summary, by, where))
    else:
        typer.echo(f"No calls through the call layer{where}: the offline tutor answers on this "
                   "machine and makes no API calls (set APILAB_BACKEND to use a model).")
    if sandbox["total"]["requests"]:
        console.print(_sandbox_table(sandbox, where))
        typer.echo("One key's requests, one by one: apilab sandbox keys usage KEY_ID "
                   "(ids: apilab sandbox keys list).")
    else:
        typer.echo(f"No requests to the built-in sandbox{where}.")


# Ledger ``purpose`` values as the sources a learner knows.
_LEDGER_SOURCES = {"conversation": "assistant", "workbench": "workbench (real provider)",
                   "eval": "evals", "evals": "evals"}


def _ledger_table(summary: dict[str, Any], by: str, where: str) -> Any:
    from rich.table import Table

    table = Table(title="Usage ledger: calls through the call layer" + where)
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
    add("total", summary["total"], style="bold")
    return table


def _sandbox_table(sandbox: dict[str, Any], where: str) -> Any:
    from rich.table import Table

    table = Table(title="Built-in sandbox: requests it answered (simulated cost)" + where)
    for name in ("source", "requests", "errors", "tokens in", "tokens out", "cost"):
        table.add_column(name, justify="left" if name == "source" else "right")

    def add(label: str, g: dict[str, Any], style: str | None = None) -> None:
        table.add_row(label, str(g["requests"]), str(g["errors"]), f"{g['input_tokens']:,}",
                      f"{g['output_tokens']:,}", _usd(g["cost_usd"]), style=style)

    for key, group in sandbox["groups"].items():
        add(key, group)
    add("total", sandbox["total"], style="bold")
    return table


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("usage")(usage)
