"""Eval configs in promptfoo's format (the common subset): read, check, normalise.

``load_config(path)`` reads ``promptfooconfig.yaml``-style YAML (or JSON) and
returns an ``EvalConfig``: prompts, providers, expanded test cases (``defaultTest``
merged in, CSV/YAML test files read, list-valued vars expanded), and run options.
``config_from_dict(data)`` does the same for a config built in memory (the Lab 4
workbench), with ``file://`` references refused because there is no folder to
read them from.

Every key is checked. A key apilab does not support (``scenarios``,
``transform``, a ``javascript`` assertion, ...) is a ``ConfigError`` that names
it and its place (``tests[3].assert[0].transform``): a silently ignored key would
make a test pass that should not. docs/evals.md lists the subset and where it
differs from promptfoo.

Bounds: a config or data file over ``MAX_FILE_BYTES``, more than ``MAX_TESTS``
test cases or a run of more than ``MAX_CELLS`` calls is refused before anything
is sent.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from apilab.errors import ConfigError

__all__ = [
    "ASSERTION_TYPES",
    "MAX_CELLS",
    "MAX_TESTS",
    "Assertion",
    "EvalConfig",
    "Prompt",
    "ProviderSpec",
    "TestCase",
    "config_from_dict",
    "load_config",
    "parse_assertion",
    "parse_provider",
]

MAX_FILE_BYTES = 5_000_000
MAX_TESTS = 20_000
MAX_CELLS = 200_000  # prompts x providers x tests x repeat
MAX_REPEAT = 100

# Types apilab evaluates; each may also be written with a ``not-`` prefix.
ASSERTION_TYPES = frozenset({
    "equals", "contains", "icontains", "contains-any", "contains-all", "icontains-any",
    "icontains-all", "starts-with", "regex", "is-json", "contains-json", "cost", "latency",
    "similar", "llm-rubric", "apilab:validate", "apilab:tutor-checks",
})
# promptfoo types that exist but are not supported here: named in the error.
_KNOWN_UNSUPPORTED = frozenset({
    "javascript", "python", "ruby", "webhook", "is-sql", "is-xml", "is-html", "is-refusal",
    "rouge-n", "bleu", "gleu", "meteor", "levenshtein", "perplexity", "classifier",
    "moderation", "g-eval", "factuality", "model-graded-closedqa", "answer-relevance",
    "context-faithfulness", "context-recall", "context-relevance", "select-best",
    "max-score", "assert-set", "is-valid-openai-tools-call", "tool-call-f1",
})

_TOP_KEYS = {"description", "prompts", "providers", "tests", "defaultTest", "outputPath",
             "evaluateOptions", "tags", "metadata"}
_OPTION_KEYS = {"maxConcurrency", "repeat", "cache", "delay", "showProgressBar"}
_TEST_KEYS = {"description", "vars", "assert", "threshold", "metadata", "options"}
_TEST_OPTION_KEYS = {"provider"}
_ASSERT_KEYS = {"type", "value", "threshold", "weight", "metric", "provider"}
_PROMPT_KEYS = {"id", "label", "raw"}
_PROVIDER_KEYS = {"id", "label", "config"}
_PROVIDER_CONFIG_KEYS = {"temperature", "max_tokens", "response_format", "apiBaseUrl",
                         "apiHost", "base_url", "lab", "system"}
_ROLES = {"system", "user", "assistant"}


@dataclasses.dataclass(frozen=True)
class Prompt:
    """One prompt: a template text, or a chat-message list whose contents are templates."""

    label: str
    text: str | None = None
    messages: tuple[tuple[str, str], ...] | None = None  # (role, content template)

    @property
    def display(self) -> str:
        """The prompt as a person reads it (for reports and diffs)."""
        if self.messages is None:
            return self.text or ""
        return "\n".join(f"[{role}]\n{content}" for role, content in self.messages)


@dataclasses.dataclass(frozen=True)
class ProviderSpec:
    """A provider as written in the config, parsed into kind and model."""

    id: str
    label: str
    kind: str  # sandbox | openai | anthropic | gemini | openai-compatible | tutor | recorded | echo
    model: str
    config: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Assertion:
    """One check on an output. ``negate`` is the ``not-`` prefix."""

    type: str
    value: Any = None
    negate: bool = False
    threshold: float | None = None
    weight: float = 1.0
    metric: str | None = None
    provider: Any = None  # llm-rubric's grader: a provider id or mapping

    @property
    def name(self) -> str:
        return ("not-" if self.negate else "") + self.type


@dataclasses.dataclass(frozen=True)
class TestCase:
    """One test: vars, assertions, and an optional pass threshold on the weighted score."""

    __test__ = False  # not a pytest class

    index: int
    description: str | None
    vars: Mapping[str, Any]
    asserts: tuple[Assertion, ...]
    threshold: float | None = None
    metadata: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    grader: Any = None  # options.provider: the model llm-rubric asks (id or mapping)

    @property
    def name(self) -> str:
        if self.description:
            return self.description
        first = next(iter(self.vars.values()), "") if self.vars else ""
        text = " ".join(str(first).split())
        return f"#{self.index + 1} " + (text[:60] + "…" if len(text) > 60 else text)

    @property
    def heldout(self) -> bool:
        """A held-out case: reports give its pass/fail counts, never its content."""
        return str(self.metadata.get("split", "")) == "heldout"


@dataclasses.dataclass(frozen=True)
class EvalConfig:
    """A checked config, ready to run."""

    description: str | None
    prompts: tuple[Prompt, ...]
    providers: tuple[ProviderSpec, ...]
    tests: tuple[TestCase, ...]
    max_concurrency: int = 4
    repeat: int = 1
    cache: bool = True
    delay_ms: int = 0
    output_path: str | None = None
    base_dir: Path | None = None

    def with_providers(self, providers: list[ProviderSpec]) -> EvalConfig:
        return dataclasses.replace(self, providers=tuple(providers))


# --------------------------------------------------------------------------- helpers


def _check_keys(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    for key in data:
        if key not in allowed:
            raise ConfigError(f"{where}.{key}: unsupported key {key!r}. apilab reads "
                              f"{', '.join(sorted(allowed))} here (see docs/evals.md).")


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} must be a mapping (key: value), not {type(value).__name__}.")
    return value


def _number(value: Any, where: str, *, low: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where} must be a number, not {value!r}.")
    if low is not None and value < low:
        raise ConfigError(f"{where} must be at least {low:g}.")
    return float(value)


class _Files:
    """Reads ``file://`` references relative to the config's folder (or refuses them)."""

    def __init__(self, base: Path | None) -> None:
        self.base = base

    def path(self, ref: str, where: str) -> Path:
        if self.base is None:
            raise ConfigError(f"{where}: file:// references are not available here "
                              "(this config has no folder); paste the content instead.")
        raw = ref.removeprefix("file://")
        if any(ch in raw for ch in "*?["):
            raise ConfigError(f"{where}: glob patterns ({raw!r}) are not supported; list the "
                              "files one by one.")
        path = (self.base / raw).expanduser()
        if not path.is_file():
            raise ConfigError(f"{where}: {raw!r} not found (looked in {self.base}).")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ConfigError(f"{where}: {raw!r} is larger than {MAX_FILE_BYTES:,} bytes.")
        return path

    def text(self, ref: str, where: str) -> str:
        path = self.path(ref, where)
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ConfigError(f"{where}: {path.name} is not UTF-8 text.") from None

    def data(self, ref: str, where: str) -> Any:
        path = self.path(ref, where)
        text = self.text(ref, where)
        if path.suffix.lower() == ".json":
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{where}: {path.name} is not valid JSON: {exc.msg} at line "
                                  f"{exc.lineno}.") from None
        return _yaml(text, f"{where} ({path.name})")


