"""Validation of OpenAI Responses API bodies (``POST /v1/responses``), with OpenAI's 400s.

``parse_responses_request(payload)`` returns a ``ResponsesRequest``: the fields
the sandbox acts on, the input turned into input *items* (each with an id, as
``GET /v1/responses/{id}/input_items`` lists them) and into chat-style
*messages* (what the token counter, the prompt cache and the generator read).
Unknown top-level fields get OpenAI's ``unknown_parameter`` 400; fields the
sandbox accepts but does not act on (``include``, ``truncation``,
``prompt_cache_key``, ...) are ignored. No I/O and no state here.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from apilab.sandbox.openai_request import (  # the same parameter checks as Chat Completions
    REASONING_PREFIXES,
    _number,
    _type_error,
    bad_request,
    check_strict,
)

__all__ = [
    "EFFORTS",
    "KNOWN_FIELDS",
    "ResponsesRequest",
    "input_items",
    "is_reasoning_model",
    "items_to_messages",
    "parse_responses_request",
]

# Every top-level field of the SDK's ResponseCreateParams (openai 3.60). The sandbox acts on
# some and accepts the rest, so a current client never meets an "unknown parameter" 400.
KNOWN_FIELDS = {
    "access_programs", "background", "background_options", "context_management",
    "conversation", "cyber", "image", "include", "input", "instructions", "max_output_tokens",
    "max_tool_calls", "metadata", "model", "moderation", "parallel_tool_calls",
    "previous_response_id", "prompt", "prompt_cache_key", "prompt_cache_options",
    "prompt_cache_retention", "reasoning", "safety_identifier", "service_tier", "store",
    "stream", "stream_options", "temperature", "text", "tool_choice", "tools", "top_logprobs",
    "top_p", "truncation", "user",
}
EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
MIN_OUTPUT_TOKENS = 16  # the Responses API's floor for max_output_tokens
_INPUT_ROLES = ("user", "system", "developer", "assistant")


@dataclasses.dataclass
class ResponsesRequest:
    """A validated Responses request (only what the sandbox acts on, plus echoes)."""

    model: str
    items: list[dict[str, Any]]  # this request's input items, normalised, with ids
    instructions: str | None
    previous_response_id: str | None
    store: bool
    stream: bool
    max_output_tokens: int | None
    temperature: float | None
    top_p: float | None
    text_format: dict[str, Any]  # echoed as response.text.format
    json_mode: bool
    json_schema: dict[str, Any] | None
    tools: list[dict[str, Any]]  # {"name", "description", "parameters"}
    tools_raw: list[dict[str, Any]]  # echoed as response.tools
    tool_choice: str | dict[str, Any]
    tool_mode: str  # "none" | "auto" | "required" | a tool name
    effort: str | None
    summary: str | None
    parallel_tool_calls: bool
    metadata: dict[str, Any]
    user: str | None
    top_logprobs: int | None
    cache_retention: str | None
    include_obfuscation: bool
    logprobs: bool = False  # include has "message.output_text.logprobs"


def _text_of(content: Any, where: str) -> str:
    """The text of a message ``content`` (a string or a list of input/output text parts)."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise _type_error(content, "one of a string or array of objects", where)
    out = []
    for j, part in enumerate(content):
        if not isinstance(part, dict) or not isinstance(part.get("type"), str):
            raise bad_request(f"Invalid '{where}[{j}]': expected an object with a 'type'.",
                              f"{where}[{j}]", "invalid_type")
        if part["type"] in ("input_text", "output_text", "text", "refusal"):
            text = part.get("text", part.get("refusal"))
            if not isinstance(text, str):
                raise bad_request(f"Missing required parameter: '{where}[{j}].text'.",
                                  f"{where}[{j}].text", "missing_required_parameter")
            out.append(text)
        # input_image / input_file / input_audio carry no text the sandbox can count.
    return "".join(out)


