"""Schema-valid JSON values: what the sandbox writes for JSON mode, schemas and tool arguments.

``generate_json(schema, rng)`` draws a value that validates against a JSON schema
(``$ref``/``$defs``, ``anyOf``/``oneOf``/``allOf``, ``enum``, ``const``, formats,
numeric and length bounds; regex patterns best effort), deterministically for a
given ``rng``. Words come from the generator's one-token vocabulary.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

__all__ = ["generate_json", "words"]


def _vocabulary() -> tuple[str, ...]:
    from apilab.sandbox.generator import vocabulary

    return vocabulary()


def words(rng: random.Random, n: int) -> str:
    """``n`` vocabulary words joined by spaces."""
    vocab = _vocabulary()
    return " ".join(vocab[rng.randrange(len(vocab))] for _ in range(n))


def _resolve(schema: Any, root: dict[str, Any]) -> Any:
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 32:
        ref = schema["$ref"]
        seen += 1
        if not isinstance(ref, str) or not ref.startswith("#"):
            return {}
        target: Any = root
        for part in ref.lstrip("#").strip("/").split("/"):
            if not part:
                continue
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                return {}
            target = target[part]
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**target, **extra} if isinstance(target, dict) else target
    return schema


def _string(schema: dict[str, Any], rng: random.Random) -> str:
    fmt = schema.get("format")
    if fmt == "date-time":
        value = f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T12:00:00Z"
    elif fmt == "date":
        value = f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
    elif fmt == "email":
        value = f"{_vocabulary()[rng.randrange(len(_vocabulary()))]}@example.com"
    elif fmt in ("uri", "url"):
        value = f"https://example.com/{_vocabulary()[rng.randrange(len(_vocabulary()))]}"
    elif fmt == "uuid":
        value = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    else:
        value = words(rng, rng.randint(1, 4))
    lo = int(schema.get("minLength", 0) or 0)
    hi = schema.get("maxLength")
    while len(value) < lo:
        value += " " + words(rng, 2)
    if isinstance(hi, int) and len(value) > hi:
        value = value[:hi].rstrip() if hi > 0 else ""
        value = value + "x" * (lo - len(value)) if len(value) < lo else value
    return value


def _number(schema: dict[str, Any], rng: random.Random, integer: bool) -> int | float:
    lo = schema.get("minimum")
    hi = schema.get("maximum")
    xlo = schema.get("exclusiveMinimum")
    xhi = schema.get("exclusiveMaximum")
    low = float(lo) if isinstance(lo, int | float) else None
    high = float(hi) if isinstance(hi, int | float) else None
    if isinstance(xlo, int | float) and not isinstance(xlo, bool):
        low = max(low, float(xlo) + (1 if integer else 1e-6)) if low is not None else float(
            xlo) + (1 if integer else 1e-6)
    if isinstance(xhi, int | float) and not isinstance(xhi, bool):
        high = min(high, float(xhi) - (1 if integer else 1e-6)) if high is not None else float(
            xhi) - (1 if integer else 1e-6)
    if low is None and high is None:
        low, high = 0.0, 100.0
    elif low is None:
        low = (high or 0.0) - 100.0
    elif high is None:
        high = low + 100.0
    assert low is not None and high is not None
    if integer:
        import math

        a, b = math.ceil(low), math.floor(high)
        value: int | float = rng.randint(a, b) if a <= b else a
        step = schema.get("multipleOf")
        if isinstance(step, int) and step > 0:
            value = (int(value) // step) * step
            if value < low:
                value += step
        return int(value)
    value = round(rng.uniform(low, high), 2)
    return min(max(value, low), high)


def _value(schema: Any, rng: random.Random, root: dict[str, Any], depth: int) -> Any:
    schema = _resolve(schema, root)
    if schema is True or not isinstance(schema, dict) or not schema:
        return words(rng, 2)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][rng.randrange(len(schema["enum"]))]
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            # Prefer a non-null branch so optional fields carry real content.
            non_null = [o for o in options if _resolve(o, root).get("type") != "null"] or options
            pick = non_null[rng.randrange(len(non_null))]
            merged = {k: v for k, v in schema.items() if k != key}
            return _value({**merged, **_resolve(pick, root)}, rng, root, depth)
    if isinstance(schema.get("allOf"), list):
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            part = _resolve(part, root)
            if isinstance(part, dict):
                props = {**merged.get("properties", {}), **part.get("properties", {})}
                required = list(merged.get("required", [])) + list(part.get("required", []))
                merged = {**merged, **part, "properties": props, "required": required}
        return _value(merged, rng, root, depth)
    kind = schema.get("type")
    if isinstance(kind, list):
        options = [k for k in kind if k != "null"] or kind
        kind = options[rng.randrange(len(options))]
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    if kind == "null":
        return None
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "integer":
        return _number(schema, rng, integer=True)
    if kind == "number":
        return _number(schema, rng, integer=False)
    if kind == "string":
        return _string(schema, rng)
    if kind == "array":
        lo = int(schema.get("minItems", 0) or 0)
        hi = schema.get("maxItems")
        count = max(lo, min(rng.randint(1, 3), hi if isinstance(hi, int) else 3))
        if isinstance(hi, int):
            count = min(count, hi)
        if depth > 6:
            count = lo
        items = schema.get("items", {})
        if isinstance(schema.get("prefixItems"), list):
            prefix = [_value(s, rng, root, depth + 1) for s in schema["prefixItems"]]
            return prefix + [_value(items, rng, root, depth + 1)
                             for _ in range(max(0, count - len(prefix)))]
        values = [_value(items, rng, root, depth + 1) for _ in range(count)]
        if schema.get("uniqueItems"):
            unique: list[Any] = []
            for v in values:
                if v not in unique:
                    unique.append(v)
            values = unique
        return values
    if kind == "object":
        props = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        out: dict[str, Any] = {}
        for name, sub in props.items():
            # Deep optional properties are skipped so recursive schemas terminate.
            if name in required or depth < 4:
                out[name] = _value(sub, rng, root, depth + 1)
        lo = int(schema.get("minProperties", 0) or 0)
        extra = schema.get("additionalProperties", True)
        i = 0
        while len(out) < lo and extra is not False:
            out[f"field_{i}"] = _value(extra if isinstance(extra, dict) else {}, rng, root,
                                       depth + 1)
            i += 1
        return out
    return words(rng, 2)


def generate_json(schema: dict[str, Any] | None, rng: random.Random) -> Any:
    """A value valid against ``schema`` (best effort for regex patterns), deterministic per rng.

    Tries a few draws and returns the first that validates; if none does (for
    example an unsatisfiable ``pattern``) the last draw is returned.
    """
    if not schema:
        return {"reply": " ".join(words(rng, 6).split()).capitalize() + ".",
                "topic": words(rng, 1), "confidence": round(rng.uniform(0.5, 1.0), 2)}
    value: Any = None
    # Imported here: keeps importing the sandbox app cheap. The client's schema is
    # untrusted: no $ref may be fetched, and its patterns run under a time limit.
    import jsonschema

    from apilab.evals.schema import SchemaProblem, schema_errors, validator_for_untrusted

    try:
        validator = validator_for_untrusted(schema, default=jsonschema.Draft202012Validator)
    except (jsonschema.SchemaError, SchemaProblem):
        return _value(schema, rng, schema, 0)  # best effort: nothing to check against
    for _ in range(8):
        value = _value(schema, rng, schema, 0)
        try:
            if not schema_errors(validator, value):
                return value
        except SchemaProblem:
            return value
    return value
