"""The models the sandbox serves, and how it counts and prices their tokens.

The catalogue is the project's price table (``apilab.pricing``): every model
with a price in force today, under its canonical id and its aliases, plus the
free ``echo`` model that repeats the last user message. Token counts and costs
come from ``apilab.pricing`` too, so the sandbox bills exactly as the lab's
calculator does. ``apilab.pricing`` is imported lazily: importing the sandbox
app stays cheap, and tiktoken's rank files load on the first request.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from decimal import Decimal
from importlib import resources
from typing import Any

from apilab.errors import NotFoundError

__all__ = [
    "ECHO_MODEL",
    "ModelInfo",
    "count_prompt",
    "display_name",
    "count_text",
    "list_catalogue",
    "lookup_model",
    "price_usage",
]

ECHO_MODEL = "echo"
_OWNERS = {"openai": "openai", "anthropic": "anthropic", "google": "google"}
# Providers' own first-party name for an "owned_by" value and family defaults.
_DEFAULT_CREATED = 1_700_000_000


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    """One servable model: the name asked for, its canonical id and what it costs."""

    id: str  # canonical id (what responses report)
    provider: str  # "openai" | "anthropic" | "google" | "sandbox"
    context_window: int
    created: int
    names: tuple[str, ...]  # canonical id and aliases
    priced: bool = True
    # Minimum prefix for Anthropic cache breakpoints (1024 Sonnet/Opus 4.x, 2048 Haiku 3.x).
    cache_min_tokens: int = 1024
    # USD per million tokens as strings (input, output, cached input or None), and the
    # date the price table says they were checked.
    prices: tuple[str, str, str | None, str] | None = None
    kind: str = "chat"  # "chat" | "embedding" | "completion" (which endpoint serves it)
    max_output_tokens: int = 4096  # the most one reply may hold (models.yaml)
    snapshot: str | None = None  # the dated id OpenAI reports for this alias (models.yaml)
    dimensions: int = 0  # embedding models: vector size
    shortenable: bool = False  # embedding models: whether `dimensions` may shorten it

    @property
    def reported_id(self) -> str:
        """The ``model`` a reply reports: the dated snapshot, as the real APIs do."""
        return self.snapshot or self.id

    def openai_object(self, name: str | None = None) -> dict[str, Any]:
        """The model as ``GET /v1/models`` lists it, plus the sandbox's extra facts.

        ``context_window`` and ``pricing`` are not in OpenAI's schema; the SDKs keep
        unknown fields, so code can read them and code that ignores them is unaffected.
        """
        data: dict[str, Any] = {"id": name or self.id, "object": "model",
                                "created": self.created,
                                "owned_by": _OWNERS.get(self.provider, "apilab-sandbox"),
                                "context_window": self.context_window}
        if self.prices is not None:
            data["pricing"] = {"currency": "USD", "input_per_m": self.prices[0],
                               "output_per_m": self.prices[1],
                               "cached_input_per_m": self.prices[2], "as_of": self.prices[3]}
        return data

    def anthropic_object(self, name: str | None = None) -> dict[str, Any]:
        """The model as Anthropic's ``GET /v1/models`` lists it (display name made readable)."""
        created = dt.datetime.fromtimestamp(self.created, dt.UTC)
        return {"type": "model", "id": name or self.id,
                "display_name": display_name(name or self.id),
                "created_at": created.isoformat().replace("+00:00", "Z")}


def display_name(model_id: str) -> str:
    """``claude-sonnet-4-5-20250929`` -> ``Claude Sonnet 4.5``; ``claude-3-5-haiku-…`` ->
    ``Claude Haiku 3.5`` (Anthropic's own naming: family, then version)."""
    parts = [p for p in model_id.split("-") if not (p.isdigit() and len(p) == 8)]
    if parts[-1:] == ["latest"]:
        parts = parts[:-1]
    if not parts or parts[0] != "claude":
        return model_id
    words = [p for p in parts[1:] if not p.isdigit()]
    numbers = [p for p in parts[1:] if p.isdigit()]
    name = " ".join(w.capitalize() for w in words)
    return f"Claude {name} {'.'.join(numbers)}".strip()


_ECHO = ModelInfo(ECHO_MODEL, "sandbox", 128_000, _DEFAULT_CREATED, (ECHO_MODEL,), priced=False,
                  max_output_tokens=16_384)


