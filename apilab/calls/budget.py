"""Budgets in dollars: per learner, per class scope and global, per day and month.

Reserve, call, settle:

1. before the call, the worst case (input tokens with a margin + ``max_tokens``
   at the priciest billable target's rates) is added to every applicable
   counter in one atomic store operation, which refuses if *any* counter would
   pass its cap. So 200 concurrent calls can never overspend: each sees the
   others' reservations.
2. after the call (in ``finally``: success, error, cancellation, a disconnect
   mid-stream) the counters are corrected by ``actual - reserved``. A stream cut
   off part-way is billed for the output tokens actually produced (the
   adapter's count of what was sent), plus the prompt.
3. a counter this process has not used yet is first seeded from the usage ledger
   (set-if-absent), so a restart or a flushed Redis does not reset anyone's spend;
4. if the store cannot be reached the call is refused (fail-closed) unless
   ``budget_fail_open`` is set, in which case it proceeds unreserved and the
   record says so.

A refusal is a ``BudgetExceededError`` whose message gives the figures, so the
assistant can tell the learner exactly why it switched to the offline tutor.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import math
from collections.abc import AsyncIterator, Callable, Sequence
from decimal import Decimal, InvalidOperation

from apilab.calls.base import Call, Final, Handler, Layer, Result, StreamEvent, Usage
from apilab.calls.costs import estimate_input, from_nano, price, to_nano
from apilab.calls.state.base import BudgetEntry, StateStore, StoreUnavailableError
from apilab.errors import BadRequestError, BudgetExceededError, ConfigError, UnknownModelError

__all__ = ["BudgetLayer", "BudgetLimit", "Target", "limits_from_settings"]

log = logging.getLogger(__name__)

Pricer = Callable[[str, Usage], "Decimal | None"]
# Prompt counts for non-OpenAI models are estimates; reserve a margin so the
# settled actual cost cannot exceed the reservation and push spend past a cap.
INPUT_MARGIN = 1.10
INPUT_SLACK = 16


@dataclasses.dataclass(frozen=True)
class BudgetLimit:
    """A cap: ``scope`` is learner, class or global; ``period`` is day or month."""

    scope: str
    period: str
    usd: Decimal


@dataclasses.dataclass(frozen=True)
class Target:
    """A provider/model the call may end up on, and whether it costs money."""

    provider: str
    model: str
    billable: bool = True


def _parse_usd(name: str, raw: object) -> Decimal | None:
    text = str(raw or "").strip().lstrip("$")
    if text.lower() in ("", "off", "none", "unlimited"):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ConfigError(f"APILAB_{name.upper()} must be a dollar amount like 0.50 or 'off', "
                          f"not {raw!r}.") from exc
    if value < 0:
        raise ConfigError(f"APILAB_{name.upper()} cannot be negative.")
    return value


def limits_from_settings(settings: object) -> list[BudgetLimit]:
    """The caps configured in settings ('' or 'off' means no cap for that one)."""
    limits = []
    for scope in ("learner", "class", "global"):
        for period in ("daily", "monthly"):
            name = f"budget_{scope}_{period}_usd"
            value = _parse_usd(name, getattr(settings, name, None))
            if value is not None:
                limits.append(BudgetLimit(scope, "day" if period == "daily" else "month", value))
    return limits


def _money(amount: Decimal) -> str:
    return f"${amount:.4f}" if amount < 1 else f"${amount:.2f}"


class BudgetLayer(Layer):
    """Reserve worst-case dollars, settle actual, refuse past any cap."""

    def __init__(
        self,
        inner: Handler,
        store: StateStore,
        limits: Sequence[BudgetLimit],
        *,
        targets: Sequence[Target] = (),
        fail_open: bool = False,
        pricer: Pricer = price,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        seed: Callable[[str, str | None, dt.datetime], Decimal] | None = None,
    ) -> None:
        super().__init__(inner)
        self.store = store
        self.limits = list(limits)
        self.targets = list(targets)
        self.fail_open = fail_open
        self.pricer = pricer
        self.clock = clock
        self.seed = seed
        self._periods: dict[str, tuple[str, str | None, dt.datetime]] = {}
        self._period_cache: tuple[dt.date, str, str, dt.datetime, dt.datetime] | None = None
        self._seeded: set[str] = set()

    # --- which counters apply -------------------------------------------------
    def _period(self, now: dt.datetime) -> tuple[str, str, dt.datetime, dt.datetime]:
        """(day key, month key, day start, month start) for ``now``, formatted once a day."""
        day = now.date()
        cached = self._period_cache
        if cached is None or cached[0] != day:
            day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
            cached = (day, now.strftime("%Y-%m-%d"), now.strftime("%Y-%m"), day_start,
                      day_start.replace(day=1))
            self._period_cache = cached
        return cached[1], cached[2], cached[3], cached[4]

    def entries(self, call: Call) -> list[tuple[BudgetEntry, BudgetLimit]]:
        now = self.clock()
        day_key, month_key, day_start, month_start = self._period(now)
        out = []
        for limit in self.limits:
            if limit.scope == "learner":
                if not call.learner:
                    continue
                name: str | None = call.learner
            elif limit.scope == "class":
                if not call.scope:
                    continue
                name = call.scope
            else:
                name = None
            who = f"{limit.scope}:{name}" if name is not None else "global"
            if limit.period == "day":
                period, ttl, start = day_key, 2 * 86400, day_start
            else:
                period, ttl, start = month_key, 35 * 86400, month_start
            key = f"budget:{who}:{limit.period}:{period}"
            if key not in self._periods:
                self._periods[key] = (limit.scope, name, start)
            out.append((BudgetEntry(key, to_nano(limit.usd), ttl), limit))
        return out

    async def _recover(self, entries: list[BudgetEntry]) -> None:
        """Seed counters this process has not seen from the ledger (set-if-absent).

        A restarted server (in-process store) or a flushed Redis would otherwise hand
        every learner a fresh budget; the ledger is the durable record of what was spent.
        """
        if self.seed is None:
            return
        for entry in entries:
            if entry.key in self._seeded:
                continue
            scope, name, start = self._periods[entry.key]
            try:
                spent = self.seed(scope, name, start)
            except Exception:  # noqa: BLE001 - recovery is best effort; the store still binds
                log.exception("could not read past spend for %s from the ledger", entry.key)
                continue
            await self.store.budget_seed(entry, to_nano(spent))
            self._seeded.add(entry.key)

    def _billable_targets(self, call: Call) -> list[Target]:
        if self.targets:
            return [t for t in self.targets if t.billable]
        return [Target(call.provider, call.model)]

    def worst_case(self, call: Call) -> Decimal:
        """The most this call can cost on any billable target it may reach."""
        estimate = call.record.estimated_input_tokens
        if estimate is None:
            estimate, method = estimate_input(call)
            call.record.estimated_input_tokens, call.record.token_method = estimate, method
        reserve_in = math.ceil(estimate * INPUT_MARGIN) + INPUT_SLACK
        worst = Decimal(0)
        for target in self._billable_targets(call):
            amount = self.pricer(target.model, Usage(reserve_in, call.max_tokens, exact=False))
            if amount is None:
                # Never treat an unpriced model as free: that is how budgets stop binding.
                raise BadRequestError(
                    f"{UnknownModelError(target.model)} The budget cannot bound the cost of "
                    f"{target.provider}:{target.model} without a price, so the call is refused. "
                    "Pick a model from `apilab prices`, or serve it from localhost (free).",
                    provider=target.provider,
                )
            worst = max(worst, amount)
        return worst

    def _refusal(self, call: Call, limit: BudgetLimit, spent: int, worst: Decimal) -> Exception:
        now = self.clock()
        if limit.period == "day":
            reset = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
            span = "today"
        else:
            first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
            reset = (first + dt.timedelta(days=32)).replace(day=1)
            span = "this month"
        who = {"learner": "Your", "class": f"The class '{call.scope}'",
               "global": "The server's"}[limit.scope]
        period = "daily" if limit.period == "day" else "monthly"
        hours = (reset - now).total_seconds() / 3600
        spent_usd = from_nano(spent)
        return BudgetExceededError(
            f"{who} {period} AI budget is used up: {_money(spent_usd)} of "
            f"{_money(limit.usd)} spent {span}, and this reply could cost up to "
            f"{_money(worst)}. It resets at {reset:%Y-%m-%d %H:%M} UTC (in {hours:.1f} h).",
            scope=f"{limit.scope}:{limit.period}",
            limit=str(limit.usd),
            spent=str(spent_usd.quantize(Decimal("0.000001"))),
        )

    async def _reserve(self, call: Call) -> tuple[list[BudgetEntry], int]:
        if not self.limits or not self._billable_targets(call):
            return [], 0
        worst = self.worst_case(call)
        pairs = self.entries(call)
        entries = [entry for entry, _ in pairs]
        amount = to_nano(worst)
        call.record.cost_estimate = worst
        call.record.budget = {"reserved_usd": str(worst), "scopes": [e.key for e in entries]}
        if not entries:
            return [], 0
        try:
            await self._recover(entries)
            decision = await self.store.budget_reserve(entries, amount)
        except StoreUnavailableError as exc:
            if self.fail_open:
                log.warning("budget store unreachable; proceeding unreserved (fail-open): %s", exc)
                call.record.budget["fail_open"] = True
                return [], 0
            raise BudgetExceededError(
                f"{exc} Budgets cannot be checked, so the call is refused (fail-closed). "
                "Set APILAB_BUDGET_FAIL_OPEN=true to allow calls while the store is down.",
                scope="store",
            ) from exc
        if not decision.ok:
            limit = next(lim for entry, lim in pairs if entry.key == decision.key)
            call.record.status = "refused"
            raise self._refusal(call, limit, decision.spent, worst)
        return entries, amount

    def actual_cost(self, call: Call, result: Result | None) -> Decimal:
        """What the call really cost: provider usage, else what a cut-off stream produced."""
        record = call.record
        answered = record.answered_by or f"{call.provider}:{call.model}"
        provider, _, model = answered.partition(":")
        if any(t.provider == provider and t.model == model and not t.billable
               for t in self.targets):
            return Decimal(0)
        usage = result.usage if result is not None else None
        if usage is None:
            if not (record.streamed_output_tokens or record.streamed_text):
                return Decimal(0)  # nothing was produced (refused, failed before output)
            usage = Usage(record.estimated_input_tokens or 0, record.streamed_output_tokens,
                          exact=False)
        record.usage = usage
        amount = self.pricer(model, usage)
        if amount is None:
            amount = self.pricer(call.model, usage) or Decimal(0)
        return amount

    async def _settle(self, call: Call, entries: list[BudgetEntry], reserved: int,
                      result: Result | None) -> None:
        cost = self.actual_cost(call, result)
        call.record.cost = cost
        if not entries:
            return
        delta = to_nano(cost) - reserved
        call.record.budget["settled_usd"] = str(cost)
        if delta:
            try:
                await self.store.budget_adjust(entries, delta)
            except StoreUnavailableError:
                log.error("could not settle budget for %s (delta %d nano-USD): store unreachable",
                          call.call_id, delta)

    async def ahandle(self, call: Call) -> Result:
        entries, reserved = await self._reserve(call)
        result: Result | None = None
        try:
            result = await self.inner.ahandle(call)
            return result
        finally:
            await self._settle(call, entries, reserved, result)

    async def astream(self, call: Call) -> AsyncIterator[StreamEvent]:
        entries, reserved = await self._reserve(call)
        result: Result | None = None
        try:
            async with contextlib.aclosing(self.inner.astream(call)) as stream:
                async for event in stream:
                    if isinstance(event, Final):
                        result = event.result
                    yield event
        finally:
            await self._settle(call, entries, reserved, result)
