"""Prompt-caching semantics: which prompt tokens were served from the cache.

OpenAI (automatic): a prompt of at least 1,024 tokens whose prefix, up to a
message boundary, was seen within the TTL (5 minutes, refreshed on each hit;
``prompt_cache_retention: "24h"`` keeps it a day) reports
``cached_tokens = 1024 + 128·k`` no larger than that prefix. The real service
matches at 128-token granularity inside messages; matching at message
boundaries is the simplification made here (a long shared system prompt, the
common case, behaves the same).

Anthropic (explicit): blocks carrying ``cache_control`` (tools, system,
message content; or a top-level ``cache_control`` marking the last block) are
breakpoints, at most 4. The longest breakpoint prefix seen within its TTL
(``5m`` default, or ``1h``) is read from the cache; breakpoints after it are
written. Prefixes under the model's minimum (1,024 or 2,048 tokens) are
neither read nor written, silently, as the real API does.

State is per scope (the key) and model, in this process.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["AnthropicCacheResult", "PromptCache", "openai_cached_tokens"]

OPENAI_MIN = 1024
OPENAI_STEP = 128
TTL_5M = 300.0
TTL_1H = 3600.0
TTL_24H = 86400.0
MAX_BREAKPOINTS = 4


def _digest(parts: Sequence[Any]) -> str:
    blob = json.dumps(list(parts), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def openai_cached_tokens(matched_prefix: int) -> int:
    """Cached tokens OpenAI reports for a matched prefix: 1024 + 128·k ≤ prefix, else 0."""
    if matched_prefix < OPENAI_MIN:
        return 0
    return OPENAI_MIN + OPENAI_STEP * ((matched_prefix - OPENAI_MIN) // OPENAI_STEP)


@dataclasses.dataclass(frozen=True)
class AnthropicCacheResult:
    """Cache usage of one Anthropic request (tokens)."""

    read: int = 0
    write_5m: int = 0
    write_1h: int = 0

    @property
    def write(self) -> int:
        return self.write_5m + self.write_1h


class PromptCache:
    """Remembered prompt prefixes with their expiry times."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, float] = {}  # digest -> expires at

    def _hit(self, digest: str, now: float, ttl: float) -> bool:
        expires = self._entries.get(digest)
        if expires is None or expires <= now:
            return False
        self._entries[digest] = max(expires, now + ttl)  # a hit refreshes the TTL
        return True

    def _prune(self, now: float) -> None:
        if len(self._entries) > 50_000:
            for digest in [d for d, exp in self._entries.items() if exp <= now]:
                del self._entries[digest]

    def openai(
        self,
        scope: str,
        model: str,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None,
        prompt_tokens: int,
        count_prefix: Callable[[list[dict[str, Any]]], int],
        retention: str | None = None,
    ) -> int:
        """Cached tokens for this prompt, recording its prefixes for later requests."""
        if prompt_tokens < OPENAI_MIN:
            return 0
        ttl = TTL_24H if retention == "24h" else TTL_5M
        now = self._clock()
        best = 0
        with self._lock:
            self._prune(now)
            for end in range(len(messages), 0, -1):
                prefix = messages[:end]
                tokens = prompt_tokens if end == len(messages) else count_prefix(prefix)
                if tokens < OPENAI_MIN:
                    break
                digest = _digest([scope, model, tools or [], prefix])
                if not best and self._hit(digest, now, ttl):
                    best = tokens
                self._entries[digest] = max(self._entries.get(digest, 0.0), now + ttl)
        return min(openai_cached_tokens(best), prompt_tokens)

    def anthropic(
        self,
        scope: str,
        model: str,
        blocks: list[tuple[Any, str | None]],
        count_prefix: Callable[[list[Any]], int],
        min_tokens: int,
        total_input: int,
    ) -> AnthropicCacheResult:
        """Cache read/write for a request whose blocks are ``(block, ttl or None)`` in order.

        ``ttl`` is ``"5m"``/``"1h"`` on a breakpoint block, ``None`` otherwise.
        """
        breakpoints = [i for i, (_, ttl) in enumerate(blocks) if ttl]
        if not breakpoints:
            return AnthropicCacheResult()
        now = self._clock()
        prefixes: list[tuple[int, str, str]] = []  # (tokens, digest, ttl)
        for i in breakpoints:
            prefix = [b for b, _ in blocks[: i + 1]]
            tokens = min(count_prefix(prefix), total_input)
            if tokens >= min_tokens:
                prefixes.append((tokens, _digest([scope, model, prefix]), blocks[i][1] or "5m"))
        read = 0
        written = {"5m": 0, "1h": 0}
        with self._lock:
            self._prune(now)
            hit_index = -1
            for index in range(len(prefixes) - 1, -1, -1):
                tokens, digest, ttl = prefixes[index]
                if self._hit(digest, now, TTL_1H if ttl == "1h" else TTL_5M):
                    read, hit_index = tokens, index
                    break
            covered = read
            for tokens, digest, ttl in prefixes[hit_index + 1:]:
                span = TTL_1H if ttl == "1h" else TTL_5M
                self._entries[digest] = now + span
                written[ttl if ttl in written else "5m"] += max(0, tokens - covered)
                covered = max(covered, tokens)
        return AnthropicCacheResult(read, written["5m"], written["1h"])

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
