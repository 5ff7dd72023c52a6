"""Validation of OpenAI chat-completions request bodies, with OpenAI's own 400 messages.

``parse_chat_request(payload)`` returns a ``ChatRequest`` holding only what the
sandbox acts on, or raises ``SandboxHTTPError`` with the ``param`` and ``code``
the real API uses (``missing_required_parameter``, ``invalid_type``,
``unknown_parameter``, ``invalid_json_schema`` ...). Nothing here does I/O.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from apilab.sandbox.errors import SandboxHTTPError

__all__ = [
    "KNOWN_FIELDS",
    "REASONING_PREFIXES",
    "ROLES",
    "ChatRequest",
    "bad_request",
    "check_strict",
    "json_object",
    "message_text",
    "parse_chat_request",
]

ROLES = {"developer", "system", "user", "assistant", "tool", "function"}
KNOWN_FIELDS = {
    "model", "messages", "max_tokens", "max_completion_tokens", "n", "temperature", "top_p",
    "seed", "stop", "stream", "stream_options", "response_format", "tools", "tool_choice",
    "parallel_tool_calls", "logprobs", "top_logprobs", "service_tier", "user",
    "safety_identifier", "prompt_cache_key", "prompt_cache_retention", "presence_penalty",
    "frequency_penalty", "logit_bias", "metadata", "store", "modalities", "audio",
    "prediction", "reasoning_effort", "verbosity", "web_search_options", "functions",
    "function_call",
}
# Reasoning models refuse the deprecated max_tokens (reference §1.1).
REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")


def bad_request(message: str, param: str | None = None, code: str | None = None
                ) -> SandboxHTTPError:
    """A 400 ``invalid_request_error`` with OpenAI's ``param`` and ``code``."""
    return SandboxHTTPError("invalid_request", message, param=param, code=code)


def json_object(payload: Any, fields: set[str] | frozenset[str]) -> dict[str, Any]:
    """The parsed body as an object with only ``fields``, or the 400 OpenAI sends."""
    if not isinstance(payload, dict):
        raise bad_request("Invalid request body: expected a JSON object.")
    unknown = sorted(set(payload) - fields)
    if unknown:
        raise bad_request(f"Unrecognized request argument supplied: {unknown[0]}",
                          unknown[0], "unknown_parameter")
    return payload


def _type_error(value: Any, expected: str, param: str) -> SandboxHTTPError:
    return bad_request(f"Invalid type for '{param}': expected {expected}, but got "
                       f"{_json_type(value)} instead.", param, "invalid_type")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


@dataclasses.dataclass
class ChatRequest:
    """A validated chat-completions request (only what the sandbox acts on)."""

    model: str
    messages: list[dict[str, Any]]
    max_tokens: int | None
    used_legacy_max_tokens: bool
    n: int
    seed: int | None
    temperature: float | None
    stop: list[str]
    stream: bool
    include_usage: bool
    json_mode: bool
    json_schema: dict[str, Any] | None
    tools: list[dict[str, Any]]
    tool_choice: str | dict[str, Any] | None
    cache_retention: str | None
    logprobs: bool = False
    top_logprobs: int = 0


def _int(payload: dict[str, Any], name: str, lo: int, hi: int | None = None) -> int | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _type_error(value, "an integer", name)
    if value < lo or (hi is not None and value > hi):
        limit = f"at least {lo}" if hi is None else f"between {lo} and {hi}"
        raise bad_request(f"Invalid '{name}': integer {value} must be {limit}.", name,
                          "integer_below_min_value" if value < lo else "integer_above_max_value")
    return value


def _number(payload: dict[str, Any], name: str, lo: float, hi: float) -> float | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _type_error(value, "a number", name)
    if not lo <= value <= hi:
        raise bad_request(f"Invalid '{name}': {value} is not between {lo} and {hi}.", name,
                          "decimal_above_max_value" if value > hi else "decimal_below_min_value")
    return float(value)


