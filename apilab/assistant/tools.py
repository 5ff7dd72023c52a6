"""The lab assistant's tools: one registry shared by the offline tutor and model backends.

Each ``Tool`` has a name, a description, a JSON Schema for its parameters (the
shape function calling / tool use expects) and ``run(**kwargs) -> str`` which
returns Markdown. ``run`` never raises for bad arguments: it validates them
against ``parameters`` and answers with a Markdown explanation instead, because
the caller is often a model that must read the problem and try again.

The structured functions behind the tools (``cost_figures``, ``schedule``,
``json_check``...) are public too, so the offline tutor can use the numbers
directly. Prices and token counts come only from ``apilab.pricing`` and key
detection only from ``apilab.secretscan``: this module keeps no second table.
The knowledge of HTTP statuses and provider error bodies lives in
``assistant/httpinfo.py``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from apilab.assistant import httpinfo
from apilab.assistant.jsoncheck import (
    JsonCheck,
    extract_json_blocks,
    json_check,
    render_json_check,
)
from apilab.errors import ApilabError

__all__ = [
    "TOOLS",
    "BackoffRow",
    "JsonCheck",
    "Tool",
    "backoff_rows",
    "extract_json_blocks",
    "fmt_usd",
    "json_check",
    "render_backoff",
    "render_cost",
    "render_json_check",
    "render_price",
]


@dataclasses.dataclass(frozen=True)
class Tool:
    """A tool the assistant can run: schema for its arguments, Markdown out."""

    name: str
    description: str
    parameters: dict[str, Any]
    func: Callable[..., str]

    def run(self, **kwargs: Any) -> str:
        """Validate ``kwargs`` against ``parameters`` and run; errors come back as Markdown."""
        # Imported here: jsonschema costs ~0.1 s to import and `apilab ask` rarely needs it.
        import jsonschema

        try:
            jsonschema.validate(kwargs, self.parameters)
        except jsonschema.ValidationError as exc:
            where = "/".join(str(p) for p in exc.absolute_path) or "arguments"
            return f"**{self.name} could not run:** {where}: {exc.message}."
        try:
            return self.func(**kwargs)
        except ApilabError as exc:
            return f"**{self.name} could not run:** {exc}"

    def to_openai(self) -> dict[str, Any]:
        """The tool as an OpenAI ``tools`` entry (function calling)."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }

    def to_anthropic(self) -> dict[str, Any]:
        """The tool as an Anthropic ``tools`` entry (tool use)."""
        return {"name": self.name, "description": self.description,
                "input_schema": self.parameters}


# --- money ------------------------------------------------------------------------


def fmt_usd(amount: Decimal | float | int) -> str:
    """Dollars as ``apilab.pricing`` shows them (cents, more places below a cent)."""
    from apilab.pricing import format_usd

    return format_usd(Decimal(str(amount)))


def _fmt_int(n: int) -> str:
    return f"{n:,}"


# --- estimate_cost ------------------------------------------------------------------