def input_items(value: Any, new_id: Any) -> list[dict[str, Any]]:
    """The request's ``input`` as normalised items, each with an ``id`` (``new_id(kind)``)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [{"id": new_id("msg"), "type": "message", "role": "user", "status": "completed",
                 "content": [{"type": "input_text", "text": value}]}]
    if not isinstance(value, list):
        raise _type_error(value, "one of a string or array of input items", "input")
    items: list[dict[str, Any]] = []
    for i, item in enumerate(value):
        where = f"input[{i}]"
        if not isinstance(item, dict):
            raise _type_error(item, "an object", where)
        kind = item.get("type", "message" if "role" in item else None)
        if kind == "message":
            role = item.get("role")
            if role not in _INPUT_ROLES:
                raise bad_request(f"Invalid value: '{str(role)[:40]}'. Supported values are: "
                                  "'user', 'assistant', 'system', and 'developer'.",
                                  f"{where}.role", "invalid_value")
            if "content" not in item:
                raise bad_request(f"Missing required parameter: '{where}.content'.",
                                  f"{where}.content", "missing_required_parameter")
            text = _text_of(item["content"], f"{where}.content")
            part = "output_text" if role == "assistant" else "input_text"
            items.append({"id": item.get("id") or new_id("msg"), "type": "message",
                          "role": role, "status": "completed",
                          "content": [{"type": part, "text": text}]})
        elif kind == "function_call":
            for name in ("call_id", "name", "arguments"):
                if not isinstance(item.get(name), str):
                    raise bad_request(f"Missing required parameter: '{where}.{name}'.",
                                      f"{where}.{name}", "missing_required_parameter")
            items.append({"id": item.get("id") or new_id("fc"), "type": "function_call",
                          "call_id": item["call_id"], "name": item["name"],
                          "arguments": item["arguments"], "status": "completed"})
        elif kind == "function_call_output":
            if not isinstance(item.get("call_id"), str):
                raise bad_request(f"Missing required parameter: '{where}.call_id'.",
                                  f"{where}.call_id", "missing_required_parameter")
            output = item.get("output")
            text = output if isinstance(output, str) else _text_of(output, f"{where}.output")
            items.append({"id": item.get("id") or new_id("fco"), "type": "function_call_output",
                          "call_id": item["call_id"], "output": text, "status": "completed"})
        elif isinstance(kind, str):
            # reasoning items, item references, other tools' calls: kept, not counted.
            items.append({**item, "id": item.get("id") or new_id("item")})
        else:
            raise bad_request(f"Missing required parameter: '{where}.type'.", f"{where}.type",
                              "missing_required_parameter")
    return items


def items_to_messages(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chat-style messages for counting, caching and generating (text only)."""
    messages: list[dict[str, Any]] = []
    for item in items:
        kind = item.get("type")
        if kind == "message":
            text = "".join(p.get("text", "") for p in item.get("content", []))
            messages.append({"role": item["role"], "content": text})
        elif kind == "function_call":
            messages.append({"role": "assistant",
                             "content": f"{item['name']}({item['arguments']})"})
        elif kind == "function_call_output":
            messages.append({"role": "tool", "tool_call_id": item["call_id"],
                             "content": item["output"]})
    return messages


def _text_format(value: Any) -> tuple[dict[str, Any], bool, dict[str, Any] | None]:
    """``text.format``: (echo, json_mode, schema)."""
    if value is None:
        return {"type": "text"}, False, None
    if not isinstance(value, dict):
        raise _type_error(value, "an object", "text")
    fmt = value.get("format", {"type": "text"})
    if not isinstance(fmt, dict):
        raise _type_error(fmt, "an object", "text.format")
    kind = fmt.get("type")
    if kind == "text":
        return {"type": "text"}, False, None
    if kind == "json_object":
        return {"type": "json_object"}, True, None
    if kind == "json_schema":
        name = fmt.get("name")
        if not isinstance(name, str) or not name:
            raise bad_request("Missing required parameter: 'text.format.name'.",
                              "text.format.name", "missing_required_parameter")
        schema = fmt.get("schema")
        if not isinstance(schema, dict):
            raise bad_request("Missing required parameter: 'text.format.schema'.",
                              "text.format.schema", "missing_required_parameter")
        strict = fmt.get("strict")
        if strict:
            check_strict(schema, f"Invalid schema for response_format '{name}'", "text.format")
        echo = {"type": "json_schema", "name": name, "schema": schema,
                "description": fmt.get("description"), "strict": bool(strict)}
        return echo, True, schema
    raise bad_request(f"Invalid value: '{str(kind)[:40]}'. Supported values are: 'text', "
                      "'json_object', and 'json_schema'.", "text.format.type", "invalid_value")


