"""Validation of Anthropic Messages requests: headers and bodies, with Anthropic's 400s.

``check_version`` accepts every ``anthropic-version`` the real API accepts (any
released date, newer ones included) and ``parse_messages_request`` turns a body
into a normalised dict, raising ``SandboxHTTPError`` worded as Anthropic words
its validation errors (``field: message``). No I/O and no state here: the front
door (``anthropic_api.py``) authenticates first, then calls these.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from apilab.sandbox.caching import MAX_BREAKPOINTS
from apilab.sandbox.errors import SandboxHTTPError
from apilab.sandbox.thinking import MIN_BUDGET

__all__ = [
    "FIRST_VERSION",
    "KNOWN_VERSIONS",
    "LATEST_VERSION",
    "bad_request",
    "block_text",
    "check_version",
    "parse_messages_request",
]

# Body fields the Messages API accepts. temperature/top_p/top_k left the SDK's signature in
# anthropic 1.0 but the API still takes them (sent through extra_body); output_config,
# inference_geo, speed and the rest arrived with the 1.x/2.x SDKs.
KNOWN_FIELDS = {
    "model", "max_tokens", "messages", "system", "stream", "stop_sequences", "temperature",
    "top_p", "top_k", "tools", "tool_choice", "metadata", "thinking", "service_tier",
    "cache_control", "container", "mcp_servers", "context_management", "output_config",
    "diagnostics", "inference_geo", "speed", "user_profile_id", "workspace_id",
}


def bad_request(message: str) -> SandboxHTTPError:
    """A 400 ``invalid_request_error`` with Anthropic's wording."""
    return SandboxHTTPError("invalid_request", message)


# Dated API versions Anthropic has released. The real API accepts any released date, and
# SDKs move to new ones as they appear (anthropic 2.x sends 2026-10-21), so a well-formed
# date after the first release is accepted too and served with the latest behaviour.
KNOWN_VERSIONS = ("2023-01-01", "2023-06-01", "2026-10-21")
FIRST_VERSION = KNOWN_VERSIONS[0]
LATEST_VERSION = KNOWN_VERSIONS[-1]
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def check_version(value: str | None) -> str:
    """The version a request asked for, or a 400 when it is missing or not a version.

    Callers check the key first: the real API answers a bad key with 401 whatever
    the version header says.
    """
    if not value:
        raise bad_request("anthropic-version: header is required")
    version = value.strip()
    try:
        valid = bool(_DATE.fullmatch(version)) and dt.date.fromisoformat(version) >= \
            dt.date.fromisoformat(FIRST_VERSION)
    except ValueError:
        valid = False
    if not valid:
        raise bad_request(f"anthropic-version: invalid version {version[:40]!r}. Send a dated "
                          f"API version such as {LATEST_VERSION}.")
    return version


def _ttl(block: Any) -> str | None:
    """The cache TTL a block asks for ("5m"/"1h"), or None without ``cache_control``."""
    if not isinstance(block, dict):
        return None
    control = block.get("cache_control")
    if control is None:
        return None
    if not isinstance(control, dict) or control.get("type") != "ephemeral":
        raise bad_request("cache_control: Input should be {'type': 'ephemeral'} with an optional "
                   "'ttl' of '5m' or '1h'.")
    ttl = control.get("ttl", "5m")
    if ttl not in ("5m", "1h"):
        raise bad_request("cache_control.ttl: Input should be '5m' or '1h'.")
    return str(ttl)


def block_text(block: Any) -> str:
    """The text a content block contributes to the prompt."""
    if isinstance(block, str):
        return block
    if not isinstance(block, dict):
        return ""
    kind = block.get("type")
    if kind == "text":
        return str(block.get("text", ""))
    if kind == "tool_use":
        return str(block.get("name", "")) + json.dumps(block.get("input", {}))
    if kind == "tool_result":
        content = block.get("content", "")
        if isinstance(content, list):
            return "".join(block_text(b) for b in content)
        return str(content)
    return ""


