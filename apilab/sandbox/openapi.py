"""Request-body schemas for the sandbox's OpenAPI document.

The handlers validate bodies themselves (to answer in each provider's own
error shape), so FastAPI never sees these schemas at run time; they only
describe the endpoints for ``/openapi.json`` (docs, schemathesis, clients).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ANTHROPIC_MESSAGES",
    "OPENAI_CHAT",
    "OPENAI_COMPLETIONS",
    "OPENAI_EMBEDDINGS",
    "OPENAI_RESPONSES",
    "body",
    "error_responses",
]

_TEXT_PART = {"type": "object", "required": ["type", "text"],
              "properties": {"type": {"const": "text"}, "text": {"type": "string"}}}

_OPENAI_MESSAGE = {
    "type": "object",
    "required": ["role", "content"],
    "properties": {
        "role": {"enum": ["developer", "system", "user", "assistant", "tool"]},
        "content": {"oneOf": [{"type": "string"}, {"type": "array", "items": _TEXT_PART}]},
        "name": {"type": "string"},
        "tool_call_id": {"type": "string"},
    },
}

_SCHEMA_OBJ = {"type": "object"}

OPENAI_CHAT: dict[str, Any] = {
    "type": "object",
    "required": ["model", "messages"],
    "properties": {
        "model": {"type": "string", "example": "gpt-4o-mini"},
        "messages": {"type": "array", "minItems": 1, "items": _OPENAI_MESSAGE},
        "max_tokens": {"type": ["integer", "null"], "minimum": 1},
        "max_completion_tokens": {"type": ["integer", "null"], "minimum": 1},
        "n": {"type": "integer", "minimum": 1, "maximum": 128},
        "temperature": {"type": "number", "minimum": 0, "maximum": 2},
        "top_p": {"type": "number", "minimum": 0, "maximum": 1},
        "seed": {"type": "integer"},
        "stop": {"oneOf": [{"type": "string"},
                           {"type": "array", "items": {"type": "string"}, "maxItems": 4}]},
        "stream": {"type": "boolean"},
        "stream_options": {"type": "object",
                           "properties": {"include_usage": {"type": "boolean"}}},
        "response_format": {"type": "object", "required": ["type"], "properties": {
            "type": {"enum": ["text", "json_object", "json_schema"]},
            "json_schema": {"type": "object", "properties": {
                "name": {"type": "string"}, "schema": _SCHEMA_OBJ,
                "strict": {"type": "boolean"}}}}},
        "tools": {"type": "array", "items": {"type": "object", "required": ["type", "function"],
                  "properties": {"type": {"const": "function"}, "function": {
                      "type": "object", "required": ["name"], "properties": {
                          "name": {"type": "string"}, "description": {"type": "string"},
                          "parameters": _SCHEMA_OBJ, "strict": {"type": "boolean"}}}}}},
        "tool_choice": {"oneOf": [{"enum": ["none", "auto", "required"]}, {"type": "object"}]},
        "user": {"type": "string"},
        "prompt_cache_key": {"type": "string"},
        "prompt_cache_retention": {"enum": ["in_memory", "24h"]},
    },
}

_INPUT_ITEM = {"type": "object", "properties": {
    "type": {"enum": ["message", "function_call", "function_call_output"]},
    "role": {"enum": ["user", "assistant", "system", "developer"]},
    "content": {"oneOf": [{"type": "string"}, {"type": "array", "items": {
        "type": "object", "required": ["type", "text"], "properties": {
            "type": {"enum": ["input_text", "output_text"]}, "text": {"type": "string"}}}}]},
    "call_id": {"type": "string"}, "name": {"type": "string"},
    "arguments": {"type": "string"}, "output": {"type": "string"}}}

OPENAI_RESPONSES: dict[str, Any] = {
    "type": "object",
    "required": ["model", "input"],
    "properties": {
        "model": {"type": "string", "example": "gpt-4o-mini"},
        "input": {"oneOf": [{"type": "string"}, {"type": "array", "items": _INPUT_ITEM}]},
        "instructions": {"type": "string"},
        "previous_response_id": {"type": "string"},
        "store": {"type": "boolean"},
        "stream": {"type": "boolean"},
        "max_output_tokens": {"type": "integer", "minimum": 16},
        "temperature": {"type": "number", "minimum": 0, "maximum": 2},
        "text": {"type": "object", "properties": {"format": {"type": "object", "properties": {
            "type": {"enum": ["text", "json_object", "json_schema"]},
            "name": {"type": "string"}, "schema": _SCHEMA_OBJ,
            "strict": {"type": "boolean"}}}}},
        "tools": {"type": "array", "items": {"type": "object", "required": ["type", "name"],
                  "properties": {"type": {"const": "function"}, "name": {"type": "string"},
                                 "parameters": _SCHEMA_OBJ}}},
        "tool_choice": {"oneOf": [{"enum": ["none", "auto", "required"]}, {"type": "object"}]},
        "reasoning": {"type": "object", "properties": {
            "effort": {"enum": ["none", "minimal", "low", "medium", "high", "xhigh"]}}},
    },
}

OPENAI_EMBEDDINGS: dict[str, Any] = {
    "type": "object",
    "required": ["model", "input"],
    "properties": {
        "model": {"type": "string", "example": "text-embedding-3-small"},
        "input": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"},
                                                  "minItems": 1}]},
        "dimensions": {"type": "integer", "minimum": 1},
        "encoding_format": {"enum": ["float", "base64"]},
        "user": {"type": "string"},
    },
}

OPENAI_COMPLETIONS: dict[str, Any] = {
    "type": "object",
    "required": ["model", "prompt"],
    "properties": {
        "model": {"type": "string", "example": "gpt-3.5-turbo-instruct"},
        "prompt": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"},
                                                   "minItems": 1}]},
        "max_tokens": {"type": "integer", "minimum": 0},
        "temperature": {"type": "number", "minimum": 0, "maximum": 2},
        "n": {"type": "integer", "minimum": 1, "maximum": 128},
        "stream": {"type": "boolean"},
        "stop": {"oneOf": [{"type": "string"},
                           {"type": "array", "items": {"type": "string"}, "maxItems": 4}]},
        "logprobs": {"type": "integer", "minimum": 0, "maximum": 5},
        "echo": {"type": "boolean"},
        "suffix": {"type": "string"},
    },
}

_BLOCK = {"type": "object", "required": ["type"], "properties": {
    "type": {"enum": ["text", "tool_use", "tool_result"]}, "text": {"type": "string"},
    "cache_control": {"type": "object"}}}

ANTHROPIC_MESSAGES: dict[str, Any] = {
    "type": "object",
    "required": ["model", "max_tokens", "messages"],
    "properties": {
        "model": {"type": "string", "example": "claude-haiku-4-5"},
        "max_tokens": {"type": "integer", "minimum": 1},
        "messages": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["role", "content"], "properties": {
                "role": {"enum": ["user", "assistant"]},
                "content": {"oneOf": [{"type": "string"},
                                      {"type": "array", "items": _BLOCK}]}}}},
        "system": {"oneOf": [{"type": "string"}, {"type": "array", "items": _TEXT_PART}]},
        "stream": {"type": "boolean"},
        "temperature": {"type": "number", "minimum": 0, "maximum": 1},
        "top_p": {"type": "number", "minimum": 0, "maximum": 1},
        "top_k": {"type": "integer", "minimum": 0},
        "stop_sequences": {"type": "array", "items": {"type": "string"}},
        "tools": {"type": "array", "items": {"type": "object", "required": ["name",
                  "input_schema"], "properties": {"name": {"type": "string"},
                  "description": {"type": "string"}, "input_schema": _SCHEMA_OBJ}}},
        "tool_choice": {"type": "object", "required": ["type"], "properties": {
            "type": {"enum": ["auto", "any", "tool", "none"]}, "name": {"type": "string"}}},
        "metadata": {"type": "object"},
    },
}


def body(schema: dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra`` declaring a JSON request body."""
    return {"requestBody": {"required": True,
                            "content": {"application/json": {"schema": schema}}}}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Response entries for the error statuses an endpoint may return."""
    return {code: {"description": "Error in the provider's own shape."} for code in codes}