def _tools(value: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if value is None:
        return [], []
    if not isinstance(value, list):
        raise _type_error(value, "an array", "tools")
    tools, raw = [], []
    for i, tool in enumerate(value):
        if not isinstance(tool, dict) or not isinstance(tool.get("type"), str):
            raise bad_request(f"Missing required parameter: 'tools[{i}].type'.",
                              f"tools[{i}].type", "missing_required_parameter")
        if tool["type"] != "function":
            raw.append(tool)  # hosted tools (web search, file search ...): accepted, never run
            continue
        name = tool.get("name")
        if not isinstance(name, str) or not name:
            raise bad_request(f"Missing required parameter: 'tools[{i}].name'.",
                              f"tools[{i}].name", "missing_required_parameter")
        params = tool.get("parameters") or {"type": "object", "properties": {}}
        if not isinstance(params, dict):
            raise _type_error(params, "an object", f"tools[{i}].parameters")
        strict = tool.get("strict", True)  # function tools are strict by default here
        if tool.get("strict"):
            check_strict(params, f"Invalid schema for function '{name}'",
                         f"tools[{i}].parameters")
        tools.append({"name": name, "description": tool.get("description") or "",
                      "parameters": params})
        raw.append({"type": "function", "name": name, "description": tool.get("description"),
                    "parameters": params, "strict": bool(strict)})
    return tools, raw


def _tool_choice(value: Any, tools: list[dict[str, Any]]) -> tuple[str | dict[str, Any], str]:
    if value is None:
        return "auto", "auto"
    if isinstance(value, str):
        if value not in ("none", "auto", "required"):
            raise bad_request(f"Invalid value: '{value[:40]}'. Supported values are: 'none', "
                              "'auto', and 'required'.", "tool_choice", "invalid_value")
        return value, value
    if isinstance(value, dict):
        if value.get("type") == "function":
            name = value.get("name")
            if name not in {t["name"] for t in tools}:
                raise bad_request(f"Tool choice '{str(name)[:60]}' not found in 'tools' "
                                  "parameter.", "tool_choice", "invalid_value")
            return {"type": "function", "name": name}, str(name)
        if value.get("type") == "allowed_tools":
            mode = value.get("mode", "auto")
            return value, "required" if mode == "required" else "auto"
        return value, "auto"  # hosted tool choices: no function call is made
    raise _type_error(value, "a string or an object", "tool_choice")


def parse_responses_request(payload: Any, new_id: Any) -> ResponsesRequest:
    """Validate a Responses body; raises ``SandboxHTTPError`` (400) like OpenAI does."""
    if not isinstance(payload, dict):
        raise bad_request("Invalid request body: expected a JSON object.", None, "invalid_type")
    unknown = sorted(set(payload) - KNOWN_FIELDS)
    if unknown:
        raise bad_request(f"Unknown parameter: '{unknown[0]}'.", unknown[0], "unknown_parameter")
    model = payload.get("model")
    if model is None:
        raise bad_request("Missing required parameter: 'model'.", "model",
                          "missing_required_parameter")
    if not isinstance(model, str):
        raise _type_error(model, "a string", "model")
    items = input_items(payload.get("input"), new_id)
    instructions = payload.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise _type_error(instructions, "a string", "instructions")
    previous = payload.get("previous_response_id")
    if previous is not None and not isinstance(previous, str):
        raise _type_error(previous, "a string", "previous_response_id")
    if not items and previous is None:
        raise bad_request("Missing required parameter: 'input'.", "input",
                          "missing_required_parameter")
    cap = payload.get("max_output_tokens")
    if cap is not None:
        if isinstance(cap, bool) or not isinstance(cap, int):
            raise _type_error(cap, "an integer", "max_output_tokens")
        if cap < MIN_OUTPUT_TOKENS:
            raise bad_request(f"Invalid 'max_output_tokens': integer below minimum value. "
                              f"Expected a value >= {MIN_OUTPUT_TOKENS}, but got {cap} instead.",
                              "max_output_tokens", "integer_below_min_value")
    echo, json_mode, schema = _text_format(payload.get("text"))
    tools, tools_raw = _tools(payload.get("tools"))
    choice, mode = _tool_choice(payload.get("tool_choice"), tools)
    reasoning = payload.get("reasoning")
    effort = summary = None
    if reasoning is not None:
        if not isinstance(reasoning, dict):
            raise _type_error(reasoning, "an object", "reasoning")
        effort = reasoning.get("effort")
        if effort is not None and effort not in EFFORTS:
            raise bad_request(f"Invalid value: '{str(effort)[:40]}'. Supported values are: "
                              + ", ".join(f"'{e}'" for e in EFFORTS) + ".",
                              "reasoning.effort", "invalid_value")
        summary = reasoning.get("summary") or reasoning.get("generate_summary")
    stream = payload.get("stream", False)
    if not isinstance(stream, bool):
        raise _type_error(stream, "a boolean", "stream")
    store = payload.get("store", True)
    if not isinstance(store, bool):
        raise _type_error(store, "a boolean", "store")
    options = payload.get("stream_options") or {}
    if not isinstance(options, dict):
        raise _type_error(options, "an object", "stream_options")
    top_logprobs = payload.get("top_logprobs")
    if top_logprobs is not None and (isinstance(top_logprobs, bool)
                                     or not isinstance(top_logprobs, int)
                                     or not 0 <= top_logprobs <= 20):
        raise bad_request("Invalid 'top_logprobs': expected an integer between 0 and 20.",
                          "top_logprobs", "invalid_value")
    metadata = payload.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise _type_error(metadata, "an object", "metadata")
    retention = payload.get("prompt_cache_retention")
    include = payload.get("include") or []
    if not isinstance(include, list):
        raise _type_error(include, "an array", "include")
    return ResponsesRequest(
        model=model, items=items, instructions=instructions, previous_response_id=previous,
        store=store, stream=stream, max_output_tokens=cap,
        temperature=_number(payload, "temperature", 0, 2), top_p=_number(payload, "top_p", 0, 1),
        text_format=echo, json_mode=json_mode, json_schema=schema, tools=tools,
        tools_raw=tools_raw, tool_choice=choice, tool_mode=mode, effort=effort, summary=summary,
        parallel_tool_calls=bool(payload.get("parallel_tool_calls", True)), metadata=metadata,
        user=payload.get("user") if isinstance(payload.get("user"), str) else None,
        top_logprobs=top_logprobs,
        cache_retention=retention if retention in ("in_memory", "24h") else None,
        include_obfuscation=bool(options.get("include_obfuscation", False)),
        logprobs="message.output_text.logprobs" in include,
    )


def is_reasoning_model(model_id: str) -> bool:
    """o-series and gpt-5 models think before they answer (and bill it as output)."""
    return model_id.startswith(REASONING_PREFIXES)