@functools.cache
def _limits() -> dict[str, Any]:
    """models.yaml: per-model output caps, snapshots and embedding sizes."""
    import yaml

    text = (resources.files("apilab.sandbox") / "models.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return {"default": int(data["default_max_output"]), "models": data["models"]}


def _pricing() -> Any:
    import apilab.pricing as pricing

    if hasattr(pricing, "cost") and hasattr(pricing, "count_messages"):
        return pricing
    # The package's public names may land after its modules: use those directly.
    from apilab.pricing import cost, prices, tokens

    class _Shim:
        count_text = staticmethod(tokens.count_text)
        count_messages = staticmethod(tokens.count_messages)
        cost = staticmethod(cost.cost)
        list_models = staticmethod(prices.list_models)
        resolve_model = staticmethod(prices.resolve_model)
        get_price = staticmethod(prices.get_price)

    return _Shim


def _cache_min(model_id: str, provider: str) -> int:
    if provider == "anthropic" and "haiku" in model_id and ("3-" in model_id or "3." in model_id):
        return 2048
    return 1024


def _info(entry: Any) -> ModelInfo:
    valid_from = getattr(entry, "valid_from", None)
    created = _DEFAULT_CREATED
    if isinstance(valid_from, dt.date):
        created = int(dt.datetime(valid_from.year, valid_from.month, valid_from.day,
                                  tzinfo=dt.UTC).timestamp())
    names = (entry.model, *tuple(getattr(entry, "aliases", ()) or ()))
    cached = getattr(entry, "cached_input_per_m", None)
    prices = (str(entry.input_per_m), str(entry.output_per_m),
              str(cached) if cached is not None else None, str(getattr(entry, "as_of", "")))
    facts = _limits()["models"].get(entry.model, {})
    return ModelInfo(entry.model, str(entry.provider), int(entry.context_window), created,
                     tuple(dict.fromkeys(names)), True, _cache_min(entry.model, entry.provider),
                     prices, kind=str(getattr(entry, "kind", "chat")),
                     max_output_tokens=int(facts.get("max_output", _limits()["default"])),
                     snapshot=facts.get("snapshot"), dimensions=int(facts.get("dimensions", 0)),
                     shortenable=bool(facts.get("shortenable", False)))


@functools.lru_cache(maxsize=1)
def _catalogue(day: dt.date) -> dict[str, ModelInfo]:
    out: dict[str, ModelInfo] = {}
    for entry in _pricing().list_models(day):
        info = _info(entry)
        for name in info.names:
            out[name.lower()] = info
    out[ECHO_MODEL] = _ECHO
    return out


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def list_catalogue() -> list[tuple[str, ModelInfo]]:
    """Every servable name (canonical ids and aliases) with its model, sorted by name."""
    return sorted(_catalogue(_today()).items())


@functools.lru_cache(maxsize=4096)
def _lookup(name: str, day: dt.date) -> ModelInfo:
    table = _catalogue(day)
    key = name.strip().lower()
    if key in table:
        return table[key]
    from apilab.errors import ApilabError

    try:
        canonical = _pricing().resolve_model(name)
    except ApilabError as exc:
        raise NotFoundError(str(exc)) from exc
    if canonical.lower() in table:
        return table[canonical.lower()]
    raise NotFoundError(f"Model {name!r} has no price in force today, so the sandbox "
                        "does not serve it.")


def lookup_model(name: str) -> ModelInfo:
    """The model for a requested name or alias; ``NotFoundError`` when not servable."""
    if not isinstance(name, str) or not name.strip():
        raise NotFoundError("A model name is required.")
    return _lookup(name, _today())


def _count_model(info: ModelInfo) -> str:
    # The echo model has no tokenizer of its own: it counts like gpt-4o.
    return "gpt-4o" if info.provider == "sandbox" else info.id


# Prompts repeat (a lab's system prompt, an app resending its history): counting the same
# small prompt again costs a tokenizer pass that is a third of a request's CPU. Counts of
# prompts whose text form is at most this long are memoised; longer ones are counted fresh
# so the cache's memory stays bounded (4,096 entries of at most 8 KB).
_MEMO_CHARS = 8192
_counts: dict[str, int] = {}


def count_prompt(info: ModelInfo, messages: list[dict[str, Any]],
                 tools: list[dict[str, Any]] | None = None) -> int:
    """Prompt tokens of a chat request, counted the way the provider bills it."""
    model = _count_model(info)
    key = repr((model, messages, tools))
    if len(key) <= _MEMO_CHARS:
        hit = _counts.get(key)
        if hit is not None:
            return hit
    tokens = int(_pricing().count_messages(messages, model, tools).tokens)
    if len(key) <= _MEMO_CHARS:
        if len(_counts) >= 4096:
            _counts.clear()  # crude but bounded; repeats refill it at once
        _counts[key] = tokens
    return tokens


def count_text(info: ModelInfo, text: str) -> int:
    """Tokens of a text for this model."""
    return int(_pricing().count_text(text, _count_model(info)).tokens)


def text_counter(info: ModelInfo) -> Any:
    """A fast ``str -> int`` counter for this model (for the generator)."""
    model = _count_model(info)
    counter = _pricing().count_text
    return lambda text: int(counter(text, model).tokens)


def price_usage(info: ModelInfo, *, input_tokens: int, output_tokens: int,
                cached_tokens: int = 0, cache_write_tokens: int = 0) -> Decimal:
    """USD cost of one request's usage; ``input_tokens`` excludes cached and written tokens."""
    if not info.priced:
        return Decimal(0)
    return _price(info.id, input_tokens, output_tokens, cached_tokens, cache_write_tokens,
                  _today())


@functools.lru_cache(maxsize=8192)
def _price(model: str, input_tokens: int, output_tokens: int, cached_tokens: int,
           cache_write_tokens: int, day: dt.date) -> Decimal:
    # A pure function of its arguments and the date (the price in force that day), and
    # requests from one app repeat the same token counts often: memoised.
    breakdown = _pricing().cost(model, input_tokens, output_tokens, cached_tokens,
                                cache_write_tokens, day)
    return Decimal(breakdown.total)
