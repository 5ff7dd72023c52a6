"""parse -> schema -> business rules -> act, with an explanation at every step.

Business rules are one per line, ``PATH OP VALUE``: PATH is a dotted path with
``[n]`` indexes or ``[*]`` for every item (``items[*].price``), OP one of
``== != < <= > >= in not-in matches``, VALUE JSON (or a bare word). Rules are
parsed, never evaluated as code, so a pasted rule cannot run anything.

Schemas and ``matches`` patterns come from learners, so they go through
``evals.schema``: no ``$ref`` is fetched or read from disk, every learner regex
runs under a time limit, and a schema that cannot be checked (unresolvable or
looping ``$ref``, too deep, a runaway pattern) raises ``SchemaProblem``, an
``InvalidInputError`` the web answers with 422.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from importlib import resources
from typing import Any

import jsonschema
import yaml

from apilab.evals.schema import learner_regex_match, schema_errors, validator_for_untrusted

__all__ = ["PipelineResult", "Step", "load_examples", "validate_output"]

MAX_OUTPUT_CHARS = 20_000
_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(.*?)\n?```\s*$", re.DOTALL)
_RULE = re.compile(
    r"^\s*(?P<path>[A-Za-z_$][\w$.\[\]*]*)"
    r"\s+(?P<op>==|!=|<=|>=|<|>|not-in|in|matches)"
    r"\s+(?P<value>.+?)\s*$"
)
_TOKEN = re.compile(r"\[(\d+|\*)\]|\.?([A-Za-z_$][\w$]*)")
# Text a downstream page or agent might obey or render: flag, do not trust.
_SUSPICIOUS = (
    (re.compile(r"ignore (all |any )?(previous|prior|above) instructions", re.I),
     "contains an instruction aimed at a model (prompt injection?)"),
    (re.compile(r"<\s*script|javascript:|on(error|load)\s*=", re.I),
     "contains HTML/JS that would run if rendered unsanitized (XSS)"),
)


@dataclasses.dataclass
class Step:
    """One stage of the pipeline and what it found."""

    name: str
    ok: bool
    detail: str
    errors: list[str] = dataclasses.field(default_factory=list)
    skipped: bool = False


@dataclasses.dataclass
class PipelineResult:
    """Every step, the parsed value (if any), and the verdict."""

    steps: list[Step]
    value: Any = None
    warnings: list[str] = dataclasses.field(default_factory=list)

    @property
    def act(self) -> bool:
        return all(step.ok for step in self.steps)

    def to_dict(self) -> dict[str, Any]:
        return {"act": self.act, "value": self.value, "warnings": self.warnings,
                "steps": [dataclasses.asdict(s) for s in self.steps]}


def _resolve(value: Any, path: str) -> list[tuple[str, Any]]:
    """All (concrete path, value) pairs a rule path selects; missing keys raise KeyError."""
    current: list[tuple[str, Any]] = [("$", value)]
    pos = 0
    while pos < len(path):
        match = _TOKEN.match(path, pos)
        if not match or match.end() == pos:
            raise ValueError(f"cannot read path {path!r} at {path[pos:]!r}")
        pos = match.end()
        index, key = match.group(1), match.group(2)
        nxt: list[tuple[str, Any]] = []
        for where, node in current:
            if key is not None:
                if not isinstance(node, dict) or key not in node:
                    raise KeyError(f"{where}.{key} is missing")
                nxt.append((f"{where}.{key}", node[key]))
            elif index == "*":
                if not isinstance(node, list):
                    raise KeyError(f"{where} is not a list")
                nxt.extend((f"{where}[{i}]", item) for i, item in enumerate(node))
            else:
                i = int(index)
                if not isinstance(node, list) or i >= len(node):
                    raise KeyError(f"{where}[{i}] is missing")
                nxt.append((f"{where}[{i}]", node[i]))
        current = nxt
    return current


def _literal(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text.strip("'\"")


def _compare(actual: Any, op: str, expected: Any) -> bool:
    try:
        if op == "==":
            return bool(actual == expected)
        if op == "!=":
            return bool(actual != expected)
        if op in {"<", "<=", ">", ">="}:
            if isinstance(actual, bool) or not isinstance(actual, int | float):
                return False
            return {"<": actual < expected, "<=": actual <= expected,
                    ">": actual > expected, ">=": actual >= expected}[op]
        if op in {"in", "not-in"}:
            found = actual in (expected if isinstance(expected, list) else [expected])
            return found if op == "in" else not found
        if op == "matches":
            return isinstance(actual, str) and learner_regex_match(str(expected), actual,
                                                                   full=True)
    except TypeError:
        return False
    return False


def _check_rules(value: Any, rules: list[str]) -> Step:
    errors: list[str] = []
    checked = 0
    for line in rules:
        if not line.strip() or line.strip().startswith("#"):
            continue
        match = _RULE.match(line)
        if not match:
            errors.append(f"cannot read rule {line.strip()!r}: write PATH OP VALUE, e.g. total > 0")
            continue
        path, op, expected = match["path"], match["op"], _literal(match["value"])
        if op in {"<", "<=", ">", ">="} and (
            isinstance(expected, bool) or not isinstance(expected, int | float)
        ):
            errors.append(f"cannot read rule {line.strip()!r}: {op} needs a number after it")
            continue
        checked += 1
        try:
            pairs = _resolve(value, path)
        except (KeyError, ValueError) as exc:
            errors.append(f"{line.strip()}: {exc.args[0]}")
            continue
        for where, actual in pairs:
            if not _compare(actual, op, expected):
                errors.append(f"{where} = {json.dumps(actual)} breaks the rule {path} {op} "
                              f"{json.dumps(expected)}")
    if not checked and not errors:
        return Step("business rules", True, "No business rules given.", skipped=True)
    detail = (f"All {checked} rule(s) hold." if not errors
              else "The output is well-formed but wrong for the business: do not act on it.")
    return Step("business rules", not errors, detail, errors)


def validate_output(
    text: str,
    schema: dict[str, Any] | None = None,
    rules: list[str] | None = None,
    *,
    max_chars: int = MAX_OUTPUT_CHARS,
) -> PipelineResult:
    """Run bound -> parse -> schema -> rules on model output and say whether to act."""
    steps: list[Step] = []
    warnings: list[str] = []
    if len(text) > max_chars:
        steps.append(Step("bounds", False, f"The output is {len(text):,} characters; the bound is "
                          f"{max_chars:,}. A runaway reply: set max_tokens and refuse it."))
        return PipelineResult(steps)
    steps.append(Step("bounds", True, f"{len(text):,} characters, within {max_chars:,}."))

    fenced = _FENCE.match(text)
    body = fenced.group(1) if fenced else text
    if fenced:
        warnings.append("The JSON was wrapped in a Markdown code fence; it was unwrapped. "
                        "Structured outputs (json_schema) avoid this.")
    try:
        value = json.loads(body)
    except RecursionError:
        steps.append(Step("parse", False, "The JSON nests too deeply to be a real reply: "
                          "refuse it.", ["nested too deeply"]))
        return PipelineResult(steps, warnings=warnings)
    except json.JSONDecodeError as exc:
        # Cut-off output fails at (or just before) its very end.
        truncated = body[exc.pos:].strip() == "" or exc.pos >= len(body.rstrip()) - 1
        hint = (" It ends mid-value: the reply was probably cut off (finish_reason \"length\"); "
                "raise max_tokens or ask for less." if truncated else "")
        steps.append(Step("parse", False, f"Not valid JSON: {exc.msg} at line {exc.lineno}, "
                          f"column {exc.colno}.{hint}", [exc.msg]))
        return PipelineResult(steps, warnings=warnings)
    steps.append(Step("parse", True, f"Valid JSON ({type(value).__name__})."))

    if schema:
        try:
            validator = validator_for_untrusted(schema)
        except jsonschema.SchemaError as exc:
            steps.append(Step("schema", False, f"The schema itself is invalid: {exc.message}",
                              [exc.message]))
            return PipelineResult(steps, value, warnings)
        errors = sorted(schema_errors(validator, value), key=lambda e: [str(p) for p in e.path])
        messages = [f"at {e.json_path}: {e.message}" for e in errors]
        steps.append(Step("schema", not errors,
                          "Matches the schema." if not errors else
                          f"{len(errors)} schema violation(s): parseable is not the same as valid.",
                          messages))
        if errors:
            steps.append(Step("business rules", True, "Skipped: the shape is wrong, so rules "
                              "would read the wrong fields. Fix the schema failures first.",
                              skipped=True))
            return PipelineResult(steps, value, warnings)
    else:
        steps.append(Step("schema", True, "No schema given.", skipped=True))

    steps.append(_check_rules(value, rules or []))

    for where, text_value in _strings(value):
        for pattern, why in _SUSPICIOUS:
            if pattern.search(text_value):
                warnings.append(f"{where} {why}: treat it as data and sanitize before display.")
    return PipelineResult(steps, value, warnings)


def _strings(value: Any, where: str = "$") -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(where, value)]
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in _strings(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [pair for i, v in enumerate(value) for pair in _strings(v, f"{where}[{i}]")]
    return []


@functools.cache
def load_examples() -> dict[str, Any]:
    """The Lab 4 panel's schema, rules and worked examples (package data)."""
    text = (resources.files("apilab.evals") / "examples.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return {"schema": data["schema"], "rules": list(data["rules"]),
            "examples": list(data["examples"])}
