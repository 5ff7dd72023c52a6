"""Checking JSON a learner (or a model) produced: parse, then validate against a schema.

``json_check`` parses a document (reporting line/column and the likely fix: a
trailing comma, single quotes, unquoted keys, Python literals, prose around the
JSON) and validates it with ``jsonschema`` against the schema given; and
``extract_json_blocks`` finds the JSON pasted into a chat message. Used by the
``check_json`` tool and the offline tutor.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from apilab.assistant.brackets import balanced_regions

__all__ = ["JsonCheck", "Rule", "broken_rules", "enforce_example", "extract_json_blocks",
           "json_check", "looks_like_template", "next_checks", "render_json_check",
           "stated_rules"]


_FENCE = re.compile(r"```(?:json|JSON|jsonc)?\s*\n(.*?)```", re.S)
_CODE_FENCE = re.compile(r"```\w*\s*\n.*?```", re.S)


def extract_json_blocks(text: str) -> list[str]:
    """JSON-looking blocks in a chat message: fenced code first, else balanced {...}/[...]."""
    blocks = [b for b in (m.group(1).strip() for m in _FENCE.finditer(text)) if b[:1] in "{["]
    text = _FENCE.sub(" ", text)
    text = _CODE_FENCE.sub(" ", text)  # code in other languages is not a JSON document
    for start, end in balanced_regions(text):
        if start and (text[start - 1].isalnum() or text[start - 1] in "_)]"):
            continue  # an index or a call (``x[0]``, ``f()[1]``), not a document
        block = text[start:end]
        # A bare "[1]" or "{x}" inside prose is not a pasted document.
        if len(block) >= 2 and (":" in block or block[0] == "["):
            blocks.append(block)
    return blocks


@dataclasses.dataclass(frozen=True)
class JsonCheck:
    """The outcome of parsing a document and, optionally, validating it."""

    parsed: bool
    parse_error: str | None = None
    hint: str | None = None
    schema_error: str | None = None
    errors: tuple[str, ...] = ()  # schema violations, "path: message"
    validated: bool = False
    value: Any = None


def _parse_hint(doc: str, exc: json.JSONDecodeError) -> str | None:
    if re.search(r",\s*[}\]]", doc):
        return "Remove the trailing comma before a closing `}` or `]` - JSON does not allow it."
    if re.search(r"(?<![\w\"])'[^']*'\s*:", doc) or re.search(r":\s*'", doc):
        return "JSON strings and keys need double quotes (`\"key\"`), not single quotes."
    if re.search(r"[{,]\s*[A-Za-z_]\w*\s*:", doc):
        return "Object keys must be quoted strings: `{\"name\": 1}`, not `{name: 1}`."
    if "//" in doc or "/*" in doc:
        return "JSON has no comments; strip them before parsing."
    if re.search(r"\b(True|False|None|NaN|Infinity)\b", doc):
        return "Use `true`, `false`, `null`; JSON has no True/False/None/NaN."
    if exc.msg.startswith("Extra data"):
        return "There is text after the JSON value - a model often adds prose; extract the JSON."
    if exc.msg.startswith("Expecting value") and exc.pos == 0:
        return "This does not start with a JSON value (`{`, `[`, a string or a number)."
    return None


def json_check(doc: str | Any, schema: str | dict[str, Any] | None = None) -> JsonCheck:
    """Parse ``doc`` (text, or an already-parsed value) and validate it against ``schema``."""
    if isinstance(doc, str):
        text = doc.strip()
        fenced = _FENCE.search(text)
        if fenced:
            text = fenced.group(1).strip()
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            return JsonCheck(
                parsed=False,
                parse_error=f"{exc.msg} at line {exc.lineno}, column {exc.colno}",
                hint=_parse_hint(text, exc),
            )
    else:
        value = doc
    if schema is None:
        return JsonCheck(parsed=True, value=value)
    if isinstance(schema, str):
        try:
            schema = json.loads(schema)
        except json.JSONDecodeError as exc:
            return JsonCheck(parsed=True, value=value,
                             schema_error=f"the schema is not valid JSON: {exc.msg} at line "
                                          f"{exc.lineno}, column {exc.colno}")
    if not isinstance(schema, dict):
        return JsonCheck(parsed=True, value=value, schema_error="a JSON Schema must be an object")
    # Imported here: jsonschema costs ~0.1 s of every `apilab ask` that checks no schema.
    import jsonschema

    from apilab.evals.schema import SchemaProblem, schema_errors, validator_for_untrusted

    # A pasted schema is untrusted: evals.schema fetches no $ref and times its patterns.
    try:
        validator = validator_for_untrusted(schema)
        found = schema_errors(validator, value)
    except jsonschema.SchemaError as exc:
        return JsonCheck(parsed=True, value=value,
                         schema_error=f"the schema itself is invalid: {exc.message}")
    except SchemaProblem as exc:
        return JsonCheck(parsed=True, value=value, schema_error=str(exc))
    errors = []
    for err in sorted(found, key=lambda e: [str(p) for p in e.absolute_path]):
        path = "$" + "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path
        )
        errors.append(f"{path}: {err.message}")
    return JsonCheck(parsed=True, value=value, validated=True, errors=tuple(errors[:20]))


def render_json_check(result: JsonCheck) -> str:
    """A ``JsonCheck`` as Markdown."""
    if not result.parsed:
        lines = [f"**Not valid JSON:** {result.parse_error}."]
        if result.hint:
            lines.append(f"Likely fix: {result.hint}")
        lines.append("In production: parse, and on failure retry once or fall back - never "
                     "regex free text. Structured outputs (a JSON Schema in `response_format`) "
                     "or function calling make this failure much rarer.")
        return "\n\n".join(lines)
    kind = type(result.value).__name__.replace("dict", "object").replace("list", "array")
    head = f"**Valid JSON** (top level: {kind})."
    if result.schema_error:
        return f"{head} I could not validate it: {result.schema_error}."
    if not result.validated:
        return (f"{head} Paste a JSON Schema with it to check fields and types too - parse "
                "-> validate the schema -> check business rules -> act.")
    if not result.errors:
        return (f"{head} **It matches the schema.** Next step before acting on it: business "
                "rules the schema cannot express (ranges that depend on each other, ids that "
                "must exist).")
    lines = [f"{head} **It does not match the schema** ({len(result.errors)} problem(s)):", ""]
    lines += [f"- `{e.split(': ', 1)[0]}`: {e.split(': ', 1)[1]}" for e in result.errors]
    lines += ["", "Reject it (or ask the model again with the error) - do not act on it."]
    return "\n".join(lines)


# --- templates and the learner's own rules -----------------------------------------------------

# A value that is a placeholder or a description, not JSON: `"category": ...`, `"priority":
# 1-5`, `"name": <string>`, `"kind": "a" | "b"`. Each alternative is bounded.
_TEMPLATE_VALUE = re.compile(
    r"[:\[,]\s{0,5}(?:\.{2,3}|\u2026|\d{1,6}\s{0,3}(?:-|\u2013|\.\.)\s{0,3}\d{1,6}\s{0,5}[,}\]]"
    r"|<[^<>\n]{1,40}>|\"[^\"\n]{0,40}\"\s{0,3}\|)")


def looks_like_template(doc: str) -> bool:
    """Whether ``doc`` describes the JSON wanted (placeholders, ranges) rather than being a
    document: a learner's ``{"category": ..., "priority": 1-5}`` is no model output to
    syntax-check."""
    return bool(_TEMPLATE_VALUE.search(doc[:20_000]))


@dataclasses.dataclass(frozen=True)
class Rule:
    """A field's allowed values as the learner stated them: a range or a set."""

    field: str
    low: float | None = None
    high: float | None = None
    allowed: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.allowed:
            return "one of " + ", ".join(self.allowed)
        return f"{_num(self.low)}-{_num(self.high)}"


