"""Deterministic reply content: readable text, schema-valid JSON and tool-call arguments.

Everything is generated locally from a seeded ``random.Random`` (no model, no
download), so the same request with the same seed always gets the same reply.

Text is built from a fixed vocabulary of short sentences whose words are each a
single token in the OpenAI encodings (``tests/sandbox/test_generator.py``
checks this), so a reply of N pieces is exactly N completion tokens and a reply
cut at ``max_tokens`` has exactly ``max_tokens`` tokens, as the real APIs report.
JSON and echo content is split into small pieces and counted with the counter
the caller passes (``apilab.pricing.count_text`` in the app).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import re
from collections.abc import Callable
from typing import Any

# Re-exported: the JSON generator lives in its own module (it reads our vocabulary lazily).
from apilab.sandbox.jsongen import generate_json

__all__ = [
    "Output",
    "ToolCall",
    "apply_stop",
    "generate",
    "generate_json",
    "pick_tool",
    "rng_for",
    "sized_text",
    "split_pieces",
    "text_pieces",
    "vocabulary",
]

Counter = Callable[[str], int]

# Each word here is one token (with a leading space) in cl100k_base and o200k_base.
SENTENCES: tuple[str, ...] = (
    "The request was received and the model wrote this reply.",
    "This is a test reply from the local sandbox.",
    "Every reply has a finish reason and a usage report.",
    "The server counts the input and the output tokens.",
    "A rate limit tells you how many calls you can make each minute.",
    "When you get a limit error, wait and then try again.",
    "Keep your secret key out of your code and your logs.",
    "Streaming sends the reply in small parts as it is made.",
    "The client should set a timeout for every call.",
    "Each model has a price for input and a price for output.",
    "Long prompts cost more than short ones.",
    "A good prompt is clear about the task and the format.",
    "The reply stops when it reaches the token limit.",
    "You can read the request id in the response header.",
    "Check the status code before you read the body.",
    "Your code should handle errors from the server.",
    "Retry only the errors that can clear with time.",
    "A small model is often fast and cheap.",
    "This sandbox does not send your data anywhere.",
    "The same seed gives the same reply every time.",
    "Use a budget so a loop cannot spend all your credit.",
    "The cache makes a repeated prompt cheaper and faster.",
    "Good logs help you find the cause of a problem.",
    "Test your app with errors before you ship it.",
)

_WORD = re.compile(r"[A-Za-z]+|[.,]")


def _sentence_pieces(sentence: str, first: bool) -> list[str]:
    pieces: list[str] = []
    for i, word in enumerate(_WORD.findall(sentence)):
        if word in ".," or i == 0 and first:
            pieces.append(word)
        else:
            pieces.append(" " + word)
    return pieces


_SENTENCE_PIECES: tuple[tuple[str, ...], ...] = tuple(
    tuple(_sentence_pieces(s, first=False)) for s in SENTENCES
)
_VOCABULARY = tuple(
    w.strip().lower() for s in _SENTENCE_PIECES for w in s if w.strip() not in ".,"
)


def vocabulary() -> tuple[str, ...]:
    """Every word of the reply vocabulary, lower-case (one token each with a space)."""
    return _VOCABULARY


def rng_for(*parts: Any) -> random.Random:
    """A ``Random`` seeded from ``parts`` (stable across runs and processes).

    ``repr`` of plain data (str, numbers, None, lists, dicts in their JSON order) does
    not depend on hash randomisation, and is several times cheaper than canonical JSON
    on the request path.
    """
    digest = hashlib.sha256(repr(parts).encode("utf-8")).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def text_pieces(rng: random.Random, n_tokens: int) -> list[str]:
    """At least ``n_tokens`` one-token pieces of readable text, ending a sentence."""
    pieces: list[str] = []
    while len(pieces) < n_tokens:
        sentence = list(_SENTENCE_PIECES[rng.randrange(len(_SENTENCE_PIECES))])
        if not pieces:
            sentence[0] = sentence[0].lstrip()
        pieces.extend(sentence)
    return pieces


def sized_text(rng: random.Random, *, words: int | None = None,
               sentences: int | None = None) -> str:
    """Readable text of exactly ``words`` words (one sentence) or ``sentences`` sentences."""
    if sentences is not None:
        picked = [SENTENCES[rng.randrange(len(SENTENCES))] for _ in range(max(1, sentences))]
        return " ".join(picked)
    wanted = max(1, words or 1)
    vocabulary: list[str] = []
    while len(vocabulary) < wanted:
        sentence = _SENTENCE_PIECES[rng.randrange(len(_SENTENCE_PIECES))]
        vocabulary.extend(p.strip() for p in sentence if p.strip() not in ".,")
    chosen = vocabulary[:wanted]
    chosen[0] = chosen[0][:1].upper() + chosen[0][1:]
    return " ".join(chosen) + "."


_PIECE = re.compile(r"\s*\S{1,6}|\s+")


def split_pieces(text: str) -> list[str]:
    """Split any text into small pieces (for streaming) that join back to it exactly."""
    return _PIECE.findall(text) or ([text] if text else [])


@dataclasses.dataclass
class ToolCall:
    """One generated tool call: its id, tool name and JSON arguments."""

    id: str
    name: str
    arguments: str
    pieces: list[str]

    @property
    def input(self) -> Any:
        """The arguments parsed (Anthropic's ``input``); ``{}`` when cut off."""
        try:
            return json.loads(self.arguments)
        except ValueError:
            return {}


@dataclasses.dataclass
class Output:
    """What one choice says: text pieces or tool calls, its token count and why it stopped.

    ``finish`` is OpenAI-flavoured: ``stop``, ``length`` or ``tool_calls``; the
    Anthropic front door maps it to ``end_turn``/``max_tokens``/``tool_use``.
    """

    pieces: list[str]
    tool_calls: list[ToolCall]
    completion_tokens: int
    finish: str
    # Token count of each piece (text) or of each tool call's pieces, for billing
    # streams cut short: tokens_sent(k) = tokens in the first k pieces.
    piece_tokens: list[int]
    stop_sequence: str | None = None  # the stop sequence that ended the text, if any

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    def tokens_in_first(self, k: int) -> int:
        """Tokens in the first ``k`` pieces (what a stream cut after k pieces cost)."""
        return min(self.completion_tokens, sum(self.piece_tokens[:k]))


def _cut(pieces: list[str], cap: int, counter: Counter) -> tuple[list[str], list[int], bool]:
    """Pieces whose text fits in ``cap`` tokens, their per-piece tokens and whether cut."""
    total = counter("".join(pieces))
    if total <= cap:
        return pieces, _spread(pieces, total), False
    lo, hi = 0, len(pieces)
    while lo < hi:  # largest k with counter(prefix_k) <= cap
        mid = (lo + hi + 1) // 2
        if counter("".join(pieces[:mid])) <= cap:
            lo = mid
        else:
            hi = mid - 1
    kept = pieces[:lo]
    return kept, _spread(kept, cap), True


def _spread(pieces: list[str], total: int) -> list[int]:
    """Share ``total`` tokens over pieces (each at least 0) so prefix sums approximate cost."""
    if not pieces:
        return []
    base, extra = divmod(total, len(pieces))
    return [base + (1 if i < extra else 0) for i in range(len(pieces))]


def generate(
    *,
    rng: random.Random,
    counter: Counter,
    max_tokens: int | None,
    default_tokens: int,
    echo_text: str | None = None,
    json_schema: dict[str, Any] | None = None,
    json_mode: bool = False,
    tool: dict[str, Any] | None = None,
    tool_id: str = "",
    fence: bool = False,
    words: int | None = None,
    sentences: int | None = None,
) -> Output:
    """One choice's content.

    Exactly one of: ``tool`` (a call to that tool, ``{"name", "parameters"}``),
    JSON (``json_mode``/``json_schema``; in a ```json block with ``fence``), echo
    (``echo_text``) or plain text. ``max_tokens`` cuts the content off with
    ``finish="length"`` and a token count equal to the cap; ``default_tokens`` sizes
    plain text when there is no cap, and a length cue (``words``/``sentences``, from
    ``prompt_cues``) sizes it when the prompt asked, so the reply stops on its own.
    """
    cap = max_tokens if max_tokens is not None else None
    if tool is not None:
        args = json.dumps(generate_json(tool.get("parameters") or {"type": "object"}, rng))
        pieces = split_pieces(args)
        kept, per, cut = _cut(pieces, cap if cap is not None else 10**9, counter)
        total = cap if cut and cap is not None else sum(per)
        call = ToolCall(tool_id, str(tool["name"]), "".join(kept), kept)
        return Output([], [call], total, "length" if cut else "tool_calls", per)
    if json_mode or json_schema is not None:
        text = json.dumps(generate_json(json_schema, rng), ensure_ascii=False)
        if fence:
            text = "```json\n" + text + "\n```"
    elif echo_text is not None:
        text = echo_text
    elif words is not None or sentences is not None:
        text = sized_text(rng, words=words, sentences=sentences)
    else:
        target = default_tokens if cap is None else min(default_tokens, cap + 8)
        pieces = text_pieces(rng, max(1, target))
        if cap is None:
            return Output(pieces, [], len(pieces), "stop", [1] * len(pieces))
        if len(pieces) <= cap:
            return Output(pieces, [], len(pieces), "stop", [1] * len(pieces))
        return Output(pieces[:cap], [], cap, "length", [1] * cap)
    pieces = split_pieces(text)
    kept, per, cut = _cut(pieces, cap if cap is not None else 10**9, counter)
    total = cap if cut and cap is not None else sum(per)
    return Output(kept, [], total, "length" if cut else "stop", per)


_VERBS = frozenset({"get", "set", "add", "run", "make", "the", "and", "for", "use"})


def pick_tool(
    tools: list[dict[str, Any]], mode: str, last_user_text: str, after_tool_result: bool
) -> dict[str, Any] | None:
    """Which tool (``{"name", "parameters"}``) the reply calls, or ``None`` for text.

    ``mode`` is "none", "auto", "required" (Anthropic "any") or a tool name.
    With "auto" the sandbox calls the tool whose name shares a word with the last
    user message (``get_weather`` for "weather in Paris?") unless the conversation
    just returned a tool result, which it then answers in text.
    """
    if not tools or mode == "none":
        return None
    by_name = {t["name"]: t for t in tools}
    if mode not in ("auto", "required"):
        return by_name.get(mode)
    if mode == "auto" and after_tool_result:
        return None
    words = set(re.findall(r"[a-z0-9]+", last_user_text.lower()))
    for tool in tools:
        parts = [p for p in re.split(r"[^a-z0-9]+", tool["name"].lower())
                 if len(p) >= 3 and p not in _VERBS]
        if tool["name"].lower() in last_user_text.lower() or words & set(parts):
            return tool
    return tools[0] if mode == "required" else None


def apply_stop(output: Output, stops: list[str]) -> Output:
    """Cut text output before the first stop sequence (finish ``stop``)."""
    if not stops or output.tool_calls or not output.pieces:
        return output
    text = ""
    for i, piece in enumerate(output.pieces):
        text += piece
        hit = next((s for s in stops if s in text), None)
        if hit is not None:
            kept = output.pieces[:i]
            per = output.piece_tokens[:i]
            return Output(kept, [], sum(per), "stop", per, hit)
    return output
