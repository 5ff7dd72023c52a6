"""Per-key rate limits: a request bucket (RPM) and a token bucket (TPM), applied together.

Contract (what is reserved and what is settled):
- ``admit`` needs 1 request and ``reserve`` tokens (input + max output) from the
  buckets of the (key, model) scope. Both are checked before either is taken,
  so a refused request consumes nothing. A reservation bigger than the whole
  TPM budget can never succeed and is refused as "request too large".
- ``settle`` returns ``reserved - actual`` tokens to the bucket once the real
  usage is known (or takes more when the reply used more than reserved).
- Buckets refill continuously: ``rpm/60`` requests and ``tpm/60`` tokens per
  second, up to the full limit; ``reset`` is the time until full, as both
  providers report it.

Every method takes ``now`` (seconds, monotonic) so the same buckets can run on a
simulated clock (the rate-limit arena) and tests need no sleeps.
``MemoryLimits`` keeps state in this process; ``RedisLimits`` shares it between
processes with one Lua script per call.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Protocol

__all__ = [
    "Admission",
    "LimitBackend",
    "LimitSnapshot",
    "MemoryLimits",
    "RedisLimits",
    "TokenBucket",
    "go_duration",
]


def go_duration(seconds: float) -> str:
    """Format like Go's ``time.Duration.String``: ``12ms``, ``1s``, ``17.3s``, ``6m0s``."""
    if seconds <= 0:
        return "0s"
    if seconds < 1:
        ms = max(1, round(seconds * 1000))
        return "1s" if ms >= 1000 else f"{ms}ms"
    total_ms = round(seconds * 1000)
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs = rest / 1000
    sec_text = f"{secs:.3f}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{hours}h{minutes}m{sec_text}"
    if minutes:
        return f"{minutes}m{sec_text}"
    return sec_text


@dataclasses.dataclass
class TokenBucket:
    """A continuously refilling bucket of ``capacity`` units per minute."""

    capacity: float
    level: float
    updated: float

    @classmethod
    def full(cls, capacity: float, now: float) -> TokenBucket:
        return cls(float(capacity), float(capacity), now)

    @property
    def rate(self) -> float:
        """Units added per second."""
        return self.capacity / 60.0

    def refill(self, now: float) -> None:
        if now > self.updated:
            self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
            self.updated = now

    def wait_for(self, amount: float) -> float:
        """Seconds until ``amount`` units are available (0 if they are now)."""
        if self.level >= amount:
            return 0.0
        return (amount - self.level) / self.rate

    def until_full(self) -> float:
        return max(0.0, (self.capacity - self.level) / self.rate)

    def resize(self, capacity: float) -> None:
        """Apply a changed limit, keeping the fraction already used."""
        if capacity != self.capacity:
            used = self.capacity - self.level
            self.capacity = float(capacity)
            self.level = min(self.capacity, self.capacity - used)


@dataclasses.dataclass(frozen=True)
class LimitSnapshot:
    """What the rate-limit headers report for one scope."""

    limit_requests: int
    remaining_requests: int
    reset_requests: float  # seconds until the request bucket is full
    limit_tokens: int
    remaining_tokens: int
    reset_tokens: float


@dataclasses.dataclass(frozen=True)
class Admission:
    """The outcome of ``admit``: allowed, or refused with the reason and wait."""

    allowed: bool
    snapshot: LimitSnapshot
    reserved: int = 0
    refused_by: str | None = None  # "requests" | "tokens" | "too_large"
    retry_after: float = 0.0


class LimitBackend(Protocol):
    """Where bucket state lives (this process, or Redis for several)."""

    def admit(self, scope: str, rpm: int, tpm: int, reserve: int, now: float | None = None
              ) -> Admission: ...

    def settle(self, scope: str, rpm: int, tpm: int, reserved: int, actual: int,
               now: float | None = None) -> None: ...

    def snapshot(self, scope: str, rpm: int, tpm: int, now: float | None = None
                 ) -> LimitSnapshot: ...

    def reset(self, scope: str | None = None) -> None: ...


def _snap(req: TokenBucket, tok: TokenBucket) -> LimitSnapshot:
    return LimitSnapshot(
        int(req.capacity), max(0, int(req.level)), req.until_full(),
        int(tok.capacity), max(0, int(tok.level)), tok.until_full(),
    )


class MemoryLimits:
    """Token buckets in this process, one pair per scope (``key_id:model``)."""

    def __init__(self, clock: callable = time.monotonic) -> None:  # type: ignore[valid-type]
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[TokenBucket, TokenBucket]] = {}

    def _pair(self, scope: str, rpm: int, tpm: int, now: float) -> tuple[TokenBucket, TokenBucket]:
        pair = self._buckets.get(scope)
        if pair is None:
            pair = (TokenBucket.full(rpm, now), TokenBucket.full(tpm, now))
            self._buckets[scope] = pair
        req, tok = pair
        req.refill(now)
        tok.refill(now)
        req.resize(rpm)
        tok.resize(tpm)
        return pair

    def admit(self, scope: str, rpm: int, tpm: int, reserve: int, now: float | None = None
              ) -> Admission:
        """Take 1 request and ``reserve`` tokens, or refuse without taking anything."""
        now = self._clock() if now is None else now
        with self._lock:
            req, tok = self._pair(scope, rpm, tpm, now)
            if reserve > tok.capacity:
                return Admission(False, _snap(req, tok), 0, "too_large", 0.0)
            wait_req = req.wait_for(1)
            wait_tok = tok.wait_for(reserve)
            if wait_req > 0 or wait_tok > 0:
                by = "requests" if wait_req >= wait_tok else "tokens"
                return Admission(False, _snap(req, tok), 0, by, max(wait_req, wait_tok))
            req.level -= 1
            tok.level -= reserve
            return Admission(True, _snap(req, tok), reserve)

    def settle(self, scope: str, rpm: int, tpm: int, reserved: int, actual: int,
               now: float | None = None) -> None:
        """Return unused reserved tokens (or take the overshoot)."""
        now = self._clock() if now is None else now
        with self._lock:
            _, tok = self._pair(scope, rpm, tpm, now)
            tok.level = max(-tok.capacity, min(tok.capacity, tok.level + reserved - actual))

    def snapshot(self, scope: str, rpm: int, tpm: int, now: float | None = None) -> LimitSnapshot:
        """The current state without taking anything."""
        now = self._clock() if now is None else now
        with self._lock:
            return _snap(*self._pair(scope, rpm, tpm, now))

    def reset(self, scope: str | None = None) -> None:
        """Refill one scope (or all) to full."""
        with self._lock:
            if scope is None:
                self._buckets.clear()
            else:
                self._buckets.pop(scope, None)


