"""Fault injection: seeded 429/500/503/529, latency, slow streams, disconnects, hangs.

A ``ChaosProfile`` (see ``config.py``) applies globally or to one key; a key's own
profile wins. Each request draws from ``Random(seed, scope, n)`` where ``n``
counts requests under that profile, so a run with the same seed and the same
request order injects exactly the same faults. Profiles are switched at run
time through ``set_chaos`` (the admin API and the lab drills call it).
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from typing import Any

from apilab.sandbox.config import ChaosProfile, SandboxConfig, builtin_config
from apilab.sandbox.generator import rng_for

__all__ = ["ChaosDecision", "ChaosState", "get_chaos", "set_chaos"]


@dataclasses.dataclass(frozen=True)
class ChaosDecision:
    """What to do to one request.

    ``fault`` is ``None`` or one of "429", "500", "503", "529" (sent before any
    output). ``disconnect_at``/``malformed_at`` are fractions (0-1) of the
    stream's pieces after which to drop the connection or send a broken chunk.
    """

    profile: str = "off"
    fault: str | None = None
    retry_after: float = 1.0
    latency_s: float = 0.0
    ttft_s: float = 0.0
    tokens_per_s: float = 0.0
    disconnect_at: float | None = None
    malformed_at: float | None = None
    stream_error_at: float | None = None
    hang_s: float | None = None

    @property
    def is_quiet(self) -> bool:
        return (self.fault is None and not self.latency_s and not self.ttft_s
                and not self.tokens_per_s and self.disconnect_at is None
                and self.malformed_at is None and self.stream_error_at is None
                and self.hang_s is None)


_QUIET = ChaosDecision()


class ChaosState:
    """The active profiles (global and per key) and their request counters."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or builtin_config()
        self._lock = threading.Lock()
        self._global: ChaosProfile = self.config.chaos_profiles.get("off", ChaosProfile())
        self._global_off = self._global.is_off
        self._per_key: dict[str, ChaosProfile] = {}
        self._counters: dict[str, itertools.count[int]] = {}

    def resolve(self, profile: str | dict[str, Any] | ChaosProfile) -> ChaosProfile:
        """A profile from a preset name, a mapping (``{"base": name, ...}``) or itself."""
        if isinstance(profile, ChaosProfile):
            return profile
        if isinstance(profile, str):
            return self.config.profile(profile)
        data = dict(profile)
        base_name = data.pop("base", None) or data.pop("profile", None)
        base = self.config.profile(str(base_name)).as_dict() if base_name else {}
        merged = {**base, **data}
        if "name" not in data:  # say when a preset was changed, so `describe` does not lie
            changed = any(base.get(k) != v for k, v in data.items())
            if not base_name or base_name == "off":
                merged["name"] = "custom"
            else:
                merged["name"] = f"{base_name} (custom)" if changed else str(base_name)
        return ChaosProfile.from_dict(merged)

    def set(self, profile: str | dict[str, Any] | ChaosProfile | None,
            key_id: str | None = None) -> ChaosProfile | None:
        """Switch the global profile, or one key's (``None`` clears a key's own profile)."""
        resolved = None if profile is None else self.resolve(profile)
        with self._lock:
            if key_id is None:
                self._global = resolved or self.config.chaos_profiles.get("off", ChaosProfile())
                self._global_off = self._global.is_off
                self._counters.pop("*", None)
                return self._global
            if resolved is None:
                self._per_key.pop(key_id, None)
            else:
                self._per_key[key_id] = resolved
            self._counters.pop(key_id, None)
            return resolved

    def get(self, key_id: str | None = None) -> ChaosProfile:
        """The profile in force for a key (its own, else the global one)."""
        if key_id is not None and key_id in self._per_key:
            return self._per_key[key_id]
        return self._global

    def describe(self) -> dict[str, Any]:
        """The global and per-key profiles as plain data."""
        return {"global": self._global.as_dict(),
                "keys": {k: p.as_dict() for k, p in self._per_key.items()}}

    def decide(self, key_id: str | None, *, stream: bool) -> ChaosDecision:
        """Draw this request's faults from the profile in force."""
        if not self._per_key and self._global_off:  # the common case, checked cheaply
            return _QUIET
        own = key_id is not None and key_id in self._per_key
        profile = self._per_key[key_id] if own and key_id else self._global
        if profile.is_off:
            return _QUIET
        scope = key_id if own and key_id else "*"
        with self._lock:
            counter = self._counters.setdefault(scope, itertools.count())
            n = next(counter)
        rng = rng_for("chaos", profile.seed, profile.name, scope, n)
        roll = rng.random()
        fault = None
        edge = 0.0
        for name, p in (("429", profile.p_429), ("500", profile.p_500), ("503", profile.p_503),
                        ("529", profile.p_529)):
            edge += p
            if roll < edge:
                fault = name
                break

        def jitter(value: float, spread: float) -> float:
            return max(0.0, value + rng.uniform(-spread, spread)) / 1000.0

        latency = jitter(profile.latency_ms, profile.latency_jitter_ms)
        ttft = jitter(profile.ttft_ms, profile.ttft_jitter_ms)
        disconnect = rng.uniform(0.2, 0.8) if stream and rng.random() < profile.p_disconnect \
            else None
        malformed = rng.uniform(0.1, 0.9) if stream and rng.random() < profile.p_malformed \
            else None
        hang = profile.hang_s if rng.random() < profile.p_hang else None
        stream_error = rng.uniform(0.2, 0.8) if stream and rng.random() < \
            profile.p_stream_error else None
        return ChaosDecision(profile.name, fault, profile.retry_after_s, latency, ttft,
                             profile.tokens_per_s, disconnect, malformed, stream_error, hang)


def _state_of(db_or_state: Any) -> ChaosState:
    if isinstance(db_or_state, ChaosState):
        return db_or_state
    from apilab.sandbox.state import SandboxState, state_for

    if isinstance(db_or_state, SandboxState):
        return db_or_state.chaos
    return state_for(db_or_state).chaos


def set_chaos(db_or_state: Any, profile: str | dict[str, Any] | ChaosProfile | None,
              key_id: str | None = None) -> ChaosProfile | None:
    """Switch chaos at run time for the sandbox serving ``db`` (or a given state).

    ``profile`` is a preset name ("off", "flaky", "overloaded", ...), a mapping of
    ``ChaosProfile`` fields (with optional ``"base": preset``) or a profile.
    With ``key_id`` only that key is affected; ``None`` clears its own profile.
    """
    return _state_of(db_or_state).set(profile, key_id)


def get_chaos(db_or_state: Any, key_id: str | None = None) -> ChaosProfile:
    """The profile in force for ``key_id`` (or globally)."""
    return _state_of(db_or_state).get(key_id)