def _check_messages(messages: Any) -> list[dict[str, Any]]:
    if messages is None:
        raise bad_request("Missing required parameter: 'messages'.", "messages",
                          "missing_required_parameter")
    if not isinstance(messages, list):
        raise _type_error(messages, "an array", "messages")
    if not messages:
        raise bad_request(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, "
            "but got an empty array instead.", "messages", "empty_array")
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise _type_error(message, "an object", where)
        role = message.get("role")
        if role is None:
            raise bad_request(f"Missing required parameter: '{where}.role'.", f"{where}.role",
                              "missing_required_parameter")
        if role not in ROLES:
            raise bad_request(f"Invalid value: '{str(role)[:40]}'. Supported values are: 'system', "
                              "'assistant', 'user', 'function', 'tool', and 'developer'.",
                              f"{where}.role", "invalid_value")
        content = message.get("content")
        if content is None and role in ("user", "system", "developer", "tool"):
            raise bad_request(f"Missing required parameter: '{where}.content'.", f"{where}.content",
                              "missing_required_parameter")
        if content is not None and not isinstance(content, str | list):
            raise _type_error(content, "one of a string or array of objects",
                              f"{where}.content")
        if isinstance(content, list):
            for j, part in enumerate(content):
                if not isinstance(part, dict) or not isinstance(part.get("type"), str):
                    raise bad_request(f"Invalid '{where}.content[{j}]': expected an object with a "
                                      "'type'.", f"{where}.content[{j}]", "invalid_type")
                if part["type"] == "text" and not isinstance(part.get("text"), str):
                    raise bad_request(f"Missing required parameter: '{where}.content[{j}].text'.",
                                      f"{where}.content[{j}].text", "missing_required_parameter")
        if role == "tool" and not isinstance(message.get("tool_call_id"), str):
            raise bad_request(f"Missing required parameter: '{where}.tool_call_id'.",
                              f"{where}.tool_call_id", "missing_required_parameter")
        for extra in ("name",):
            if extra in message and not isinstance(message[extra], str):
                raise _type_error(message[extra], "a string", f"{where}.{extra}")
        tool_calls = message.get("tool_calls")
        if tool_calls is not None and not isinstance(tool_calls, list):
            raise _type_error(tool_calls, "an array", f"{where}.tool_calls")
    return messages


def _strict_problem(schema: Any, path: str = "()") -> str | None:
    """Why a schema is not valid for strict structured outputs (None when it is)."""
    if not isinstance(schema, dict):
        return None
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "object" in kinds or "properties" in schema:
        if schema.get("additionalProperties") is not False:
            return (f"In context={path}, 'additionalProperties' is required to be supplied "
                    "and to be false.")
        props = schema.get("properties") or {}
        missing = [p for p in props if p not in (schema.get("required") or [])]
        if missing:
            return (f"In context={path}, 'required' is required to be supplied and to be an "
                    f"array including every key in properties. Missing '{missing[0]}'.")
        for name, sub in props.items():
            problem = _strict_problem(sub, f"{path[:-1]}'properties', '{name}')")
            if problem:
                return problem
    for key in ("items",):
        if isinstance(schema.get(key), dict):
            problem = _strict_problem(schema[key], path)
            if problem:
                return problem
    for key in ("anyOf", "$defs", "definitions"):
        subs = schema.get(key)
        values = subs.values() if isinstance(subs, dict) else subs if isinstance(subs, list) \
            else []
        for sub in values:
            problem = _strict_problem(sub, path)
            if problem:
                return problem
    return None


def check_strict(schema: dict[str, Any], what: str, param: str) -> None:
    """Raise the 400 strict structured outputs give for ``schema`` (``what`` names it)."""
    problem = _strict_problem(schema)
    if problem:
        raise bad_request(f"{what}: {problem}", param, "invalid_json_schema")


def _response_format(value: Any) -> tuple[bool, dict[str, Any] | None]:
    if value is None:
        return False, None
    if not isinstance(value, dict):
        raise _type_error(value, "an object", "response_format")
    kind = value.get("type")
    if kind == "text":
        return False, None
    if kind == "json_object":
        return True, None
    if kind == "json_schema":
        spec = value.get("json_schema")
        if not isinstance(spec, dict):
            raise bad_request("Missing required parameter: 'response_format.json_schema'.",
                              "response_format.json_schema", "missing_required_parameter")
        name = spec.get("name")
        if not isinstance(name, str) or not name:
            raise bad_request("Missing required parameter: 'response_format.json_schema.name'.",
                              "response_format.json_schema.name", "missing_required_parameter")
        schema = spec.get("schema", {"type": "object"})
        if not isinstance(schema, dict):
            raise _type_error(schema, "an object", "response_format.json_schema.schema")
        if spec.get("strict"):
            problem = _strict_problem(schema)
            if problem:
                raise bad_request(f"Invalid schema for response_format '{name}': {problem}",
                                  "response_format", "invalid_json_schema")
        return True, schema
    raise bad_request(f"Invalid value: '{str(kind)[:40]}'. Supported values are: 'text', "
                      "'json_object', and 'json_schema'.", "response_format.type", "invalid_value")