def _yaml(text: str, where: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).split("\n", 1)[0]
        raise ConfigError(f"{where} is not valid YAML{at}: {problem}.") from None


# --------------------------------------------------------------------------- prompts


def _chat(value: Any, where: str) -> tuple[tuple[str, str], ...] | None:
    """A chat-message list as (role, content) pairs, or None if ``value`` is not one."""
    if not isinstance(value, list) or not value or not all(isinstance(m, Mapping)
                                                           for m in value):
        return None
    out = []
    for i, message in enumerate(value):
        _check_keys(message, {"role", "content"}, f"{where}[{i}]")
        role, content = message.get("role"), message.get("content")
        if role not in _ROLES:
            raise ConfigError(f"{where}[{i}].role must be one of system, user, assistant, "
                              f"not {role!r}.")
        if not isinstance(content, str):
            raise ConfigError(f"{where}[{i}].content must be text.")
        out.append((str(role), content))
    if out[-1][0] == "assistant" and len(out) == 1:
        raise ConfigError(f"{where}: a chat prompt needs a user message.")
    return tuple(out)


def _prompt_from_text(text: str, label: str, where: str) -> Prompt:
    stripped = text.strip()
    if stripped.startswith("["):  # promptfoo: a JSON string holding a chat-message list
        try:
            messages = _chat(json.loads(stripped), where)
        except json.JSONDecodeError:
            messages = None
        if messages is not None:
            return Prompt(label=label, messages=messages)
    if not stripped:
        raise ConfigError(f"{where} is empty.")
    return Prompt(label=label, text=text)