def render_cost(
    model: str,
    input_tokens: int,
    output_tokens: int = 0,
    cached_input_tokens: int = 0,
    requests: int = 1,
    at: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """Markdown cost table from ``apilab.pricing`` and the figures behind it.

    Token counts are per request; ``requests`` multiplies them; ``at`` (ISO date)
    prices at that date. Raises the pricing module's ``UnknownModelError`` /
    ``PriceNotFoundError`` (never $0).
    """
    from apilab.pricing import cost

    total_in, total_out = input_tokens * requests, output_tokens * requests
    total_cached = cached_input_tokens * requests
    breakdown = cost(model, total_in, total_out, cached_input_tokens=total_cached, at=at)
    price = breakdown.price
    rows = []
    parts = []
    for label, tokens, rate, amount in breakdown.lines():
        if not tokens:
            continue
        rows.append(f"| {label} | {_fmt_int(int(tokens))} | {fmt_usd(rate)} | {fmt_usd(amount)} |")
        parts.append(fmt_usd(amount))
    lines = [
        f"**Cost on `{breakdown.model}`**"
        + (f" for {_fmt_int(requests)} requests" if requests > 1 else ""),
        "",
        "| | tokens | price per 1M | cost |",
        "|---|---:|---:|---:|",
        *rows,
        f"| **total** | | | **{fmt_usd(breakdown.total)}** |",
        "",
    ]
    if len(parts) > 1:
        lines.append(f"{fmt_usd(breakdown.total)} = {' + '.join(parts)}.")
    elif parts:
        lines.append(f"Total: {fmt_usd(breakdown.total)}.")
    source = getattr(price, "source", None)
    valid_from = getattr(price, "valid_from", None)
    dated = f"Prices as of {valid_from}" if valid_from else "Prices from apilab's dated table"
    lines.append(
        f"_{dated}"
        + (f" ({source})" if source else "")
        + ". Prices change: check the provider's pricing page before you budget._"
    )
    figures = {
        "model": breakdown.model,
        "input_tokens": total_in,
        "output_tokens": total_out,
        "cached_input_tokens": total_cached,
        "total_usd": str(breakdown.total),
    }
    return "\n".join(lines), figures


def render_price(model: str) -> str:
    """One model's current prices per 1M tokens, dated and sourced, as Markdown."""
    from apilab.pricing import get_price

    p = get_price(model)
    cached = (f", cached input {fmt_usd(p.cached_input_per_m)}"
              if p.cached_input_per_m is not None else "")
    return (f"**`{p.model}`** ({p.provider}): {fmt_usd(p.input_per_m)} per 1M input tokens, "
            f"{fmt_usd(p.output_per_m)} per 1M output tokens{cached}; context window "
            f"{p.context_window:,} tokens. _Price as of {p.as_of} ({p.source})._")


def _estimate_cost(
    model: str,
    input_tokens: int,
    output_tokens: int = 0,
    cached_input_tokens: int = 0,
    requests: int = 1,
) -> str:
    return render_cost(model, input_tokens, output_tokens, cached_input_tokens, requests)[0]


# --- count_tokens --------------------------------------------------------------------


def _count_tokens(text: str, model: str = "gpt-4o") -> str:
    from apilab.pricing import count_text

    count = count_text(text, model)
    how = (f"exact, `{count.method}`" if count.exact
           else f"estimated, `{count.method}` - this provider's tokenizer is not public")
    words = len(text.split())
    ratio = f" ({words} words, {count.tokens / words:.2f} tokens per word)" if words else ""
    return (f"**{_fmt_int(count.tokens)} tokens** for `{count.model}` ({how}){ratio}. "
            "Chat requests add a few tokens of framing per message.")


# --- backoff_schedule --------------------------------------------------------------


JITTER_KINDS = ("full", "equal", "none")


@dataclasses.dataclass(frozen=True)
class BackoffRow:
    """One retry: the exponential wait, the jitter range and the worst case so far."""

    retry: int
    wait: float  # min(cap, base * 2**(retry-1)), before jitter
    low: float  # jitter range the actual sleep is drawn from
    high: float
    capped: bool
    worst_total: float  # sum of ``high`` up to and including this retry


def backoff_rows(
    attempts: int, base: float, cap: float, jitter: str = "full", multiplier: float = 2.0
) -> list[BackoffRow]:
    """The schedule: retry n waits min(cap, base * multiplier**(n-1)), then jitter."""
    rows = []
    total = 0.0
    for n in range(1, attempts + 1):
        raw = base * multiplier ** (n - 1)
        wait = min(cap, raw)
        if jitter == "full":
            low, high = 0.0, wait
        elif jitter == "equal":
            low, high = wait / 2, wait
        else:
            low = high = wait
        total += high
        rows.append(BackoffRow(n, wait, low, high, raw > cap, total))
    return rows


def _secs(x: float) -> str:
    return f"{x:g} s"


def render_backoff(
    attempts: int = 5, base: float = 1.0, cap: float = 30.0, jitter: str = "full"
) -> str:
    """The backoff schedule as a Markdown table, with jitter and Retry-After explained."""
    rows = backoff_rows(attempts, base, cap, jitter)
    jitter_head = {
        "full": "actual sleep (full jitter)",
        "equal": "actual sleep (equal jitter)",
        "none": "actual sleep (no jitter)",
    }[jitter]
    lines = [
        f"**Backoff schedule: {attempts} retries, base {_secs(base)}, doubling, "
        f"cap {_secs(cap)}, {jitter} jitter**",
        "",
        f"| retry | exponential wait | {jitter_head} | worst case so far |",
        "|---:|---:|---|---:|",
    ]
    for r in rows:
        wait = _secs(r.wait) + (" (capped)" if r.capped else "")
        sleep = (f"random {r.low:g}-{r.high:g} s" if r.low != r.high else _secs(r.high))
        lines.append(f"| {r.retry} | {wait} | {sleep} | {_secs(r.worst_total)} |")
    waits = ", ".join(f"{r.wait:g}" for r in rows)
    capped = any(r.capped for r in rows)
    lines += [
        "",
        f"Waits: {waits} seconds"
        + (f" - the {_secs(cap)} cap kicks in where marked." if capped
           else f" - the {_secs(cap)} cap is never reached in {attempts} retries "
                f"(retry {attempts + 1} would wait "
                f"{_secs(min(cap, base * 2 ** attempts))})."),
    ]
    if jitter != "none":
        lines += [
            "",
            "**Why jitter:** if many clients hit the limit at the same moment and all wait "
            "exactly 1, 2, 4 s, they retry at the same moment again - a *thundering herd* "
            "that causes the next spike. Drawing each sleep at random "
            + ("between 0 and the exponential wait" if jitter == "full"
               else "between half and all of the exponential wait")
            + " spreads the retries out.",
        ]
    lines += [
        "",
        "If the response carries `Retry-After` (or `retry-after-ms`), wait at least that long "
        "instead. Retry only what can clear (429 rate limit, 500/502/503/504, 529, timeouts) - "
        "never 400/401/403/404 or `insufficient_quota`.",
        "",
        "```python",
        "import time" if jitter == "none" else "import random, time",
        "",
        f"def sleep_before_retry(n, base={base:g}, cap={cap:g}):  # n = 1, 2, 3 ...",
        "    wait = min(cap, base * 2 ** (n - 1))",
        "    time.sleep(random.uniform(0, wait))  # full jitter"
        if jitter == "full" else
        "    time.sleep(wait / 2 + random.uniform(0, wait / 2))  # equal jitter"
        if jitter == "equal" else "    time.sleep(wait)",
        "```",
    ]
    return "\n".join(lines)


def _backoff_schedule(
    attempts: int = 5, base: float = 1.0, cap: float = 30.0, jitter: str = "full"
) -> str:
    return render_backoff(attempts, base, cap, jitter)


# --- scan_for_keys ---------------------------------------------------------------------


def _scan_for_keys(text: str) -> str:
    from apilab.secretscan import find_secrets

    findings = find_secrets(text)
    if not findings:
        return ("**No keys found** in the pasted text. (The scanner looks for AI-provider, "
                "cloud and Git-host key formats and for secret-like names with random values.)")
    lines = [
        f"**{len(findings)} possible secret(s) found** (shown redacted, never in full):",
        "",
        "| line | what | redacted | confidence |",
        "|---:|---|---|---:|",
    ]
    for f in findings:
        lines.append(f"| {f.line} | {f.description} | `{f.redacted}` | {f.confidence:.0%} |")
    fixes = sorted({f.fix for f in findings if getattr(f, "fix", "")})
    if fixes:
        lines += ["", *[f"- {fix}" for fix in fixes]]
    lines += ["", "If any of these was ever committed, pushed or shared, treat it as leaked: "
              "**revoke it first**, then audit usage, rotate, and find the root cause."]
    return "\n".join(lines)


# --- check_json ------------------------------------------------------------------------


def _check_json(text: str, schema: str | None = None) -> str:
    return render_json_check(json_check(text, schema))


# --- explain_http_response ---------------------------------------------------------------


def _explain_http_response(text: str) -> str:
    return httpinfo.explain(text) or (
        "I could not find an HTTP status code or a provider error body in that text. Paste "
        "the status line (e.g. `HTTP/1.1 429 Too Many Requests`), the headers and the JSON "
        "error body."
    )


# --- the registry ----------------------------------------------------------------------------


TOOLS: dict[str, Tool] = {
    t.name: t
    for t in (
        Tool(
            "estimate_cost",
            "Exact cost in USD of a number of input/output tokens on a model, from apilab's "
            "dated price table. Token counts are per request; `requests` multiplies them.",
            {
                "type": "object",
                "properties": {
                    "model": {"type": "string", "description": "Model id, e.g. gpt-4o-mini"},
                    "input_tokens": {"type": "integer", "minimum": 0},
                    "output_tokens": {"type": "integer", "minimum": 0},
                    "cached_input_tokens": {"type": "integer", "minimum": 0},
                    "requests": {"type": "integer", "minimum": 1},
                },
                "required": ["model", "input_tokens"],
                "additionalProperties": False,
            },
            _estimate_cost,
        ),
        Tool(
            "count_tokens",
            "Count the tokens of a text for a model (exact with tiktoken for OpenAI models, "
            "a labelled estimate for others).",
            {
                "type": "object",
                "properties": {
                    "text": {"type": "string"},
                    "model": {"type": "string", "description": "Model id (default gpt-4o)"},
                },
                "required": ["text"],
                "additionalProperties": False,
            },
            _count_tokens,
        ),
        Tool(
            "backoff_schedule",
            "An exponential backoff schedule with jitter as a Markdown table: retry n waits "
            "min(cap, base * 2**(n-1)) seconds, randomised by the jitter kind.",
            {
                "type": "object",
                "properties": {
                    "attempts": {"type": "integer", "minimum": 1, "maximum": 20,
                                 "description": "How many retries to schedule"},
                    "base": {"type": "number", "exclusiveMinimum": 0, "maximum": 3600,
                             "description": "First wait in seconds"},
                    "cap": {"type": "number", "exclusiveMinimum": 0, "maximum": 86400,
                            "description": "Longest single wait in seconds"},
                    "jitter": {"type": "string", "enum": list(JITTER_KINDS)},
                },
                "additionalProperties": False,
            },
            _backoff_schedule,
        ),
        Tool(
            "scan_for_keys",
            "Scan pasted text or code for API keys and other secrets; findings are shown "
            "redacted, with the fix.",
            {
                "type": "object",
                "properties": {"text": {"type": "string"}},
                "required": ["text"],
                "additionalProperties": False,
            },
            _scan_for_keys,
        ),
        Tool(
            "check_json",
            "Parse a JSON document and, if a JSON Schema is given, validate it; reports the "
            "parse error with line/column or each schema violation with its path.",
            {
                "type": "object",
                "properties": {
                    "text": {"type": "string", "description": "The JSON document"},
                    "schema": {"type": "string", "description": "A JSON Schema, as JSON text"},
                },
                "required": ["text"],
                "additionalProperties": False,
            },
            _check_json,
        ),
        Tool(
            "explain_http_response",
            "Explain a pasted HTTP response from OpenAI, Anthropic or Gemini (status line, "
            "headers, JSON error body): what happened, what to do, and whether to retry.",
            {
                "type": "object",
                "properties": {"text": {"type": "string"}},
                "required": ["text"],
                "additionalProperties": False,
            },
            _explain_http_response,
        ),
    )
}
