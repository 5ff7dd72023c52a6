"""Deterministic log probabilities for generated tokens, in each endpoint's shape.

The sandbox has no model, so these numbers are not probabilities of anything: they
are drawn from a seeded generator (the same request gets the same numbers),
always <= 0, with the chosen token the most likely of its ``top_logprobs``
alternatives, so code that reads them (confidence thresholds, highlighting
uncertain tokens, classifiers that read the first token's distribution) can be
built and tested against the sandbox. One generated piece counts as one token.
"""

from __future__ import annotations

import math
import random
from typing import Any

__all__ = ["chat_logprobs", "legacy_logprobs", "responses_logprobs", "token_entries"]

# Plausible alternatives for top_logprobs: common one-token English words.
_ALTERNATIVES = (" the", " a", " and", " to", " of", " is", " in", " it", " you", " that",
                 " for", " on", " with", " as", " this", " be", " at", " or", ".", ",",
                 " can", " will", " your", " not", " are", " an", " by", " from", " we")


def token_entries(pieces: list[str], rng: random.Random, top: int) -> list[dict[str, Any]]:
    """One ``{token, logprob, bytes, top_logprobs}`` per piece (OpenAI's chat shape)."""
    entries = []
    for piece in pieces:
        # Most tokens of fluent text are near-certain; a few are real choices.
        chosen = -round(rng.expovariate(6.0), 6) if rng.random() < 0.8 \
            else -round(rng.uniform(0.2, 1.6), 6)
        alternatives = []
        if top:
            alternatives.append({"token": piece, "logprob": chosen,
                                 "bytes": list(piece.encode("utf-8"))})
            mass = 1.0 - math.exp(chosen)
            words = [w for w in _ALTERNATIVES if w != piece]
            rng.shuffle(words)
            for word in words[:top - 1]:
                # Never likelier than the chosen token: it was picked for a reason.
                share = min(mass * rng.uniform(0.05, 0.6), math.exp(chosen) * 0.95)
                mass -= share
                alternatives.append({"token": word,
                                     "logprob": round(math.log(max(share, 1e-9)), 6),
                                     "bytes": list(word.encode("utf-8"))})
            alternatives.sort(key=lambda a: a["logprob"], reverse=True)
        entries.append({"token": piece, "logprob": chosen, "bytes": list(piece.encode("utf-8")),
                        "top_logprobs": alternatives})
    return entries


def chat_logprobs(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """A chat choice's ``logprobs``: ``{"content": [...], "refusal": None}``."""
    return {"content": entries, "refusal": None}


def responses_logprobs(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An ``output_text`` part's ``logprobs``: the chat entries, alternatives without bytes."""
    return [{"token": e["token"], "logprob": e["logprob"], "bytes": e["bytes"],
             "top_logprobs": [{"token": a["token"], "logprob": a["logprob"],
                               "bytes": a["bytes"]} for a in e["top_logprobs"]]}
            for e in entries]


def legacy_logprobs(entries: list[dict[str, Any]], offset: int = 0) -> dict[str, Any]:
    """The legacy completions shape: parallel lists and one ``{token: logprob}`` per token."""
    offsets, at = [], offset
    for e in entries:
        offsets.append(at)
        at += len(e["token"])
    return {"tokens": [e["token"] for e in entries],
            "token_logprobs": [e["logprob"] for e in entries],
            "top_logprobs": [{a["token"]: a["logprob"] for a in e["top_logprobs"]}
                             for e in entries],
            "text_offset": offsets}
