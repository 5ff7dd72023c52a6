"""Anthropic extended thinking: the thinking block a reply starts with, and what it costs.

With ``thinking: {"type": "enabled", "budget_tokens": N}`` a Claude model that
supports it writes a ``thinking`` block (with an opaque ``signature`` the client
must send back unchanged in later turns) before its answer. Thinking tokens are
output tokens: they are billed as output and spent from ``max_tokens``, which
is why ``budget_tokens`` must be below ``max_tokens``. The sandbox thinks for a
deterministic share of the budget (an eighth to three eighths of it) in its
one-token vocabulary, so the count it bills is exact.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import random

from apilab.sandbox.generator import text_pieces

__all__ = ["MIN_BUDGET", "Thinking", "supports_thinking", "think"]

MIN_BUDGET = 1024  # the API's floor for budget_tokens
# Model families with extended thinking (Claude 3.7 Sonnet and the Claude 4 generation).
_THINKING_FAMILIES = ("claude-3-7-sonnet", "claude-sonnet-4", "claude-opus-4", "claude-haiku-4")


@dataclasses.dataclass(frozen=True)
class Thinking:
    """One thinking block: its text pieces (one token each) and signature."""

    pieces: tuple[str, ...]
    signature: str

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    @property
    def tokens(self) -> int:
        return len(self.pieces)


def supports_thinking(model_id: str) -> bool:
    """Whether this Claude model can think (older ones answer 400)."""
    return model_id.startswith(_THINKING_FAMILIES)


def think(rng: random.Random, budget: int) -> Thinking:
    """A thinking block within ``budget`` tokens, deterministic per ``rng``."""
    size = max(1, budget // 8 + rng.randrange(max(1, budget // 4)))
    pieces = tuple(text_pieces(rng, size)[:min(size, budget)])
    digest = hashlib.sha256("".join(pieces).encode("utf-8")).digest() * 4
    return Thinking(pieces, base64.b64encode(b"apilab-sandbox-thinking:" + digest).decode())
