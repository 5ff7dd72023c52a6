"""CLI commands: ``apilab tokens``, ``apilab cost`` and ``apilab prices``.

A thin front door over ``apilab.pricing``: read input, call the engine, print. Bad input
(unreadable file, malformed date, unknown model) is a message on stderr and exit code 2.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from apilab.cli._common import exit_on_error, print_json
from apilab.errors import InvalidInputError

ModelOpt = Annotated[str, typer.Option("--model", "-m", help="Model name or alias.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
DateOpt = Annotated[
    str | None,
    typer.Option("--date", help="Price in force on this day, YYYY-MM-DD (default: today, UTC)."),
]


def _parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"--date must look like 2024-06-01 (got {value!r}).") from None


def _read_input(source: str | None) -> str:
    if source in (None, "-"):
        if source is None and sys.stdin.isatty():
            raise InvalidInputError(
                "Give a FILE to count, or pipe text in: echo 'hello' | apilab tokens -"
            )
        return sys.stdin.read()
    path = Path(source)
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        raise InvalidInputError(f"No such file: {source}") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"Cannot read {source} as UTF-8 text: {exc}") from None


def _as_request(text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None] | None:
    """A messages array (or {"messages": [...], "tools": [...]}) if the text is one."""
    stripped = text.strip()
    if not stripped.startswith(("[", "{")):
        return None
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError:
        return None
    if isinstance(data, dict) and isinstance(data.get("messages"), list):
        return data["messages"], data.get("tools")
    if isinstance(data, list) and data and all(isinstance(m, dict) and "role" in m for m in data):
        return data, None
    return None


@exit_on_error
def tokens(
    source: Annotated[
        str | None, typer.Argument(metavar="[FILE|-]", help="Text or JSON messages; - = stdin.")
    ] = None,
    model: ModelOpt = "gpt-4o",
    text: Annotated[
        bool, typer.Option("--text", help="Count as plain text even if it looks like JSON.")
    ] = False,
    remote: Annotated[
        bool,
        typer.Option("--remote", help="Claude/Gemini: ask the provider's count endpoint "
                     "(needs ANTHROPIC_API_KEY / GEMINI_API_KEY and network)."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Count tokens in a text or a chat messages array, and say whether the count is exact."""
    from apilab.pricing import count_messages, count_text

    content = _read_input(source)
    request = None if text else _as_request(content)
    if remote:
        count = _count_remote(request or ([{"role": "user", "content": content}], None), model)
        kind = "chat request" if request else f"text ({len(content):,} characters)"
    elif request is not None:
        count = count_messages(request[0], model, tools=request[1])
        n_messages, n_tools = len(request[0]), len(request[1] or [])
        kind = f"chat request ({n_messages} message{'s' * (n_messages != 1)}"
        kind += f", {n_tools} tool{'s' * (n_tools != 1)})" if n_tools else ")"
    else:
        count = count_text(content, model)
        kind = f"text ({len(content):,} characters)"
    if as_json:
        print_json({**count.to_dict(), "input": kind})
        return
    how = f"tiktoken {count.encoding}" if count.encoding else count.method
    typer.echo(f"{count.tokens:,} tokens ({count.label}) for {count.model}: {kind}, {how}")
    for note in count.notes:
        typer.echo(f"  note: {note}")


def _count_remote(
    request: tuple[list[dict[str, Any]], list[dict[str, Any]] | None], model: str
) -> Any:
    """Count through the provider's endpoint, with the key from the usual resolver."""
    from apilab.cli._common import load_settings
    from apilab.pricing.remote import count_remote, provider_of
    from apilab.providers.keys import resolve_key

    provider = provider_of(model)
    if provider == "openai":
        raise InvalidInputError(f"{model} is counted exactly offline; drop --remote.")
    key = resolve_key("gemini" if provider == "google" else provider, load_settings())
    return count_remote(request[0], model, api_key=key, tools=request[1])


@exit_on_error
def cost(
    model: ModelOpt,
    input_tokens: Annotated[int, typer.Option(min=0, help="Uncached input tokens.")],
    output_tokens: Annotated[int, typer.Option(min=0, help="Output tokens.")],
    cached_input_tokens: Annotated[
        int, typer.Option(min=0, help="Input tokens read from the prompt cache.")
    ] = 0,
    cache_write_tokens: Annotated[
        int, typer.Option(min=0, help="Input tokens written to the prompt cache.")
    ] = 0,
    date: DateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Itemised cost of a number of tokens at the price in force on a date."""
    from apilab.pricing import cost as compute_cost
    from apilab.pricing import format_usd

    breakdown = compute_cost(model, input_tokens, output_tokens, cached_input_tokens,
                             cache_write_tokens, at=_parse_date(date))
    if as_json:
        print_json(breakdown.to_dict())
        return
    price = breakdown.price
    period = (f"in force {price.valid_from} to {price.valid_to}" if price.valid_to
              else f"in force since {price.valid_from}")
    checked = (f"verified on {price.as_of}" if price.verified
               else f"UNVERIFIED, last checked {price.as_of}")
    typer.echo(f"{breakdown.model} on {breakdown.at}: price {period} ({checked}; "
               f"source: {price.source})")
    for label, count, rate, amount in breakdown.lines():
        typer.echo(f"  {label:<13}{count:>15,} tokens x {'$' + str(rate) + '/M':>9} = "
                   f"{format_usd(amount)}")
    parts = " + ".join(f"{format_usd(amount)} {label}"
                       for label, count, _rate, amount in breakdown.lines() if count)
    typer.echo(f"Total: {format_usd(breakdown.total)}" + (f" ({parts})" if parts else ""))
    for note in breakdown.notes:
        typer.echo(f"  note: {note}")


def _rate(value: object) -> str:
    return "-" if value is None else f"${value}"


@exit_on_error
def prices(
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="One model, with its full history.")
    ] = None,
    date: DateOpt = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Every dated entry, history too.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """List the price table (USD per 1M tokens) with dates and sources."""
    from apilab.pricing import all_prices, get_price, list_models

    day = _parse_date(date)
    if model is not None:
        entries = [get_price(model, day)] if day and not show_all else all_prices(model)
    elif show_all:
        entries = all_prices()
    else:
        entries = list_models(day)
    if as_json:
        print_json([entry.to_dict() for entry in entries])
        return
    typer.echo(f"{'model':<28} {'input':>8} {'output':>8} {'cached':>8} {'c.write':>8}  "
               f"{'from':<10} {'to':<10} ok  source")
    for e in entries:
        typer.echo(
            f"{e.model:<28} {_rate(e.input_per_m):>8} {_rate(e.output_per_m):>8} "
            f"{_rate(e.cached_input_per_m):>8} {_rate(e.cache_write_per_m):>8}  "
            f"{e.valid_from!s:<10} {str(e.valid_to or '-'):<10} "
            f"{'yes' if e.verified else 'no':<3} {e.source}"
        )
    typer.echo("Rates in USD per 1M tokens; ok = checked against the source on its as_of date. "
               "See docs/pricing.md.")


def register(app: typer.Typer) -> None:
    """Add ``tokens``, ``cost`` and ``prices`` to the app."""
    app.command("tokens")(tokens)
    app.command("cost")(cost)
    app.command("prices")(prices)
