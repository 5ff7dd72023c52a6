"""JSON Schema validation of untrusted schemas: no network, no files, bounded time.

Learners paste schemas (the Lab 4 panel, the tutor's schema check) and sandbox
clients send them (``response_format``). jsonschema on its own would

- fetch ``http://`` and read ``file://`` ``$ref`` targets (deprecated automatic
  retrieval), put the content in its error messages and wait on a slow server;
- run every ``pattern`` with Python's backtracking ``re`` (``(a+)+$`` on 26
  characters: seconds, holding the GIL, so the whole server stops);
- recurse without bound on a ``$ref`` cycle or a deeply nested document.

``validator_for_untrusted(schema)`` closes all three: its ``referencing``
registry holds only the official meta-schemas and retrieves nothing (every other
reference is unresolvable, reported as ``SchemaProblem``); ``pattern``,
``patternProperties`` and the keywords that consult them match with the
``regex`` engine under a timeout; and ``schema_errors`` turns recursion and
depth overflow into ``SchemaProblem`` too. ``SchemaProblem`` is an
``InvalidInputError``: a front door answers 422 with its message.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import time
from collections.abc import Iterator
from typing import Any

import jsonschema
import regex
from jsonschema import _utils
from jsonschema.exceptions import ValidationError
from jsonschema_specifications import REGISTRY as META_SCHEMAS
from referencing.exceptions import Unresolvable

from apilab.errors import InvalidInputError

__all__ = ["REGEX_TIMEOUT", "SchemaProblem", "learner_regex_match", "schema_errors",
           "time_budget", "validator_for_untrusted"]

REGEX_TIMEOUT = 0.1  # seconds for one match of a learner's pattern
MAX_DEPTH = 64  # schema and instance nesting

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("schema_deadline",
                                                                        default=None)


class SchemaProblem(InvalidInputError):
    """The schema (or a learner's pattern) cannot be used safely; the message says why."""


@contextlib.contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Every learner-regex match inside the block shares one deadline."""
    token = _DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


@functools.lru_cache(maxsize=256)
def _compile(pattern: str) -> Any:
    try:
        return regex.compile(pattern)
    except (regex.error, ValueError, OverflowError) as exc:
        raise SchemaProblem(f"The pattern {pattern[:80]!r} is not a valid regular expression "
                            f"({exc}).") from None


def learner_regex_match(pattern: str, text: str, *, full: bool = False) -> bool:
    """``re.search`` (or ``fullmatch``) for a pattern someone else wrote, under a time limit.

    Raises ``SchemaProblem`` when the pattern is invalid or a match runs past
    ``REGEX_TIMEOUT`` (or past the enclosing ``time_budget``): catastrophic
    backtracking is reported, not waited out.
    """
    compiled = _compile(pattern)
    timeout = REGEX_TIMEOUT
    deadline = _DEADLINE.get()
    if deadline is not None:
        timeout = min(timeout, deadline - time.monotonic())
        if timeout <= 0:
            raise SchemaProblem("Validation took too long and was stopped.")
    try:
        found = (compiled.fullmatch if full else compiled.search)(text, timeout=timeout)
    except TimeoutError:
        raise SchemaProblem(
            f"The pattern {pattern[:80]!r} took longer than {REGEX_TIMEOUT:g} s on one value "
            "and was stopped: nested repeats such as (a+)+ backtrack exponentially. Rewrite it "
            "without a repeat inside a repeat.") from None
    return found is not None


# --- keyword implementations: jsonschema's own (jsonschema/_keywords.py, _utils.py, MIT),
# with every ``re.search`` replaced by ``learner_regex_match``.
def _pattern(validator: Any, patrn: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not learner_regex_match(patrn, instance):
        yield ValidationError(f"{instance!r} does not match {patrn!r}")


def _pattern_properties(validator: Any, pattern_properties: dict[str, Any], instance: Any,
                        schema: Any) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in pattern_properties.items():
        for k, v in instance.items():
            if learner_regex_match(pattern, k):
                yield from validator.descend(v, subschema, path=k, schema_path=pattern)


def _additional(instance: dict[str, Any], schema: dict[str, Any]) -> Iterator[str]:
    properties = schema.get("properties", {})
    patterns = "|".join(schema.get("patternProperties", {}))
    for prop in instance:
        if prop not in properties and not (patterns and learner_regex_match(patterns, prop)):
            yield prop


def _additional_properties(validator: Any, ap: Any, instance: Any,
                           schema: Any) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    extras = set(_additional(instance, schema))
    if validator.is_type(ap, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], ap, path=extra)
    elif not ap and extras:
        if "patternProperties" in schema:
            verb = "does" if len(extras) == 1 else "do"
            joined = ", ".join(repr(each) for each in sorted(extras))
            patterns = ", ".join(repr(each) for each in sorted(schema["patternProperties"]))
            yield ValidationError(f"{joined} {verb} not match any of the regexes: {patterns}")
        else:
            listed, verb = _utils.extras_msg(sorted(extras, key=str))
            yield ValidationError(f"Additional properties are not allowed ({listed} {verb} "
                                  "unexpected)")


def _evaluated_keys(validator: Any, instance: dict[str, Any], schema: Any) -> list[str]:
    """jsonschema's ``find_evaluated_property_keys_by_schema`` with timed pattern matching."""
    if validator.is_type(schema, "boolean"):
        return []
    keys: list[str] = []
    for keyword in ("$ref", "$dynamicRef"):
        ref = schema.get(keyword)
        if ref is not None:
            resolved = validator._resolver.lookup(ref)
            keys.extend(_evaluated_keys(
                validator.evolve(schema=resolved.contents, _resolver=resolved.resolver),
                instance, resolved.contents))
    properties = schema.get("properties")
    if validator.is_type(properties, "object"):
        keys += properties.keys() & instance.keys()
    for keyword in ("additionalProperties", "unevaluatedProperties"):
        subschema = schema.get(keyword)
        if subschema is None:
            continue
        keys += (key for key, value in instance.items()
                 if _utils.is_valid(validator.descend(value, subschema)))
    if "patternProperties" in schema:
        for prop in instance:
            for pattern in schema["patternProperties"]:
                if learner_regex_match(pattern, prop):
                    keys.append(prop)
    for prop, subschema in schema.get("dependentSchemas", {}).items():
        if prop in instance:
            keys += _evaluated_keys(validator, instance, subschema)
    for keyword in ("allOf", "oneOf", "anyOf"):
        for subschema in schema.get(keyword, []):
            if _utils.is_valid(validator.descend(instance, subschema)):
                keys += _evaluated_keys(validator, instance, subschema)
    if "if" in schema:
        if validator.evolve(schema=schema["if"]).is_valid(instance):
            keys += _evaluated_keys(validator, instance, schema["if"])
            if "then" in schema:
                keys += _evaluated_keys(validator, instance, schema["then"])
        elif "else" in schema:
            keys += _evaluated_keys(validator, instance, schema["else"])
    return keys


def _unevaluated_properties(validator: Any, unevaluated: Any, instance: Any,
                            schema: Any) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    evaluated = _evaluated_keys(validator, instance, schema)
    bad = [prop for prop in instance if prop not in evaluated
           and any(True for _ in validator.descend(instance[prop], unevaluated, path=prop,
                                                   schema_path=prop))]
    if bad:
        if unevaluated is False:
            listed, verb = _utils.extras_msg(sorted(bad, key=str))
            yield ValidationError(f"Unevaluated properties are not allowed ({listed} {verb} "
                                  "unexpected)")
        else:
            listed, verb = _utils.extras_msg(bad)
            yield ValidationError("Unevaluated properties are not valid under the given schema "
                                  f"({listed} {verb} unevaluated and invalid)")


_TIMED_KEYWORDS = {
    "pattern": _pattern,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional_properties,
    "unevaluatedProperties": _unevaluated_properties,
}


@functools.lru_cache(maxsize=16)
def _safe_class(base: type) -> Any:
    validators = {name: fn for name, fn in _TIMED_KEYWORDS.items() if name in base.VALIDATORS}
    return jsonschema.validators.extend(base, validators)


def _depth(value: Any) -> int:
    """Nesting depth of a JSON value, iteratively (stops counting past ``MAX_DEPTH``)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                return depth
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def validator_for_untrusted(schema: dict[str, Any], *, default: Any = None) -> Any:
    """A validator for ``schema`` that retrieves nothing and times every learner regex.

    Raises ``jsonschema.SchemaError`` for a schema that breaks its meta-schema
    (callers report that as they always did) and ``SchemaProblem`` for one nested
    deeper than ``MAX_DEPTH``.
    """
    if _depth(schema) > MAX_DEPTH:
        raise SchemaProblem(f"The schema is nested more than {MAX_DEPTH} levels deep.")
    base = jsonschema.validators.validator_for(
        schema, default=default or jsonschema.Draft202012Validator)
    base.check_schema(schema)
    # META_SCHEMAS: the drafts' own meta-schemas, packaged; its retrieve refuses the rest.
    return _safe_class(base)(schema, registry=META_SCHEMAS)


def schema_errors(validator: Any, instance: Any) -> list[ValidationError]:
    """Every error of ``instance``, or ``SchemaProblem`` when validation itself cannot finish."""
    if _depth(instance) > MAX_DEPTH:
        raise SchemaProblem(f"The value is nested more than {MAX_DEPTH} levels deep.")
    try:
        return list(validator.iter_errors(instance))
    except Unresolvable as exc:
        ref = getattr(exc, "ref", "")
        raise SchemaProblem(
            f"The schema's reference {str(ref)[:200]!r} cannot be resolved: only references "
            "inside the schema itself (#/$defs/...) are followed; nothing is fetched from a "
            "URL or read from a file.") from None
    except RecursionError:
        raise SchemaProblem("The schema's $ref chain loops forever (or nests too deeply) and "
                            "cannot be checked.") from None