def _tools(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _type_error(value, "an array", "tools")
    tools = []
    for i, tool in enumerate(value):
        if not isinstance(tool, dict) or tool.get("type", "function") != "function":
            raise bad_request(f"Invalid 'tools[{i}]': expected an object with type 'function'.",
                              f"tools[{i}]", "invalid_value")
        fn = tool.get("function")
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"]:
            raise bad_request(f"Missing required parameter: 'tools[{i}].function.name'.",
                              f"tools[{i}].function.name", "missing_required_parameter")
        params = fn.get("parameters", {"type": "object", "properties": {}})
        if not isinstance(params, dict):
            raise _type_error(params, "an object", f"tools[{i}].function.parameters")
        if fn.get("strict"):
            problem = _strict_problem(params)
            if problem:
                raise bad_request(f"Invalid schema for function '{fn['name']}': {problem}",
                                  f"tools[{i}].function.parameters", "invalid_function_parameters")
        tools.append({"name": fn["name"], "description": fn.get("description", ""),
                      "parameters": params})
    return tools


def parse_chat_request(payload: Any) -> ChatRequest:
    """Validate a chat-completions body; raises ``SandboxHTTPError`` (400) like OpenAI does."""
    if not isinstance(payload, dict):
        raise bad_request("Invalid request body: expected a JSON object.", None, "invalid_type")
    unknown = sorted(set(payload) - KNOWN_FIELDS)
    if unknown:
        raise bad_request(f"Unrecognized request argument supplied: {unknown[0]}", unknown[0],
                          "unknown_parameter")
    model = payload.get("model")
    if model is None:
        raise bad_request(
            "you must provide a model parameter", "model", "missing_required_parameter")
    if not isinstance(model, str):
        raise _type_error(model, "a string", "model")
    messages = _check_messages(payload.get("messages"))
    legacy = _int(payload, "max_tokens", 1)
    modern = _int(payload, "max_completion_tokens", 1)
    n = _int(payload, "n", 1, 128) or 1
    seed = payload.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise _type_error(seed, "an integer", "seed")
    temperature = _number(payload, "temperature", 0, 2)
    _number(payload, "top_p", 0, 1)
    _number(payload, "presence_penalty", -2, 2)
    _number(payload, "frequency_penalty", -2, 2)
    stop = payload.get("stop")
    if stop is None:
        stops: list[str] = []
    elif isinstance(stop, str):
        stops = [stop]
    elif isinstance(stop, list) and all(isinstance(s, str) for s in stop) and len(stop) <= 4:
        stops = list(stop)
    else:
        raise _type_error(stop, "a string or an array of up to 4 strings", "stop")
    stops = [s for s in stops if s]
    stream = payload.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise _type_error(stream, "a boolean", "stream")
    options = payload.get("stream_options")
    include_usage = False
    if options is not None:
        if not stream:
            raise bad_request("The 'stream_options' parameter is only allowed when 'stream' is "
                              "enabled.", "stream_options", "invalid_value")
        if not isinstance(options, dict):
            raise _type_error(options, "an object", "stream_options")
        flag = options.get("include_usage", False)
        if not isinstance(flag, bool):
            raise _type_error(flag, "a boolean", "stream_options.include_usage")
        include_usage = flag
    json_mode, schema = _response_format(payload.get("response_format"))
    tools = _tools(payload.get("tools"))
    choice = payload.get("tool_choice")
    if choice is not None:
        if isinstance(choice, str):
            if choice not in ("none", "auto", "required"):
                raise bad_request(f"Invalid value: '{choice[:40]}'. Supported values are: 'none', "
                                  "'auto', and 'required'.", "tool_choice", "invalid_value")
        elif isinstance(choice, dict):
            fn = choice.get("function")
            name = fn.get("name") if isinstance(fn, dict) else None
            if not isinstance(name, str) or name not in {t["name"] for t in tools}:
                raise bad_request(f"Invalid value for 'tool_choice': no function named "
                                  f"{str(name)[:60]!r} was specified in the 'tools' parameter.",
                                  "tool_choice", "invalid_value")
        else:
            raise _type_error(choice, "a string or an object", "tool_choice")
        if not tools and choice != "none":
            raise bad_request("Invalid value for 'tool_choice': 'tool_choice' is only allowed when "
                              "'tools' are specified.", "tool_choice", "invalid_value")
    logprobs = payload.get("logprobs")
    if logprobs is not None and not isinstance(logprobs, bool):
        raise _type_error(logprobs, "a boolean", "logprobs")
    top_logprobs = _int(payload, "top_logprobs", 0, 20)
    if top_logprobs is not None and not logprobs:
        raise bad_request("Invalid value for 'top_logprobs': 'logprobs' must be set to true "
                          "when 'top_logprobs' is used.", "top_logprobs", "invalid_value")
    retention = payload.get("prompt_cache_retention")
    if retention is not None and retention not in ("in_memory", "24h"):
        raise bad_request(
            "Invalid value for 'prompt_cache_retention': expected 'in_memory' or '24h'.",
            "prompt_cache_retention", "invalid_value")
    return ChatRequest(
        model=model, messages=messages, max_tokens=modern if modern is not None else legacy,
        used_legacy_max_tokens=legacy is not None, n=n, seed=seed, temperature=temperature,
        stop=stops, stream=bool(stream), include_usage=include_usage, json_mode=json_mode,
        json_schema=schema, tools=tools, tool_choice=choice, cache_retention=retention,
        logprobs=bool(logprobs), top_logprobs=top_logprobs or 0,
    )


def message_text(content: Any) -> str:
    """The text of a message ``content`` (string or list of text parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content
                       if isinstance(p, dict) and p.get("type") in ("text", "input_text"))
    return ""
