"""``{{ var }}`` substitution for eval prompts and assertion values.

promptfoo renders prompts with Nunjucks. apilab supports the part of it that
eval configs use almost always, ``{{ name }}`` and ``{{ name.field }}``, and
refuses the rest (``{% if %}``, filters such as ``| dump``) with an error that
names what it found: a template language that can loop or call filters is
more than a learner's test case needs, and a half-rendered prompt would test
the wrong thing. A variable the test does not define is an error too
(promptfoo renders it as an empty string, which hides typos).

Rendering is one linear regex pass; values are inserted as text, never
re-rendered, so a variable holding ``{{ x }}`` (say, an injection attempt)
reaches the model as written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from apilab.errors import ConfigError

__all__ = ["MissingVarError", "render", "variables"]

_VAR = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*\}\}")
_ANY_TAG = re.compile(r"\{\{|\{%|\{#")


class MissingVarError(ConfigError):
    """A template names a variable the test case does not define."""


def _unsupported(template: str) -> str | None:
    """The first ``{{``/``{%`` construct that is not a plain variable, if any."""
    stripped = _VAR.sub("", template)
    found = _ANY_TAG.search(stripped)
    if found is None:
        return None
    return stripped[found.start(): found.start() + 40].split("\n", 1)[0]


def variables(template: str) -> list[str]:
    """Top-level variable names a template uses, in order of first use."""
    seen: dict[str, None] = {}
    for match in _VAR.finditer(template):
        seen.setdefault(match.group(1).split(".", 1)[0], None)
    return list(seen)


def _lookup(values: Mapping[str, Any], dotted: str) -> Any:
    head, *rest = dotted.split(".")
    if head not in values:
        raise KeyError(head)
    value: Any = values[head]
    for part in rest:
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise KeyError(dotted)
    return value


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False)


def render(template: str, values: Mapping[str, Any], *, where: str = "the prompt") -> str:
    """``template`` with every ``{{ var }}`` replaced by its value (dicts/lists as JSON)."""
    if "{" not in template:
        return template
    bad = _unsupported(template)
    if bad is not None:
        raise ConfigError(
            f"{where} uses {bad!r}: apilab templates support {{{{ var }}}} and "
            "{{ var.field }} only (no {% tags %} or | filters). Compute the value in the "
            "test's vars instead.")

    def one(match: re.Match[str]) -> str:
        try:
            return _text(_lookup(values, match.group(1)))
        except KeyError:
            known = ", ".join(sorted(values)) or "none"
            raise MissingVarError(
                f"{where} uses {{{{ {match.group(1)} }}}} but the test defines no such var "
                f"(vars: {known}). Add it to the test's vars or to defaultTest.vars.") from None

    return _VAR.sub(one, template)