def _prompts_from_file(ref: str, label: str | None, files: _Files, where: str) -> list[Prompt]:
    path = files.path(ref, where)
    name = label or path.name
    if path.suffix.lower() in (".json", ".yaml", ".yml"):
        data = files.data(ref, where)
        messages = _chat(data, where)
        if messages is None:
            raise ConfigError(f"{where}: {path.name} must hold a chat-message list "
                              "([{role, content}, ...]).")
        return [Prompt(label=name, messages=messages)]
    if path.suffix.lower() not in (".txt", ".md", ".prompt", ""):
        raise ConfigError(f"{where}: prompts from {path.suffix} files are not supported "
                          "(use .txt, .md, .json or .yaml).")
    # promptfoo: a text file may hold several prompts separated by a line of ---.
    parts = [p for p in re.split(r"^---\s*$", files.text(ref, where), flags=re.M) if p.strip()]
    if not parts:
        raise ConfigError(f"{where}: {path.name} is empty.")
    return [_prompt_from_text(part.strip("\n"), name if len(parts) == 1 else f"{name}:{i + 1}",
                              where) for i, part in enumerate(parts)]


def _prompts(value: Any, files: _Files) -> list[Prompt]:
    items = [value] if isinstance(value, str | Mapping) else value
    if not isinstance(items, list) or not items:
        raise ConfigError("prompts must be a list with at least one prompt.")
    if all(isinstance(m, Mapping) and "role" in m for m in items):
        # promptfoo reads a bare message list as one chat prompt
        return [Prompt(label="prompt 1", messages=_chat(items, "prompts"))]
    out: list[Prompt] = []
    for i, item in enumerate(items):
        where = f"prompts[{i}]"
        default_label = f"prompt {i + 1}"
        if isinstance(item, str):
            if item.startswith("file://"):
                out.extend(_prompts_from_file(item, None, files, where))
            else:
                out.append(_prompt_from_text(item, default_label, where))
        elif isinstance(item, list):
            messages = _chat(item, where)
            if messages is None:
                raise ConfigError(f"{where} must be a prompt text, a file:// reference or a "
                                  "chat-message list.")
            out.append(Prompt(label=default_label, messages=messages))
        elif isinstance(item, Mapping):
            _check_keys(item, _PROMPT_KEYS, where)
            label = str(item.get("label") or item.get("id") or default_label)
            if "raw" in item:
                raw = item["raw"]
                messages = _chat(raw, where + ".raw")
                out.append(Prompt(label=label, messages=messages) if messages is not None
                           else _prompt_from_text(str(raw), label, where + ".raw"))
            elif isinstance(item.get("id"), str) and item["id"].startswith("file://"):
                out.extend(_prompts_from_file(item["id"], item.get("label"), files, where))
            else:
                raise ConfigError(f"{where} needs raw (the prompt) or id: file://...")
        else:
            raise ConfigError(f"{where} must be text, a chat-message list or a mapping.")
    labels = [p.label for p in out]
    dupes = {x for x in labels if labels.count(x) > 1}
    if dupes:
        raise ConfigError(f"Two prompts share the label {sorted(dupes)[0]!r}; give each a "
                          "distinct label.")
    return out


