"""The dated price table: model names, aliases and the price in force on a date.

This module owns ``prices.yaml`` (validated by a Pydantic schema when first read) and the
lookups on it. It never guesses: an unknown model raises ``UnknownModelError`` naming close
matches, and a known model with no price on the requested date raises
``PriceNotFoundError``. No lookup ever answers $0, because a zero price silently disables
every budget built on it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
from decimal import Decimal
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from apilab.errors import ConfigError, InvalidInputError, PriceNotFoundError, UnknownModelError

__all__ = [
    "LongContextRate",
    "PriceEntry",
    "all_prices",
    "as_date",
    "get_price",
    "known_names",
    "list_models",
    "resolve_model",
    "today",
]

Provider = Literal["openai", "anthropic", "google"]
# What a model serves: chat/messages (the default), embeddings (input only, so no output
# rate), or the legacy text completions endpoint.
Kind = Literal["chat", "embedding", "completion"]

# Prefixes people paste from other tools: "openai/gpt-4o", Gemini's "models/gemini-2.0-flash".
_STRIP_PREFIXES = ("openai/", "anthropic/", "google/", "gemini/", "models/")


# --- schema of prices.yaml ---------------------------------------------------------------


def _safe_load(text: str) -> Any:
    """``yaml.safe_load`` through libyaml when PyYAML has it (about 10x faster, same
    safe constructors): loading this package's data is on the CLI's start-up path."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


class _LongContextRow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    above_tokens: int = Field(gt=0)
    input: Decimal = Field(gt=0)
    output: Decimal = Field(gt=0)
    cached_input: Decimal | None = Field(default=None, gt=0)
    cache_write: Decimal | None = Field(default=None, gt=0)


class _PeriodRow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    valid_from: dt.date
    valid_to: dt.date | None = None
    input: Decimal = Field(gt=0)
    output: Decimal | None = Field(default=None, gt=0)  # required except for embeddings
    cached_input: Decimal | None = Field(default=None, gt=0)
    cache_write: Decimal | None = Field(default=None, gt=0)
    long_context: _LongContextRow | None = None
    context_window: int | None = Field(default=None, gt=0)
    currency: str = "USD"
    source: str = Field(min_length=5)
    as_of: dt.date
    verified: bool
    note: str | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> _PeriodRow:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} is before valid_from {self.valid_from}")
        return self


class _ModelRow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    provider: Provider
    kind: Kind = "chat"
    aliases: list[str] = []
    context_window: int = Field(gt=0)
    prices: list[_PeriodRow] = Field(min_length=1)

    @model_validator(mode="after")
    def _output_rate_unless_embedding(self) -> _ModelRow:
        # Embeddings produce no output tokens; every other model must price its output,
        # because a missing rate would bill output at $0 and silently disable budgets.
        if self.kind != "embedding":
            for period in self.prices:
                if period.output is None:
                    raise ValueError(f"{self.id}: the period from {period.valid_from} has "
                                     "no output rate")
        return self

    @model_validator(mode="after")
    def _periods_do_not_overlap(self) -> _ModelRow:
        periods = sorted(self.prices, key=lambda p: p.valid_from)
        for earlier, later in zip(periods, periods[1:], strict=False):
            if earlier.valid_to is None or earlier.valid_to >= later.valid_from:
                raise ValueError(
                    f"{self.id}: period from {earlier.valid_from} overlaps the one "
                    f"from {later.valid_from}"
                )
        self.prices = periods
        return self


class _PriceFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    models: list[_ModelRow]


# --- public value types ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class LongContextRate:
    """Higher rates that apply to a whole request once its prompt exceeds ``above_tokens``."""

    above_tokens: int
    input_per_m: Decimal
    output_per_m: Decimal
    cached_input_per_m: Decimal | None = None
    cache_write_per_m: Decimal | None = None


@dataclasses.dataclass(frozen=True)
class PriceEntry:
    """One model's prices (USD per 1M tokens) for one date range, with where they came from."""

    model: str
    provider: str
    input_per_m: Decimal
    output_per_m: Decimal
    cached_input_per_m: Decimal | None
    cache_write_per_m: Decimal | None
    currency: str
    context_window: int
    valid_from: dt.date
    valid_to: dt.date | None
    source: str
    verified: bool
    as_of: dt.date
    note: str | None = None
    aliases: tuple[str, ...] = ()
    long_context: LongContextRate | None = None
    kind: str = "chat"  # "chat" | "embedding" (no output rate: 0) | "completion"

    def covers(self, day: dt.date) -> bool:
        """True when this entry is in force on ``day``."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: Decimals and dates as strings."""
        data = dataclasses.asdict(self)
        for key, value in list(data.items()):
            if isinstance(value, Decimal | dt.date):
                data[key] = str(value)
        data["aliases"] = list(self.aliases)
        if self.long_context is not None:
            data["long_context"] = {
                k: (str(v) if isinstance(v, Decimal) else v)
                for k, v in dataclasses.asdict(self.long_context).items()
            }
        return data