def _num(value: float | None) -> str:
    return f"{value:g}" if value is not None else "?"


_RANGE_SEP = r"\s{0,3}(?:-|\u2013|to|and|\.\.)\s{0,3}"
# `"priority": 1-5` in a template; "priority is 1-5", "priority (1-5)", "priority between 1
# and 5", "priority from 1 to 5" in prose.
_TEMPLATE_RANGE = re.compile(r"\"(\w{1,40})\"\s{0,3}:\s{0,3}(\d{1,6})" + _RANGE_SEP
                             + r"(\d{1,6})\b")
_PROSE_RANGE = re.compile(r"\b(\w{1,40})\s{1,3}(?:is\s{1,3}|of\s{1,3}|should be\s{1,3}"
                          r"|must be\s{1,3}|=\s{0,3}|:\s{0,3}|\(\s{0,3})?"
                          r"(?:between\s{1,3}|from\s{1,3})?"
                          r"(\d{1,6})" + _RANGE_SEP + r"(\d{1,6})\b", re.I)
# `"kind": "a" | "b" | "c"` in a template; "category is one of billing, bug or other".
_TEMPLATE_ENUM = re.compile(r"\"(\w{1,40})\"\s{0,3}:\s{0,3}(\"[\w -]{1,30}\"(?:\s{0,3}\|\s{0,3}"
                            r"\"[\w -]{1,30}\"){1,11})")