# --------------------------------------------------------------------------- providers

_PROVIDER_KINDS = {"sandbox", "openai", "anthropic", "gemini", "google", "openai-compatible",
                   "recorded", "apilab", "echo"}


def parse_provider(value: Any, where: str = "providers[0]") -> ProviderSpec:
    """A provider id (``openai:gpt-4o-mini``) or mapping (``{id, label, config}``)."""
    config: Mapping[str, Any] = {}
    label = None
    if isinstance(value, Mapping):
        _check_keys(value, _PROVIDER_KEYS, where)
        ident = value.get("id")
        label = value.get("label")
        config = _mapping(value.get("config") or {}, where + ".config")
        _check_keys(config, _PROVIDER_CONFIG_KEYS, where + ".config")
    else:
        ident = value
    if not isinstance(ident, str) or not ident.strip():
        raise ConfigError(f"{where} needs a provider id such as sandbox:gpt-4o-mini.")
    ident = ident.strip()
    kind, _, rest = ident.partition(":")
    if ident == "echo":
        return ProviderSpec(ident, str(label or ident), "echo", "echo", config)
    if kind not in _PROVIDER_KINDS:
        raise ConfigError(
            f"{where}: unsupported provider {ident!r}. apilab runs sandbox:MODEL, openai:MODEL, "
            "anthropic:MODEL, gemini:MODEL, openai-compatible:MODEL (config.apiBaseUrl), "
            "apilab:tutor, recorded:FILE and echo.")
    if kind == "apilab":
        if rest != "tutor":
            raise ConfigError(f"{where}: the apilab provider is apilab:tutor (the offline lab "
                              f"assistant), not {ident!r}.")
        return ProviderSpec(ident, str(label or ident), "tutor", "tutor", config)
    # promptfoo spells chat APIs openai:chat:MODEL and anthropic:messages:MODEL.
    for prefix in ("chat:", "messages:"):
        rest = rest.removeprefix(prefix)
    if kind == "google":
        kind = "gemini"
    if not rest:
        raise ConfigError(f"{where}: {ident!r} names no model; write {kind}:MODEL.")
    base_url = config.get("apiBaseUrl") or config.get("base_url") or config.get("apiHost")
    if kind == "openai" and base_url:
        kind = "openai-compatible"  # promptfoo's way of pointing openai: at another server
    if kind == "openai-compatible" and not base_url:
        raise ConfigError(f"{where}: openai-compatible needs config.apiBaseUrl (for example "
                          "http://localhost:11434/v1 for Ollama).")
    return ProviderSpec(ident, str(label or ident), kind, rest, config)


def _providers(value: Any) -> list[ProviderSpec]:
    items = [value] if isinstance(value, str | Mapping) else value
    if not isinstance(items, list) or not items:
        raise ConfigError("providers must be a list with at least one provider "
                          "(sandbox:gpt-4o-mini needs no key).")
    specs = [parse_provider(item, f"providers[{i}]") for i, item in enumerate(items)]
    labels = [s.label for s in specs]
    dupes = {x for x in labels if labels.count(x) > 1}
    if dupes:
        raise ConfigError(f"Two providers share the label {sorted(dupes)[0]!r}; give each a "
                          "label.")
    return specs


# --------------------------------------------------------------------------- assertions

_SHORTHAND = re.compile(
    r"^(?P<type>not-)?(?P<name>[a-z][a-z-]*)(?:\((?P<arg>[0-9.]+)\))?:(?P<v>.*)$", re.S)