# --- loading -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Table:
    entries: dict[str, tuple[PriceEntry, ...]]  # canonical id -> periods, oldest first
    names: dict[str, str]  # lower-case id or alias -> canonical id


def _entry(row: _ModelRow, period: _PeriodRow) -> PriceEntry:
    lc = period.long_context
    return PriceEntry(
        model=row.id,
        provider=row.provider,
        input_per_m=period.input,
        output_per_m=period.output if period.output is not None else Decimal(0),
        cached_input_per_m=period.cached_input,
        cache_write_per_m=period.cache_write,
        currency=period.currency,
        context_window=period.context_window or row.context_window,
        valid_from=period.valid_from,
        valid_to=period.valid_to,
        source=period.source,
        verified=period.verified,
        as_of=period.as_of,
        note=period.note,
        aliases=tuple(row.aliases),
        kind=row.kind,
        long_context=LongContextRate(
            lc.above_tokens, lc.input, lc.output, lc.cached_input, lc.cache_write
        ) if lc else None,
    )


def parse_table(text: str) -> _Table:
    """Validate a prices.yaml text and index it (used by the loader and the tests)."""
    try:
        parsed = _PriceFile.model_validate(_safe_load(text))
    except (yaml.YAMLError, ValueError) as exc:
        raise ConfigError(f"prices.yaml is invalid: {exc}") from exc
    entries: dict[str, tuple[PriceEntry, ...]] = {}
    names: dict[str, str] = {}
    for row in parsed.models:
        for name in (row.id, *row.aliases):
            key = name.lower()
            if key in names:
                raise ConfigError(f"prices.yaml names {name!r} twice.")
            names[key] = row.id
        entries[row.id] = tuple(_entry(row, period) for period in row.prices)
    return _Table(entries, names)


@functools.cache
def _table() -> _Table:
    return parse_table((resources.files("apilab.pricing") / "prices.yaml").read_text("utf-8"))


# --- lookups -----------------------------------------------------------------------------


def today() -> dt.date:
    """Today's date in UTC (prices change at UTC midnight in provider announcements)."""
    return dt.datetime.now(dt.UTC).date()


def as_date(value: dt.date | dt.datetime | str | None) -> dt.date | None:
    """A plain date from a date, a datetime (its UTC date) or an ISO string; None stays None."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        # Comparing a datetime with the table's dates raises TypeError: normalise first.
        return (value.astimezone(dt.UTC) if value.tzinfo else value).date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise InvalidInputError(f"A price date must look like 2024-06-01 (got {value!r}).")


def known_names() -> list[str]:
    """Every canonical model id and alias, sorted."""
    return sorted(_table().names)


def resolve_model(name: str) -> str:
    """The canonical model id for a name or alias (case-insensitive).

    Raises ``UnknownModelError`` with up to three close matches when the name is unknown.
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError("A model name is required, e.g. gpt-4o-mini.")
    return _resolve(name)


# Cached because the call layer resolves a model on every request; failures (unknown
# names) raise and so are never cached, and the size bound caps what user input can fill.
@functools.lru_cache(maxsize=1024)
def _resolve(name: str) -> str:
    key = name.strip().lower()
    for prefix in _STRIP_PREFIXES:
        if key.startswith(prefix):
            key = key[len(prefix):]
    table = _table()
    if key in table.names:
        return table.names[key]
    suggestions = difflib.get_close_matches(key, list(table.names), n=3, cutoff=0.6)
    if not suggestions:
        suggestions = [n for n in table.names if n.startswith(key[:5])][:3]
    raise UnknownModelError(name, suggestions)


def get_price(model: str, at: dt.date | None = None) -> PriceEntry:
    """The price entry in force for ``model`` on ``at`` (default: today, UTC)."""
    model_id = resolve_model(model)
    day = as_date(at) or today()
    periods = _table().entries[model_id]
    for entry in periods:
        if entry.covers(day):
            return entry
    first, last = periods[0], periods[-1]
    if day < first.valid_from:
        why = f"its first price starts on {first.valid_from}"
    elif last.valid_to is not None and day > last.valid_to:
        why = f"its last price ended on {last.valid_to} (retired or not yet re-checked)"
    else:
        why = "the table has a gap there"
    raise PriceNotFoundError(
        f"No price for {model_id} on {day}: {why}. Pass a date inside a listed period "
        f"(see `apilab prices --model {model_id} --all`) or add the entry to prices.yaml.",
        web_message=f"No price for {model_id} on {day}: {why}.",
    )


def list_models(at: dt.date | None = None) -> list[PriceEntry]:
    """The entry in force on ``at`` (default today) for every model that has one."""
    day = as_date(at) or today()
    result = []
    for periods in _table().entries.values():
        result.extend(entry for entry in periods if entry.covers(day))
    return result


def all_prices(model: str | None = None) -> list[PriceEntry]:
    """Every dated entry (history included), optionally for one model."""
    table = _table()
    if model is not None:
        return list(table.entries[resolve_model(model)])
    return [entry for periods in table.entries.values() for entry in periods]
