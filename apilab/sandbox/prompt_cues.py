"""What a prompt asks of a reply's *form*: JSON shaped by a schema or example, a fenced
block, a length ("in five words", "in one sentence").

The sandbox has no model, but frameworks rely on a model following such instructions:
instructor's JSON and MD_JSON modes put a JSON schema in the system prompt and parse
the reply, LangChain's JSON mode describes the output in the prompt, and a learner who
asks for "a one-sentence summary" expects one sentence. ``read_cues`` finds those
instructions in the system and user text, deterministically and without a model:

- the largest JSON object embedded in the text (bare or in a code fence) is a *schema*
  when it looks like one (``properties``, ``$defs``, ``"type": "object"``), otherwise an
  *example* whose shape (keys and value types) the reply copies;
- a reply is JSON when the request set a JSON mode, or the prompt mentions JSON and
  gives a schema or example; it is fenced (```json) when the prompt asks for a code block;
- "in N words", "N-word", "one sentence", "two sentences", "one word" set a length.

Pure functions over plain text; nothing here does I/O.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

__all__ = ["Cues", "example_schema", "find_json", "form", "prompt_texts", "read_cues"]

_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4,
            "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
            "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "fifty": 50}
_COUNT = r"(\d{1,3}|" + "|".join(sorted(_NUMBERS, key=len, reverse=True)) + r")"
_WORDS_CUE = re.compile(rf"\b(?:in|with|using|of|under|at most|no more than|exactly)\s+"
                        rf"{_COUNT}\s+words?\b|\b{_COUNT}[- ]word\b", re.IGNORECASE)
_ONE_WORD = re.compile(r"\b(?:in|with|using) (?:a|one|a single) word\b|\bone[- ]word\b",
                       re.IGNORECASE)
_SENTENCES_CUE = re.compile(rf"\b(?:in|with|using|write|of)?\s*(a|an|{_COUNT[1:-1]})[- ]"
                            r"sentences?\b", re.IGNORECASE)
_JSON_WORD = re.compile(r"\bjson\b", re.IGNORECASE)
_FENCE_CUE = re.compile(r"```|\bcode ?block\b|\bfenced?\b|\bmarkdown\b", re.IGNORECASE)
_MAX_SCAN = 200  # '{' positions tried per text: keeps a huge prompt cheap


@dataclasses.dataclass(frozen=True)
class Cues:
    """The form a prompt asks for; all ``None``/False when it asks for none."""

    schema: dict[str, Any] | None = None  # a schema given, or inferred from an example
    json_wanted: bool = False  # the prompt asks for JSON and shows what JSON
    fenced: bool = False  # wrap JSON in a ```json block
    words: int | None = None
    sentences: int | None = None


def _count(text: str) -> int:
    if text.isdigit():
        return int(text)
    return 1 if text.lower() in ("a", "an") else _NUMBERS[text.lower()]


def find_json(text: str) -> dict[str, Any] | None:
    """The largest JSON object embedded in ``text`` (None when there is none)."""
    decoder = json.JSONDecoder()
    best: tuple[int, dict[str, Any]] | None = None
    start, tried = text.find("{"), 0
    while start != -1 and tried < _MAX_SCAN:
        tried += 1
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict) and value and (best is None or end - start > best[0]):
            best = (end - start, value)
        start = text.find("{", end)
    return best[1] if best else None


def _looks_like_schema(value: dict[str, Any]) -> bool:
    return ("properties" in value and isinstance(value["properties"], dict)) or \
        "$defs" in value or value.get("type") == "object" or "$schema" in value


def example_schema(value: Any) -> dict[str, Any]:
    """A JSON schema that every value shaped like ``value`` satisfies."""
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, str):
        return {"type": "string"}
    if isinstance(value, list):
        return {"type": "array", "items": example_schema(value[0]) if value else {},
                "minItems": 1 if value else 0}
    if isinstance(value, dict):
        return {"type": "object", "properties": {k: example_schema(v) for k, v in value.items()},
                "required": list(value), "additionalProperties": False}
    return {"type": "null"}


def _unwrap(schema: dict[str, Any]) -> dict[str, Any]:
    # OpenAI-style wrappers put the schema one level down: {"name", "schema": {...}}.
    inner = schema.get("schema")
    if isinstance(inner, dict) and _looks_like_schema(inner) and "properties" not in schema:
        return inner
    return schema


def read_cues(texts: list[str], *, json_mode: bool = False) -> Cues:
    """The cues in the system/user ``texts`` (latest text's length cue wins)."""
    found: dict[str, Any] | None = None
    for text in texts:
        if "{" in text:
            value = find_json(text)
            if value is not None:
                found = value
    schema = None
    if found is not None:
        schema = _unwrap(found) if _looks_like_schema(found) else example_schema(found)
    json_wanted = json_mode or bool(schema is not None and _JSON_WORD.search("\n".join(texts)))
    fenced = json_wanted and bool(_FENCE_CUE.search("\n".join(texts)))
    words = sentences = None
    last = texts[-1] if texts else ""
    lowered = last.lower()
    # Plain substring tests first: most prompts name no length, and this runs per request.
    if "word" in lowered:
        match = _WORDS_CUE.search(last)
        if match:
            words = _count(match.group(1) or match.group(2))
        elif _ONE_WORD.search(last):
            words = 1
    if words is None and "sentence" in lowered:
        match = _SENTENCES_CUE.search(last)
        if match:
            sentences = _count(match.group(1))
    return Cues(schema if json_wanted else None, json_wanted, fenced, words, sentences)


def prompt_texts(messages: list[dict[str, Any]]) -> list[str]:
    """The instruction-bearing text of chat messages: system, developer and user turns."""
    out = []
    for message in messages:
        if message.get("role") in ("system", "developer", "user"):
            content = message.get("content")
            if isinstance(content, list):
                content = "".join(str(p.get("text", "")) for p in content
                                  if isinstance(p, dict))
            if isinstance(content, str) and content:
                out.append(content)
    return out


def form(texts: list[str], *, json_mode: bool = False,
         json_schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """Keyword arguments for ``generator.generate`` from the prompt and the request's mode.

    A schema the request sets (``json_schema``) always wins; a JSON mode without one
    follows the prompt's schema or example; without a JSON mode the prompt alone can ask
    for JSON (fenced when it asks for a code block) or for a length.
    """
    if json_schema is not None:
        return {"json_schema": json_schema, "json_mode": True}
    cues = read_cues(texts, json_mode=json_mode)
    if json_mode:
        return {"json_schema": cues.schema, "json_mode": True}
    if cues.json_wanted:
        return {"json_schema": cues.schema, "json_mode": True, "fence": cues.fenced}
    return {"words": cues.words, "sentences": cues.sentences}