def parse_assertion(value: Any, where: str) -> Assertion:
    """One assertion mapping (``{type, value, threshold, weight, metric}``)."""
    data = _mapping(value, where)
    _check_keys(data, _ASSERT_KEYS, where)
    raw_type = data.get("type")
    if not isinstance(raw_type, str):
        raise ConfigError(f"{where}.type is required (e.g. contains).")
    negate = raw_type.startswith("not-")
    base = raw_type.removeprefix("not-")
    if base not in ASSERTION_TYPES:
        if base in _KNOWN_UNSUPPORTED:
            raise ConfigError(f"{where}: the assertion type {raw_type!r} is not supported by "
                              "apilab (no code runs from a config); see docs/evals.md for the "
                              "supported types.")
        raise ConfigError(f"{where}: unknown assertion type {raw_type!r}. Supported: "
                          f"{', '.join(sorted(ASSERTION_TYPES))} (each also with not-).")
    threshold = data.get("threshold")
    weight = data.get("weight", 1)
    assertion = Assertion(
        type=base, value=data.get("value"), negate=negate,
        threshold=None if threshold is None else _number(threshold, where + ".threshold"),
        weight=_number(weight, where + ".weight", low=0),
        metric=str(data["metric"]) if data.get("metric") is not None else None,
        provider=data.get("provider"),
    )
    _check_value(assertion, where)
    return assertion


def _check_value(a: Assertion, where: str) -> None:
    needs_text = {"equals", "contains", "icontains", "starts-with", "regex", "similar",
                  "llm-rubric"}
    if a.type in needs_text and a.value is None:
        raise ConfigError(f"{where}: {a.name} needs a value.")
    if a.type in {"contains-any", "contains-all", "icontains-any", "icontains-all"}:
        if isinstance(a.value, str):
            return  # comma-separated, as promptfoo accepts
        if not isinstance(a.value, list) or not a.value:
            raise ConfigError(f"{where}: {a.name} needs a list of values.")
    if a.type in {"cost", "latency"} and a.threshold is None:
        raise ConfigError(f"{where}: {a.name} needs a threshold (dollars for cost, "
                          "milliseconds for latency).")
    if a.type in {"is-json", "contains-json"} and a.value is not None \
            and not isinstance(a.value, Mapping | str):
        raise ConfigError(f"{where}: {a.name}'s value must be a JSON Schema.")
    if a.type == "regex" and isinstance(a.value, str) and len(a.value) > 2000:
        raise ConfigError(f"{where}: the regex is longer than 2,000 characters.")


def _shorthand(text: str, where: str) -> Assertion:
    """A CSV ``__expected`` cell: ``contains:foo``, ``similar(0.8):text``, or plain equals."""
    match = _SHORTHAND.match(text)
    if match:
        name = match["name"]
        full = (match["type"] or "") + name
        if name == "grade":
            full, name = ("not-" if match["type"] else "") + "llm-rubric", "llm-rubric"
        if name in ASSERTION_TYPES or name in _KNOWN_UNSUPPORTED:
            value: Any = match["v"]
            if name in {"contains-any", "contains-all", "icontains-any", "icontains-all"}:
                value = [v.strip() for v in match["v"].split(",") if v.strip()]
            data: dict[str, Any] = {"type": full, "value": value}
            if match["arg"]:
                data["threshold"] = float(match["arg"])
            if name in {"cost", "latency"}:
                data = {"type": full, "threshold": float(match["v"])}
            if name == "is-json" and not match["v"]:
                data = {"type": full}
            return parse_assertion(data, where)
    if text.strip() in ("is-json", "not-is-json"):
        return parse_assertion({"type": text.strip()}, where)
    return Assertion(type="equals", value=text)


# --------------------------------------------------------------------------- tests


