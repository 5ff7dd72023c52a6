"""The assertion types: each takes an output and returns pass, score and a reason.

Deterministic checks run here, synchronously and bounded: learner-written
regexes and JSON Schemas go through ``evals.schema`` (time-limited ``regex``,
no ``$ref`` fetched), JSON is parsed from at most ``MAX_OUTPUT_CHARS``, and
``contains-json`` tries at most ``MAX_JSON_STARTS`` candidate positions.
``llm-rubric`` needs a model: ``check`` returns ``None`` for it and the runner
asks the grader (``rubric_prompt`` / ``parse_rubric``) through the call layer.

Values are rendered with the test's vars first (``not-contains: "{{canary}}"``).
A ``not-`` prefix inverts the verdict and the score.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import jsonschema

from apilab.errors import InvalidInputError
from apilab.evals.config import Assertion
from apilab.evals.results import AssertionResult, Output
from apilab.evals.schema import learner_regex_match, schema_errors, validator_for_untrusted
from apilab.evals.similarity import DEFAULT_THRESHOLD, similarity
from apilab.evals.template import render

__all__ = ["check", "find_json", "finish", "parse_rubric", "rubric_prompt"]

MAX_OUTPUT_CHARS = 200_000
MAX_JSON_STARTS = 50

Verdict = tuple[bool, float, str]


def _short(text: Any, limit: int = 60) -> str:
    text = " ".join(str(text).split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _values(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value or []]


def _render(value: Any, vars_: Mapping[str, Any], where: str) -> Any:
    if isinstance(value, str):
        return render(value, vars_, where=where)
    if isinstance(value, list):
        return [_render(v, vars_, where) for v in value]
    return value


def _bool(ok: bool, yes: str, no: str) -> Verdict:
    return ok, 1.0 if ok else 0.0, yes if ok else no


# --------------------------------------------------------------------------- text


def _equals(out: Output, value: Any, a: Assertion) -> Verdict:
    if isinstance(value, dict | list):
        try:
            ok = json.loads(out.text) == value
        except json.JSONDecodeError:
            ok = False
        return _bool(ok, "equals the expected JSON", "is not the expected JSON")
    return _bool(out.text == str(value), f"equals {_short(value)}",
                 f"expected exactly {_short(value)}, got {_short(out.text)}")


def _contains(out: Output, value: Any, a: Assertion) -> Verdict:
    return _bool(str(value) in out.text, f"contains {_short(value)}",
                 f"does not contain {_short(value)}")


def _icontains(out: Output, value: Any, a: Assertion) -> Verdict:
    return _bool(str(value).lower() in out.text.lower(), f"contains {_short(value)} (any case)",
                 f"does not contain {_short(value)} (any case)")


def _contains_set(fold: bool, need_all: bool) -> Callable[[Output, Any, Assertion], Verdict]:
    def run(out: Output, value: Any, a: Assertion) -> Verdict:
        text = out.text.lower() if fold else out.text
        wanted = _values(value)
        found = [v for v in wanted if (v.lower() if fold else v) in text]
        if need_all:
            missing = [v for v in wanted if v not in found]
            return (not missing, len(found) / len(wanted) if wanted else 1.0,
                    "contains all of them" if not missing
                    else f"missing {', '.join(_short(m, 30) for m in missing)}")
        return _bool(bool(found), f"contains {_short(found[0], 30) if found else ''}",
                     f"contains none of {', '.join(_short(v, 30) for v in wanted)}")
    return run


def _starts_with(out: Output, value: Any, a: Assertion) -> Verdict:
    return _bool(out.text.startswith(str(value)), f"starts with {_short(value)}",
                 f"does not start with {_short(value)}")


def _regex(out: Output, value: Any, a: Assertion) -> Verdict:
    found = learner_regex_match(str(value), out.text[:MAX_OUTPUT_CHARS])
    return _bool(found, f"matches /{value}/", f"does not match /{value}/")


# --------------------------------------------------------------------------- JSON


def _schema(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"The JSON Schema is not valid JSON: {exc.msg}.") from None
    if not isinstance(value, dict):
        raise InvalidInputError("The JSON Schema must be an object.")
    return value


def _schema_verdict(data: Any, schema: dict[str, Any] | None, what: str) -> Verdict:
    if schema is None:
        return True, 1.0, what
    try:
        validator = validator_for_untrusted(schema)
    except jsonschema.SchemaError as exc:
        return False, 0.0, f"the schema itself is invalid: {exc.message}"
    errors = schema_errors(validator, data)
    if errors:
        first = errors[0]
        return False, 0.0, f"{what}, but {len(errors)} schema error(s): at {first.json_path}: " \
                           f"{first.message[:120]}"
    return True, 1.0, f"{what} and matches the schema"


def _is_json(out: Output, value: Any, a: Assertion) -> Verdict:
    try:
        data = json.loads(out.text[:MAX_OUTPUT_CHARS])
    except (json.JSONDecodeError, RecursionError) as exc:
        msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        return False, 0.0, f"not valid JSON ({msg})"
    return _schema_verdict(data, _schema(value), "valid JSON")


def find_json(text: str) -> tuple[bool, Any]:
    """The first JSON object or array inside ``text`` (bounded number of tries)."""
    decoder = json.JSONDecoder()
    text = text[:MAX_OUTPUT_CHARS]
    tries = 0
    for match in re.finditer(r"[\[{]", text):
        tries += 1
        if tries > MAX_JSON_STARTS:
            break
        try:
            value, _end = decoder.raw_decode(text, match.start())
        except (json.JSONDecodeError, RecursionError):
            continue
        return True, value
    return False, None


def _contains_json(out: Output, value: Any, a: Assertion) -> Verdict:
    found, data = find_json(out.text)
    if not found:
        return False, 0.0, "contains no JSON object or array"
    return _schema_verdict(data, _schema(value), "contains JSON")


# --------------------------------------------------------------------------- run figures


def _cost(out: Output, value: Any, a: Assertion) -> Verdict:
    limit = Decimal(str(a.threshold))
    cost = out.cost if out.cost is not None else Decimal(0)
    return _bool(cost <= limit, f"cost ${cost:.6f} within ${limit}",
                 f"cost ${cost:.6f} is above ${limit}")


def _latency(out: Output, value: Any, a: Assertion) -> Verdict:
    limit = float(a.threshold or 0)
    note = " (served from cache)" if out.cached else ""
    return _bool(out.latency_ms <= limit, f"{out.latency_ms:.0f} ms within {limit:.0f} ms{note}",
                 f"{out.latency_ms:.0f} ms is over {limit:.0f} ms{note}")


def _similar(out: Output, value: Any, a: Assertion) -> Verdict:
    threshold = a.threshold if a.threshold is not None else DEFAULT_THRESHOLD
    best = max(similarity(out.text, v) for v in (value if isinstance(value, list) else [value]))
    ok = best >= threshold
    return ok, best, f"similarity {best:.2f} {'>=' if ok else '<'} {threshold:.2f}"


# --------------------------------------------------------------------------- apilab's own


def _validate(out: Output, value: Any, a: Assertion) -> Verdict:
    from apilab.evals.validate import validate_output

    spec = value if isinstance(value, Mapping) else {}
    rules = spec.get("rules") or []
    result = validate_output(out.text, _schema(spec.get("schema")),
                             rules.splitlines() if isinstance(rules, str) else list(rules))
    failed = next((s for s in result.steps if not s.ok), None)
    if failed is None:
        return True, 1.0, "parse, schema and business rules pass: safe to act"
    detail = failed.errors[0] if failed.errors else failed.detail
    return False, 0.0, f"{failed.name} failed: {detail[:160]}"


def _tutor_checks(out: Output, value: Any, a: Assertion) -> Verdict:
    from apilab.evals.tutor import judge

    spec = value if isinstance(value, Mapping) else {}
    kind = str(out.meta.get("kind", ""))
    passed, missing, forbidden = judge(list(spec.get("must") or []),
                                       list(spec.get("must_not") or []), out.text, kind)
    if passed:
        return True, 1.0, "every must-group met"
    why = []
    if missing:
        why.append("missing [" + "; ".join(" | ".join(g) for g in missing) + "]")
    if forbidden:
        why.append("said [" + ", ".join(forbidden) + "]")
    if not why:
        why.append(f"reply was {kind}")
    return False, 0.0, " ".join(why)


_CHECKS: dict[str, Callable[[Output, Any, Assertion], Verdict]] = {
    "equals": _equals, "contains": _contains, "icontains": _icontains,
    "contains-any": _contains_set(False, False), "contains-all": _contains_set(False, True),
    "icontains-any": _contains_set(True, False), "icontains-all": _contains_set(True, True),
    "starts-with": _starts_with, "regex": _regex, "is-json": _is_json,
    "contains-json": _contains_json, "cost": _cost, "latency": _latency, "similar": _similar,
    "apilab:validate": _validate, "apilab:tutor-checks": _tutor_checks,
}


def finish(a: Assertion, verdict: Verdict) -> AssertionResult:
    """Apply ``not-`` and wrap a verdict."""
    passed, score, reason = verdict
    if a.negate:
        return AssertionResult(a, not passed, 1.0 - score,
                               ("it " + reason) if not passed else f"must not, but {reason}")
    return AssertionResult(a, passed, score, reason)


def check(a: Assertion, out: Output, vars_: Mapping[str, Any]) -> AssertionResult | None:
    """The verdict of one assertion, or ``None`` for ``llm-rubric`` (the runner grades it)."""
    if a.type == "llm-rubric":
        return None
    value = _render(a.value, vars_, where=f"the {a.name} assertion")
    try:
        verdict = _CHECKS[a.type](out, value, a)
    except InvalidInputError as exc:  # a learner regex or schema that cannot be used
        return AssertionResult(a, False, 0.0, str(exc))
    return finish(a, verdict)


# --------------------------------------------------------------------------- llm-rubric

_RUBRIC = """You are grading the output of an AI system against a rubric.
Reply with JSON only:
{"reason": "<one or two sentences>", "score": <0.0-1.0>, "pass": <true|false>}

<rubric>
{rubric}
</rubric>

<output>
{output}
</output>"""


def rubric_prompt(rubric: str, output: str) -> str:
    """The grader's prompt (the output is data inside tags, never instructions)."""
    return _RUBRIC.replace("{rubric}", rubric).replace("{output}", output[:20_000])


def parse_rubric(a: Assertion, reply: str) -> AssertionResult:
    """Turn the grader's JSON reply into a verdict (unparseable means failed)."""
    found, data = find_json(reply)
    if not found or not isinstance(data, dict):
        return finish(a, (False, 0.0, "the grader did not reply with JSON"))
    if "pass" not in data and "score" not in data:
        return finish(a, (False, 0.0, "the grader's JSON has neither pass nor score"))
    score = data.get("score")
    score = float(score) if isinstance(score, int | float) else (1.0 if data.get("pass") else 0.0)
    passed = bool(data.get("pass", score >= 0.5))
    if a.threshold is not None:
        passed = score >= a.threshold
    reason = str(data.get("reason") or "the grader gave no reason")[:300]
    return finish(a, (passed, max(0.0, min(1.0, score)), reason))