_PROSE_ENUM = re.compile(r"\b(\w{1,40})\s{1,3}(?:is|must be|should be|can be|is either)?\s{0,3}"
                         r"(?:one of|either)\s{0,3}:?\s{1,3}((?:[\"'`]?[\w-]{1,30}[\"'`]?,?\s{1,3})"
                         r"{1,11}(?:or|and)\s{1,3}[\"'`]?[\w-]{1,30})", re.I)
_RULE_TEXT = 4000  # of each message: rules are stated in a sentence or a short template


def stated_rules(texts: list[str]) -> dict[str, Rule]:
    """Ranges and value sets the learner stated in ``texts`` (oldest first; a later one for
    the same field wins)."""
    rules: dict[str, Rule] = {}
    for text in texts:
        text = text[:_RULE_TEXT]
        for pattern in (_TEMPLATE_RANGE, _PROSE_RANGE):
            for m in pattern.finditer(text):
                low, high = sorted((float(m.group(2)), float(m.group(3))))
                if low != high:
                    rules[m.group(1).lower()] = Rule(m.group(1), low, high)
        for m in _TEMPLATE_ENUM.finditer(text):
            values = tuple(v.strip() for v in re.findall(r"\"([\w -]{1,30})\"", m.group(2)))
            rules[m.group(1).lower()] = Rule(m.group(1), allowed=values)
        for m in _PROSE_ENUM.finditer(text):
            values = tuple(v for v in re.findall(r"[\w-]{1,30}", m.group(2))
                           if v.lower() not in ("or", "and"))
            rules[m.group(1).lower()] = Rule(m.group(1), allowed=values)
    return rules


def _objects(value: Any) -> list[dict[str, Any]]:
    """The object, or the objects of a top-level list (a batch of tickets), at most 50."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value[:50] if isinstance(v, dict)]
    return []


def broken_rules(value: Any, rules: dict[str, Rule]) -> list[tuple[Rule, str]]:
    """How ``value``'s fields break the stated ``rules``, each with its rule ("`priority` is
    9, outside the 1-5 you stated")."""
    out: list[tuple[Rule, str]] = []
    for obj in _objects(value):
        for key, field_value in obj.items():
            rule = rules.get(str(key).lower())
            if rule is None:
                continue
            shown = json.dumps(field_value)[:60]
            if rule.allowed:
                if str(field_value).lower() not in {a.lower() for a in rule.allowed}:
                    out.append((rule, f"`{key}` is {shown}, not {rule.describe()}"))
            elif isinstance(field_value, bool) or not isinstance(field_value, int | float):
                out.append((rule, f"`{key}` is {shown}, not a number in {rule.describe()}"))
            elif not (rule.low or 0) <= field_value <= (rule.high or 0):
                out.append((rule, f"`{key}` is {shown}, outside the {rule.describe()} you "
                                  "stated"))
    return out[:10]


def enforce_example(rule: Rule) -> str:
    """The rule in code: a pydantic field and a plain check."""
    if rule.allowed:
        values = ", ".join(json.dumps(a) for a in rule.allowed[:6])
        return (f"`{rule.field}: Literal[{values}]` in a pydantic model, or `if "
                f"data[\"{rule.field}\"] not in ({values},): raise ValueError(...)`")
    return (f"`{rule.field}: int = Field(ge={_num(rule.low)}, le={_num(rule.high)})` in a "
            f"pydantic model, or `if not {_num(rule.low)} <= data[\"{rule.field}\"] <= "
            f"{_num(rule.high)}: raise ValueError(...)`")


_KINDS = ((bool, "true or false"), (int, "an integer"), (float, "a number"), (str, "a string"),
          (list, "a list"), (dict, "an object"))


def next_checks(value: Any) -> str:
    """After "it parses": the schema and business-rule checks for this object's fields."""
    objects = _objects(value)
    if not objects:
        return ("Parsing is only step one: check it against a schema (types, required "
                "fields), then your business rules, before acting on it.")
    fields = list(objects[0].items())[:6]
    shape = "; ".join(
        f"`{k}` present and {next((name for t, name in _KINDS if isinstance(v, t)), 'null')}"
        for k, v in fields)
    rules = []
    for k, v in fields:
        if isinstance(v, bool):
            continue
        if isinstance(v, int | float):
            rules.append(f"`{k}` within the range your code accepts")
        elif isinstance(v, str):
            rules.append(f"`{k}` one of the values your code handles")
    lines = ["**Parsing is only step one**, so \"it parsed\" does not make it OK yet. Before "
             "acting on it:",
             f"1. **Schema**: {shape}; no extra fields (a pydantic model or a JSON Schema does "
             "this in one step)."]
    if rules:
        lines.append(f"2. **Business rules**: {'; '.join(rules)}. Tell me the allowed values "
                     "and I'll check this output against them.")
    lines.append("Then act; anything that fails is rejected or sent back to the model with "
                 "the error, never acted on.")
    return "\n".join(lines)