def _content_blocks(content: Any, where: str) -> list[Any]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if not isinstance(content, list):
        raise bad_request(f"{where}: Input should be a valid string or list of content blocks.")
    if not content:
        raise bad_request(f"{where}: List should have at least 1 item after validation, not 0")
    for j, block in enumerate(content):
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise bad_request(f"{where}.{j}: Input should be a valid content block object with a "
                       "'type'.")
        kind = block["type"]
        if kind == "text" and not isinstance(block.get("text"), str):
            raise bad_request(f"{where}.{j}.text: Field required")
        if kind == "tool_use" and not (isinstance(block.get("id"), str)
                                       and isinstance(block.get("name"), str)):
            raise bad_request(f"{where}.{j}: tool_use blocks need 'id', 'name' and 'input'.")
        if kind == "tool_result" and not isinstance(block.get("tool_use_id"), str):
            raise bad_request(f"{where}.{j}.tool_use_id: Field required")
    return content


def parse_messages_request(payload: Any) -> dict[str, Any]:
    """Validate a Messages body; returns a normalised dict or raises 400 like Anthropic does."""
    if not isinstance(payload, dict):
        raise bad_request("Input should be a valid JSON object.")
    unknown = sorted(set(payload) - KNOWN_FIELDS)
    if unknown:
        raise bad_request(f"{unknown[0]}: Extra inputs are not permitted")
    model = payload.get("model")
    if model is None:
        raise bad_request("model: Field required")
    if not isinstance(model, str):
        raise bad_request("model: Input should be a valid string")
    if "max_tokens" not in payload:
        raise bad_request("max_tokens: Field required")
    max_tokens = payload["max_tokens"]
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int):
        raise bad_request("max_tokens: Input should be a valid integer")
    if max_tokens < 1:
        raise bad_request("max_tokens: Input should be greater than or equal to 1")
    messages = payload.get("messages")
    if messages is None:
        raise bad_request("messages: Field required")
    if not isinstance(messages, list):
        raise bad_request("messages: Input should be a valid list")
    if not messages:
        raise bad_request("messages: List should have at least 1 item after validation, not 0")
    blocks: list[list[Any]] = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise bad_request(f"messages.{i}: Input should be a valid dictionary")
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise bad_request(f"messages.{i}.role: Input should be 'user' or 'assistant'")
        if "content" not in message:
            raise bad_request(f"messages.{i}.content: Field required")
        blocks.append(_content_blocks(message["content"], f"messages.{i}.content"))
    system = payload.get("system")
    system_blocks: list[Any] = []
    if system is not None:
        if isinstance(system, str):
            system_blocks = [{"type": "text", "text": system}] if system else []
        elif isinstance(system, list):
            for j, block in enumerate(system):
                if not isinstance(block, dict) or block.get("type") != "text" or not isinstance(
                        block.get("text"), str):
                    raise bad_request(f"system.{j}: Input should be a text block.")
            system_blocks = system
        else:
            raise bad_request("system: Input should be a valid string or list of text blocks")
    tools = payload.get("tools") or []
    if not isinstance(tools, list):
        raise bad_request("tools: Input should be a valid list")
    norm_tools = []
    for j, tool in enumerate(tools):
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
            raise bad_request(f"tools.{j}.name: Field required")
        if "type" in tool and tool["type"] not in (None, "custom"):
            continue  # server tools (web search ...) are accepted and never called here
        schema = tool.get("input_schema")
        if not isinstance(schema, dict):
            raise bad_request(f"tools.{j}.input_schema: Field required")
        norm_tools.append({"name": tool["name"], "description": tool.get("description", ""),
                           "parameters": schema, "raw": tool})
    choice = payload.get("tool_choice")
    mode = "auto"
    if choice is not None:
        if not isinstance(choice, dict) or choice.get("type") not in ("auto", "any", "tool",
                                                                       "none"):
            raise bad_request("tool_choice: Input tag must be one of 'auto', 'any', 'tool', 'none'")
        if choice["type"] == "tool":
            name = choice.get("name")
            if name not in {t["name"] for t in norm_tools}:
                raise bad_request(f"tool_choice.name: tool {str(name)[:60]!r} is not in 'tools'.")
            mode = str(name)
        else:
            mode = {"auto": "auto", "any": "required", "none": "none"}[choice["type"]]
    stops = payload.get("stop_sequences") or []
    if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops):
        raise bad_request("stop_sequences: Input should be a valid list of strings")
    for name, hi in (("temperature", 1.0), ("top_p", 1.0)):
        value = payload.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                  or not 0 <= value <= hi):
            raise bad_request(f"{name}: Input should be a number between 0 and {hi:g}")
    top_k = payload.get("top_k")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int)
                              or top_k < 0):
        raise bad_request("top_k: Input should be a non-negative integer")
    stream = payload.get("stream", False)
    if not isinstance(stream, bool):
        raise bad_request("stream: Input should be a valid boolean")
    metadata = payload.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise bad_request("metadata: Input should be a valid dictionary")
    # Cache breakpoints, in prompt order: tools -> system -> messages.
    ordered: list[tuple[Any, str | None]] = [(t["raw"], _ttl(t["raw"])) for t in norm_tools]
    ordered += [(b, _ttl(b)) for b in system_blocks]
    ordered += [(b, _ttl(b)) for bl in blocks for b in bl]
    if payload.get("cache_control") is not None and ordered:
        last_block, last_ttl = ordered[-1]
        ordered[-1] = (last_block, last_ttl or _ttl({"cache_control": payload["cache_control"]}))
    marks = sum(1 for _, ttl in ordered if ttl)
    if marks > MAX_BREAKPOINTS:
        raise bad_request(f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be "
                   f"provided. Found {marks}.")
    return {
        "model": model, "max_tokens": max_tokens, "messages": messages, "blocks": blocks,
        "system_blocks": system_blocks, "tools": norm_tools, "mode": mode, "stops": stops,
        "stream": stream, "ordered": ordered, "temperature": payload.get("temperature"),
        "seed": (metadata or {}).get("user_id"),
        "thinking": _thinking_budget(payload.get("thinking"), max_tokens),
        "json_schema": _output_schema(payload.get("output_config")),
    }