# One script does refill + check + take atomically for both buckets, so several
# server processes sharing Redis can never over-admit between a read and a write.
_ADMIT_LUA = """
local now = tonumber(ARGV[1])
local rpm = tonumber(ARGV[2])
local tpm = tonumber(ARGV[3])
local reserve = tonumber(ARGV[4])
local settle = tonumber(ARGV[5])
local function load(key, cap)
  local v = redis.call('HMGET', key, 'level', 'updated', 'cap')
  local level = tonumber(v[1]) or cap
  local updated = tonumber(v[2]) or now
  local old = tonumber(v[3]) or cap
  if old ~= cap then level = math.min(cap, cap - (old - level)) end
  if now > updated then level = math.min(cap, level + (now - updated) * cap / 60.0) end
  return level
end
local req = load(KEYS[1], rpm)
local tok = load(KEYS[2], tpm)
local allowed = 0
local by = ''
local wait = 0
if settle ~= 0 then
  tok = math.max(-tpm, math.min(tpm, tok + settle))
  allowed = 1
elseif reserve < 0 then
  allowed = 1
elseif reserve > tpm then
  by = 'too_large'
else
  local wr = 0
  local wt = 0
  if req < 1 then wr = (1 - req) * 60.0 / rpm end
  if tok < reserve then wt = (reserve - tok) * 60.0 / tpm end
  if wr > 0 or wt > 0 then
    if wr >= wt then by = 'requests' else by = 'tokens' end
    wait = math.max(wr, wt)
  else
    req = req - 1
    tok = tok - reserve
    allowed = 1
  end
end
redis.call('HSET', KEYS[1], 'level', tostring(req), 'updated', tostring(now), 'cap', rpm)
redis.call('HSET', KEYS[2], 'level', tostring(tok), 'updated', tostring(now), 'cap', tpm)
redis.call('EXPIRE', KEYS[1], 120)
redis.call('EXPIRE', KEYS[2], 120)
return {allowed, by, tostring(req), tostring(tok), tostring(wait)}
"""


class RedisLimits:
    """The same buckets kept in Redis so several sandbox processes share one budget.

    Uses Redis server time so processes with drifting clocks agree; ``now`` is
    accepted for interface parity and used when given (tests).
    """

    def __init__(self, url: str, prefix: str = "apilab:sandbox:limits:") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self._prefix = prefix
        self._script = self._redis.register_script(_ADMIT_LUA)

    def _now(self, now: float | None) -> float:
        if now is not None:
            return now
        secs, micros = self._redis.time()
        return float(secs) + float(micros) / 1e6

    def _call(self, scope: str, rpm: int, tpm: int, reserve: int, settle: int,
              now: float | None) -> tuple[bool, str, LimitSnapshot, float]:
        keys = [self._prefix + scope + ":req", self._prefix + scope + ":tok"]
        allowed, by, req, tok, wait = self._script(
            keys=keys, args=[self._now(now), rpm, tpm, reserve, settle]
        )
        req_level, tok_level = float(req), float(tok)
        snap = LimitSnapshot(
            rpm, max(0, int(req_level)), max(0.0, (rpm - req_level) * 60.0 / rpm),
            tpm, max(0, int(tok_level)), max(0.0, (tpm - tok_level) * 60.0 / tpm),
        )
        by_text = by.decode() if isinstance(by, bytes) else str(by)
        return bool(int(allowed)), by_text, snap, float(wait)

    def admit(self, scope: str, rpm: int, tpm: int, reserve: int, now: float | None = None
              ) -> Admission:
        ok, by, snap, wait = self._call(scope, rpm, tpm, reserve, 0, now)
        if ok:
            return Admission(True, snap, reserve)
        return Admission(False, snap, 0, by or "requests", wait)

    def settle(self, scope: str, rpm: int, tpm: int, reserved: int, actual: int,
               now: float | None = None) -> None:
        delta = reserved - actual
        if delta:
            self._call(scope, rpm, tpm, 0, delta, now)

    def snapshot(self, scope: str, rpm: int, tpm: int, now: float | None = None) -> LimitSnapshot:
        return self._call(scope, rpm, tpm, -1, 0, now)[2]

    def reset(self, scope: str | None = None) -> None:
        pattern = self._prefix + (scope + ":*" if scope else "*")
        for key in self._redis.scan_iter(match=pattern):
            self._redis.delete(key)