def _read_csv(text: str, where: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    tests: list[dict[str, Any]] = []
    for row_no, row in enumerate(reader, start=2):
        if len(tests) >= MAX_TESTS:
            raise ConfigError(f"{where}: more than {MAX_TESTS:,} rows.")
        test: dict[str, Any] = {"vars": {}, "assert": []}
        for column, cell in row.items():
            if column is None:
                raise ConfigError(f"{where} line {row_no}: more cells than header columns.")
            cell = cell or ""
            if column.startswith("__expected"):
                if cell.strip():
                    test["assert"].append(("__shorthand", cell, f"{where} line {row_no}"))
            elif column == "__description":
                test["description"] = cell
            elif column == "__threshold":
                if cell.strip():
                    test["threshold"] = float(cell)
            elif column.startswith("__metadata:"):
                test.setdefault("metadata", {})[column.split(":", 1)[1]] = cell
            elif column.startswith("__"):
                raise ConfigError(f"{where}: unsupported CSV column {column!r} (apilab reads "
                                  "__expected, __expectedN, __description, __threshold, "
                                  "__metadata:KEY).")
            else:
                test["vars"][column] = cell
        tests.append(test)
    return tests


def _test_items(value: Any, files: _Files) -> list[tuple[Any, str]]:
    """(raw test, where) pairs from inline tests and test files."""
    if value is None:
        return [({}, "tests")]  # promptfoo: no tests means one run of each prompt
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ConfigError("tests must be a list of test cases or a file:// reference.")
    out: list[tuple[Any, str]] = []
    for i, item in enumerate(items):
        where = f"tests[{i}]"
        if isinstance(item, str):
            if item.startswith("apilab:"):
                from apilab.evals.packs import load_pack

                out.extend((t, f"{item}[{j}]") for j, t in enumerate(load_pack(item)))
                continue
            if not item.startswith("file://"):
                raise ConfigError(f"{where}: a test given as text must be a file:// reference "
                                  "(.csv, .yaml or .json) or a built-in pack (apilab:injection).")
            path = files.path(item, where)
            if path.suffix.lower() == ".csv":
                out.extend((t, f"{path.name} row {j + 1}")
                           for j, t in enumerate(_read_csv(files.text(item, where), where)))
            else:
                data = files.data(item, where)
                data = [data] if isinstance(data, Mapping) else data
                if not isinstance(data, list):
                    raise ConfigError(f"{where}: {path.name} must hold a list of test cases.")
                out.extend((t, f"{path.name}[{j}]") for j, t in enumerate(data))
        else:
            out.append((item, where))
    return out


def _vars(value: Any, files: _Files, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, str) and value.startswith("file://"):
        value = files.data(value, where)
    data = dict(_mapping(value, where))
    for key, item in data.items():
        if isinstance(item, str) and item.startswith("file://"):
            data[key] = files.text(item, f"{where}.{key}")
    return data


def _asserts(value: Any, where: str) -> list[Assertion]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(f"{where} must be a list of assertions.")
    out = []
    for j, item in enumerate(value):
        if isinstance(item, tuple) and item and item[0] == "__shorthand":
            out.append(_shorthand(item[1], item[2]))
        else:
            out.append(parse_assertion(item, f"{where}[{j}]"))
    return out


def _expand(vars_: dict[str, Any]) -> list[dict[str, Any]]:
    """promptfoo: a var holding a list runs the test once per value (cartesian product)."""
    keys = [k for k, v in vars_.items() if isinstance(v, list)]
    if not keys:
        return [vars_]
    combos = itertools.product(*(vars_[k] for k in keys))
    return [{**vars_, **dict(zip(keys, combo, strict=True))} for combo in combos]


def _tests(value: Any, default: Mapping[str, Any], files: _Files) -> list[TestCase]:
    default_vars = _vars(default.get("vars"), files, "defaultTest.vars")
    default_asserts = _asserts(default.get("assert"), "defaultTest.assert")
    default_options = _mapping(default.get("options") or {}, "defaultTest.options")
    _check_keys(default_options, _TEST_OPTION_KEYS, "defaultTest.options")
    default_meta = dict(_mapping(default.get("metadata") or {}, "defaultTest.metadata"))
    tests: list[TestCase] = []
    for raw, where in _test_items(value, files):
        data = _mapping(raw, where)
        _check_keys(data, _TEST_KEYS, where)
        options = _mapping(data.get("options") or {}, where + ".options")
        _check_keys(options, _TEST_OPTION_KEYS, where + ".options")
        asserts = default_asserts + _asserts(data.get("assert"), where + ".assert")
        threshold = data.get("threshold", default.get("threshold"))
        description = data.get("description")
        meta = {**default_meta, **_mapping(data.get("metadata") or {}, where + ".metadata")}
        grader = options.get("provider", default_options.get("provider"))
        for vars_ in _expand({**default_vars, **_vars(data.get("vars"), files, where + ".vars")}):
            if len(tests) >= MAX_TESTS:
                raise ConfigError(f"More than {MAX_TESTS:,} test cases; split the suite.")
            tests.append(TestCase(
                index=len(tests), description=str(description) if description else None,
                vars=vars_, asserts=tuple(asserts),
                threshold=None if threshold is None else _number(threshold, where + ".threshold"),
                metadata=meta, grader=grader or None))
    return tests


# --------------------------------------------------------------------------- entry points


def config_from_dict(data: Any, *, base_dir: Path | None = None) -> EvalConfig:
    """Check and normalise a config mapping; ``base_dir`` is where file:// paths start."""
    data = _mapping(data, "The config")
    _check_keys(data, _TOP_KEYS, "config")
    files = _Files(base_dir)
    for required in ("prompts", "providers"):
        if required not in data:
            raise ConfigError(f"The config has no {required!r}; it needs prompts and providers "
                              "(tests are optional).")
    default = data.get("defaultTest") or {}
    if isinstance(default, str) and default.startswith("file://"):
        default = files.data(default, "defaultTest")
    default = _mapping(default, "defaultTest")
    _check_keys(default, _TEST_KEYS, "defaultTest")
    options = _mapping(data.get("evaluateOptions") or {}, "evaluateOptions")
    _check_keys(options, _OPTION_KEYS, "evaluateOptions")
    prompts = _prompts(data["prompts"], files)
    providers = _providers(data["providers"])
    tests = _tests(data.get("tests"), default, files)
    repeat = int(_number(options.get("repeat", 1), "evaluateOptions.repeat", low=1))
    config = EvalConfig(
        description=str(data["description"]) if data.get("description") else None,
        prompts=tuple(prompts), providers=tuple(providers), tests=tuple(tests),
        max_concurrency=int(_number(options.get("maxConcurrency", 4),
                                    "evaluateOptions.maxConcurrency", low=1)),
        repeat=min(repeat, MAX_REPEAT), cache=bool(options.get("cache", True)),
        delay_ms=int(_number(options.get("delay", 0), "evaluateOptions.delay", low=0)),
        output_path=str(data["outputPath"]) if data.get("outputPath") else None,
        base_dir=base_dir,
    )
    check_size(config)
    return config


def check_size(config: EvalConfig) -> None:
    """Refuse a run larger than ``MAX_CELLS`` calls before anything is sent."""
    cells = len(config.prompts) * len(config.providers) * len(config.tests) * config.repeat
    if cells > MAX_CELLS:
        raise ConfigError(f"This run would make {cells:,} calls; the limit is {MAX_CELLS:,}. "
                          "Use fewer tests, prompts, providers or repeats.")


def load_config(path: str | Path) -> EvalConfig:
    """Read a promptfoo-style YAML/JSON config from a file (or ``builtin:NAME``)."""
    if isinstance(path, str) and path.startswith("builtin:"):
        from apilab.evals.packs import builtin_config

        text, base = builtin_config(path.removeprefix("builtin:"))
        return config_from_dict(_yaml(text, path), base_dir=base)
    file = Path(path)
    if file.is_dir():
        file = file / "promptfooconfig.yaml"
    if not file.is_file():
        raise ConfigError(f"No eval config at {str(path)!r}.")
    if file.stat().st_size > MAX_FILE_BYTES:
        raise ConfigError(f"{file.name} is larger than {MAX_FILE_BYTES:,} bytes.")
    text = file.read_text(encoding="utf-8")
    data = json.loads(text) if file.suffix.lower() == ".json" else _yaml(text, file.name)
    if data is None:
        raise ConfigError(f"{file.name} is empty.")
    return config_from_dict(data, base_dir=file.resolve().parent)