def _thinking_budget(value: Any, max_tokens: int) -> int | None:
    """Tokens a request lets the model think for (None: no thinking), with Anthropic's 400s."""
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("type") not in ("enabled", "disabled",
                                                                 "adaptive"):
        raise bad_request("thinking: Input tag must be one of 'enabled', 'disabled', "
                          "'adaptive'")
    if value["type"] == "disabled":
        return None
    if value["type"] == "adaptive":  # the model decides: think within half the output cap
        return max(1, max_tokens // 2)
    budget = value.get("budget_tokens")
    if isinstance(budget, bool) or not isinstance(budget, int):
        raise bad_request("thinking.enabled.budget_tokens: Field required")
    if budget < MIN_BUDGET:
        raise bad_request(f"thinking.enabled.budget_tokens: Input should be greater than or "
                          f"equal to {MIN_BUDGET}")
    if budget >= max_tokens:
        raise bad_request("`max_tokens` must be greater than `thinking.budget_tokens`. Please "
                          "consult our documentation at https://docs.claude.com/en/docs/"
                          "build-with-claude/extended-thinking#max-tokens-and-context-window-"
                          "size")
    return budget


def _output_schema(value: Any) -> dict[str, Any] | None:
    """``output_config.format`` (structured outputs): the JSON schema the reply follows."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request("output_config: Input should be a valid dictionary")
    fmt = value.get("format")
    if fmt is None:
        return None
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema" or \
            not isinstance(fmt.get("schema"), dict):
        raise bad_request("output_config.format: expected {'type': 'json_schema', 'schema': "
                          "{...}}")
    return dict(fmt["schema"])
