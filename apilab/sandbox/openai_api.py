"""The OpenAI-compatible front door: ``POST /v1/chat/completions``, ``GET /v1/models(/{id})``.

Validates requests the way the real API does (its 400 messages, ``param`` and
``code``), then produces the reply through ``service`` (limits, chaos, billing)
and ``generator`` (content). Wire shapes follow
shared/reference/provider-wire-formats.md §1: every chunk of a stream has the
same ``id``/``created``; with ``stream_options.include_usage`` every chunk
carries ``"usage": null`` and one last chunk with ``choices: []`` carries the
usage, then ``data: [DONE]``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from apilab.errors import ApilabError
from apilab.sandbox import catalogue
from apilab.sandbox.errors import SandboxHTTPError, error_response
from apilab.sandbox.generator import Output, generate, pick_tool, rng_for
from apilab.sandbox.service import Call, Service, random_id
from apilab.sandbox.sse import DONE, JSONBytes, dumps, openai_frame
from apilab.sandbox.streaming import DISCONNECT, Pacer, SSEResponse

__all__ = ["ChatRequest", "OpenAIFrontDoor", "parse_chat_request"]

log = logging.getLogger(__name__)

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
_REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")


def _bad(message: str, param: str | None = None, code: str | None = None) -> SandboxHTTPError:
    return SandboxHTTPError("invalid_request", message, param=param, code=code)


def _type_error(value: Any, expected: str, param: str) -> SandboxHTTPError:
    return _bad(f"Invalid type for '{param}': expected {expected}, but got "
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


def _int(payload: dict[str, Any], name: str, lo: int, hi: int | None = None) -> int | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _type_error(value, "an integer", name)
    if value < lo or (hi is not None and value > hi):
        limit = f"at least {lo}" if hi is None else f"between {lo} and {hi}"
        raise _bad(f"Invalid '{name}': integer {value} must be {limit}.", name,
                   "integer_below_min_value" if value < lo else "integer_above_max_value")
    return value


def _number(payload: dict[str, Any], name: str, lo: float, hi: float) -> float | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _type_error(value, "a number", name)
    if not lo <= value <= hi:
        raise _bad(f"Invalid '{name}': {value} is not between {lo} and {hi}.", name,
                   "decimal_above_max_value" if value > hi else "decimal_below_min_value")
    return float(value)


def _check_messages(messages: Any) -> list[dict[str, Any]]:
    if messages is None:
        raise _bad("Missing required parameter: 'messages'.", "messages",
                   "missing_required_parameter")
    if not isinstance(messages, list):
        raise _type_error(messages, "an array", "messages")
    if not messages:
        raise _bad("Invalid 'messages': empty array. Expected an array with minimum length 1, "
                   "but got an empty array instead.", "messages", "empty_array")
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise _type_error(message, "an object", where)
        role = message.get("role")
        if role is None:
            raise _bad(f"Missing required parameter: '{where}.role'.", f"{where}.role",
                       "missing_required_parameter")
        if role not in ROLES:
            raise _bad(f"Invalid value: '{str(role)[:40]}'. Supported values are: 'system', "
                       "'assistant', 'user', 'function', 'tool', and 'developer'.",
                       f"{where}.role", "invalid_value")
        content = message.get("content")
        if content is None and role in ("user", "system", "developer", "tool"):
            raise _bad(f"Missing required parameter: '{where}.content'.", f"{where}.content",
                       "missing_required_parameter")
        if content is not None and not isinstance(content, str | list):
            raise _type_error(content, "one of a string or array of objects",
                              f"{where}.content")
        if isinstance(content, list):
            for j, part in enumerate(content):
                if not isinstance(part, dict) or not isinstance(part.get("type"), str):
                    raise _bad(f"Invalid '{where}.content[{j}]': expected an object with a "
                               "'type'.", f"{where}.content[{j}]", "invalid_type")
                if part["type"] == "text" and not isinstance(part.get("text"), str):
                    raise _bad(f"Missing required parameter: '{where}.content[{j}].text'.",
                               f"{where}.content[{j}].text", "missing_required_parameter")
        if role == "tool" and not isinstance(message.get("tool_call_id"), str):
            raise _bad(f"Missing required parameter: '{where}.tool_call_id'.",
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
            raise _bad("Missing required parameter: 'response_format.json_schema'.",
                       "response_format.json_schema", "missing_required_parameter")
        name = spec.get("name")
        if not isinstance(name, str) or not name:
            raise _bad("Missing required parameter: 'response_format.json_schema.name'.",
                       "response_format.json_schema.name", "missing_required_parameter")
        schema = spec.get("schema", {"type": "object"})
        if not isinstance(schema, dict):
            raise _type_error(schema, "an object", "response_format.json_schema.schema")
        if spec.get("strict"):
            problem = _strict_problem(schema)
            if problem:
                raise _bad(f"Invalid schema for response_format '{name}': {problem}",
                           "response_format", "invalid_json_schema")
        return True, schema
    raise _bad(f"Invalid value: '{str(kind)[:40]}'. Supported values are: 'text', "
               "'json_object', and 'json_schema'.", "response_format.type", "invalid_value")


def _tools(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _type_error(value, "an array", "tools")
    tools = []
    for i, tool in enumerate(value):
        if not isinstance(tool, dict) or tool.get("type", "function") != "function":
            raise _bad(f"Invalid 'tools[{i}]': expected an object with type 'function'.",
                       f"tools[{i}]", "invalid_value")
        fn = tool.get("function")
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"]:
            raise _bad(f"Missing required parameter: 'tools[{i}].function.name'.",
                       f"tools[{i}].function.name", "missing_required_parameter")
        params = fn.get("parameters", {"type": "object", "properties": {}})
        if not isinstance(params, dict):
            raise _type_error(params, "an object", f"tools[{i}].function.parameters")
        if fn.get("strict"):
            problem = _strict_problem(params)
            if problem:
                raise _bad(f"Invalid schema for function '{fn['name']}': {problem}",
                           f"tools[{i}].function.parameters", "invalid_function_parameters")
        tools.append({"name": fn["name"], "description": fn.get("description", ""),
                      "parameters": params})
    return tools


def parse_chat_request(payload: Any) -> ChatRequest:
    """Validate a chat-completions body; raises ``SandboxHTTPError`` (400) like OpenAI does."""
    if not isinstance(payload, dict):
        raise _bad("Invalid request body: expected a JSON object.", None, "invalid_type")
    unknown = sorted(set(payload) - KNOWN_FIELDS)
    if unknown:
        raise _bad(f"Unrecognized request argument supplied: {unknown[0]}", unknown[0],
                   "unknown_parameter")
    model = payload.get("model")
    if model is None:
        raise _bad("you must provide a model parameter", "model", "missing_required_parameter")
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
            raise _bad("The 'stream_options' parameter is only allowed when 'stream' is "
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
                raise _bad(f"Invalid value: '{choice[:40]}'. Supported values are: 'none', "
                           "'auto', and 'required'.", "tool_choice", "invalid_value")
        elif isinstance(choice, dict):
            fn = choice.get("function")
            name = fn.get("name") if isinstance(fn, dict) else None
            if not isinstance(name, str) or name not in {t["name"] for t in tools}:
                raise _bad(f"Invalid value for 'tool_choice': no function named "
                           f"{str(name)[:60]!r} was specified in the 'tools' parameter.",
                           "tool_choice", "invalid_value")
        else:
            raise _type_error(choice, "a string or an object", "tool_choice")
        if not tools and choice != "none":
            raise _bad("Invalid value for 'tool_choice': 'tool_choice' is only allowed when "
                       "'tools' are specified.", "tool_choice", "invalid_value")
    retention = payload.get("prompt_cache_retention")
    if retention is not None and retention not in ("in_memory", "24h"):
        raise _bad("Invalid value for 'prompt_cache_retention': expected 'in_memory' or '24h'.",
                   "prompt_cache_retention", "invalid_value")
    return ChatRequest(
        model=model, messages=messages, max_tokens=modern if modern is not None else legacy,
        used_legacy_max_tokens=legacy is not None, n=n, seed=seed, temperature=temperature,
        stop=stops, stream=bool(stream), include_usage=include_usage, json_mode=json_mode,
        json_schema=schema, tools=tools, tool_choice=choice, cache_retention=retention,
    )


def message_text(content: Any) -> str:
    """The text of a message ``content`` (string or list of text parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content
                       if isinstance(p, dict) and p.get("type") in ("text", "input_text"))
    return ""


def apply_stop(output: Output, stops: list[str]) -> Output:
    """Cut text output before the first stop sequence (finish ``stop``)."""
    if not stops or output.tool_calls or not output.pieces:
        return output
    text = ""
    for i, piece in enumerate(output.pieces):
        text += piece
        hit = next((s for s in stops if s in text), None)
        if hit is not None:
            kept = output.pieces[:i]
            per = output.piece_tokens[:i]
            return Output(kept, [], sum(per), "stop", per, hit)
    return output


def bearer(request: Request) -> str | None:
    """The key from ``Authorization: Bearer``, else from ``api-key``/``x-api-key``."""
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    return request.headers.get("api-key") or request.headers.get("x-api-key") or None


class OpenAIFrontDoor:
    """Request handlers for the OpenAI wire format over one ``Service``."""

    def __init__(self, service: Service) -> None:
        self.service = service

    # --- models
    async def list_models(self, request: Request) -> Response:
        svc = self.service
        call = svc.begin(request, "openai")
        try:
            svc.authenticate(call, bearer(request))
        except SandboxHTTPError as exc:
            return error_response(exc, "openai", call.request_id, svc.headers(call))
        seen: list[dict[str, Any]] = [info.openai_object(name)
                                      for name, info in catalogue.list_catalogue()]
        return Response(dumps({"object": "list", "data": seen}), media_type="application/json",
                        headers=svc.headers(call))

    async def get_model(self, request: Request) -> Response:
        svc = self.service
        call = svc.begin(request, "openai")
        name = request.path_params["model_id"]
        try:
            svc.authenticate(call, bearer(request))
            info = svc.resolve_model(call, name)
        except SandboxHTTPError as exc:
            return error_response(exc, "openai", call.request_id, svc.headers(call))
        return Response(dumps(info.openai_object(name)), media_type="application/json",
                        headers=svc.headers(call))

    # --- chat
    async def chat_completions(self, request: Request) -> Response:
        svc = self.service
        call = svc.begin(request, "openai")
        try:
            return await self._chat(request, call)
        except SandboxHTTPError as exc:
            svc.finish(call, exc.status("openai"), error_type=exc.error_type("openai"),
                       note=exc.message[:200])
            return error_response(exc, "openai", call.request_id, svc.headers(call))
        except Exception:  # noqa: BLE001 - never a stack trace on the wire
            log.exception("Sandbox chat completion failed (request %s).", call.request_id)
            exc = SandboxHTTPError("server", "The server had an error while processing your "
                                   "request. Sorry about that!")
            svc.finish(call, 500, error_type="server_error", note="unhandled error")
            return error_response(exc, "openai", call.request_id, svc.headers(call))

    async def _chat(self, request: Request, call: Call) -> Response:
        svc = self.service
        body = await svc.read_body(request)
        svc.authenticate(call, bearer(request))
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _bad("We could not parse the JSON body of your request. (HINT: This likely "
                       "means you aren't using your HTTP library correctly. The OpenAI API "
                       "expects a JSON payload, but what was sent was not valid JSON.)") from exc
        req = parse_chat_request(payload)
        call.stream = req.stream
        info = svc.resolve_model(call, req.model)
        if req.used_legacy_max_tokens and info.id.startswith(_REASONING_PREFIXES):
            raise _bad("Unsupported parameter: 'max_tokens' is not supported with this model. "
                       "Use 'max_completion_tokens' instead.", "max_tokens",
                       "unsupported_parameter")
        svc.check_spend(call)
        try:
            prompt_tokens = catalogue.count_prompt(info, req.messages, _wire_tools(req.tools)
                                                   or None)
        except ApilabError as exc:
            raise _bad(str(exc), "messages") from exc
        wanted = prompt_tokens + (req.max_tokens or 0)
        if wanted > info.context_window:
            raise _bad(f"This model's maximum context length is {info.context_window} tokens. "
                       f"However, you requested {wanted} tokens ({prompt_tokens} in the "
                       f"messages, {req.max_tokens or 0} in the completion). Please reduce the "
                       "length of the messages or completion.", "messages",
                       "context_length_exceeded")
        svc.admit(call, prompt_tokens, None if req.max_tokens is None else req.max_tokens * req.n)
        decision = svc.chaos(call)
        if decision.hang_s:
            await asyncio.sleep(decision.hang_s)
        if decision.latency_s:
            await asyncio.sleep(decision.latency_s)
        fault = svc.chaos_error(decision)
        if fault is not None:
            raise fault
        scope = call.key.id if call.key else "-"
        cached = svc.state.cache.openai(
            scope, info.id, req.messages, _wire_tools(req.tools) or None, prompt_tokens,
            lambda prefix: catalogue.count_prompt(info, prefix), req.cache_retention,
        )
        outputs = self._generate(req, info)
        created = int(time.time())
        completion_id = random_id("chatcmpl-", 29)
        if req.stream:
            stream = self._stream(call, req, info, outputs, completion_id, created,
                                  prompt_tokens, cached)
            return SSEResponse(stream, headers=svc.headers(call))
        completion_tokens = sum(o.completion_tokens for o in outputs)
        svc.finish(call, 200, input_tokens=prompt_tokens, output_tokens=completion_tokens,
                   cached_tokens=cached)
        body_out = {
            "id": completion_id, "object": "chat.completion", "created": created,
            "model": info.id,
            "choices": [self._choice(i, o) for i, o in enumerate(outputs)],
            "usage": _usage(prompt_tokens, completion_tokens, cached),
            "service_tier": "default", "system_fingerprint": "fp_apilab_sbx",
        }
        return JSONBytes(dumps(body_out), headers=svc.headers(call))

    def _generate(self, req: ChatRequest, info: catalogue.ModelInfo) -> list[Output]:
        counter = catalogue.text_counter(info)
        last_user = next((m for m in reversed(req.messages) if m.get("role") == "user"), None)
        last_text = message_text(last_user.get("content")) if last_user else ""
        after_tool = req.messages[-1].get("role") in ("tool", "function")
        outputs = []
        for i in range(req.n):
            rng = rng_for("openai", info.id, req.messages, req.tools, req.json_schema,
                          req.json_mode, req.seed, req.temperature, req.max_tokens, i)
            choice = req.tool_choice
            mode = ("none" if choice == "none" else "required" if choice == "required"
                    else choice["function"]["name"] if isinstance(choice, dict) else "auto")
            tool = pick_tool(req.tools, mode, last_text, after_tool) if req.tools else None
            default = 20 + rng.randrange(60)
            output = generate(
                rng=rng, counter=counter, max_tokens=req.max_tokens, default_tokens=default,
                echo_text=(last_text or "(empty message)") if info.id == catalogue.ECHO_MODEL
                else None,
                json_schema=req.json_schema, json_mode=req.json_mode, tool=tool,
                tool_id=random_id("call_", 24),
            )
            outputs.append(apply_stop(output, req.stop))
        return outputs

    @staticmethod
    def _choice(index: int, output: Output) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None,
                                   "annotations": []}
        if output.tool_calls:
            message["tool_calls"] = [
                {"id": c.id, "type": "function",
                 "function": {"name": c.name, "arguments": c.arguments}}
                for c in output.tool_calls
            ]
        else:
            message["content"] = output.text
        return {"index": index, "message": message, "logprobs": None,
                "finish_reason": output.finish}

    async def _stream(
        self, call: Call, req: ChatRequest, info: catalogue.ModelInfo, outputs: list[Output],
        completion_id: str, created: int, prompt_tokens: int, cached: int,
    ) -> AsyncIterator[bytes]:
        decision = call.chaos
        total_pieces = sum(len(o.pieces) + sum(len(c.pieces) for c in o.tool_calls)
                           for o in outputs)
        pacer = Pacer(decision, total_pieces)
        usage_null = {"usage": None} if req.include_usage else {}
        base = {"id": completion_id, "object": "chat.completion.chunk", "created": created,
                "model": info.id, "service_tier": "default",
                "system_fingerprint": "fp_apilab_sbx"}
        sent = [0] * len(outputs)  # pieces delivered per choice
        status, note = 200, None

        def chunk(index: int, delta: dict[str, Any], finish: str | None = None) -> bytes:
            return openai_frame({**base, "choices": [
                {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}],
                **usage_null})

        # Content deltas are most of a stream: render the fixed parts of that frame once
        # (byte-for-byte what ``chunk(i, {"content": piece})`` gives).
        head = "data: " + dumps(base)[:-1] + ',"choices":[{"index":'
        tail = ('},"logprobs":null,"finish_reason":null}]'
                + (',"usage":null' if req.include_usage else "") + "}\n\n")

        try:
            count = 0
            await pacer.first_token()
            for i, output in enumerate(outputs):
                if output.tool_calls:
                    calls = output.tool_calls
                    yield chunk(i, {"role": "assistant", "content": None, "tool_calls": [
                        {"index": k, "id": c.id, "type": "function",
                         "function": {"name": c.name, "arguments": ""}}
                        for k, c in enumerate(calls)], "refusal": None})
                    parts = [(k, p) for k, c in enumerate(calls) for p in c.pieces]
                else:
                    yield chunk(i, {"role": "assistant", "content": "", "refusal": None})
                    parts = [(-1, p) for p in output.pieces]
                content_head = head + str(i) + ',"delta":{"content":'

                for k, piece in parts:
                    if pacer.disconnect_after is not None and count >= pacer.disconnect_after:
                        status, note = 200, "chaos: disconnected mid-stream"
                        self._bill(call, outputs, sent, prompt_tokens, cached, status, note)
                        yield DISCONNECT
                        return
                    if pacer.error_after is not None and count >= pacer.error_after:
                        # OpenAI's mid-stream error: a data frame with an "error" key, then
                        # the stream ends without [DONE]. The SDK raises APIError, no retry.
                        status, note = 200, "chaos: error event mid-stream"
                        yield openai_frame({"error": {
                            "message": "The server had an error while processing your "
                            "request. (injected mid-stream by the sandbox chaos profile)",
                            "type": "server_error", "param": None, "code": None}})
                        self._bill(call, outputs, sent, prompt_tokens, cached, status, note)
                        return
                    if pacer.malformed_after is not None and count == pacer.malformed_after:
                        yield b'data: {"id":"' + completion_id.encode() + b'","obj\n\n'
                    if k >= 0:
                        yield chunk(i, {"tool_calls": [
                            {"index": k, "function": {"arguments": piece}}]})
                    else:
                        yield (content_head + dumps(piece) + tail).encode("utf-8")
                    sent[i] += 1
                    count += 1
                    await pacer.between(count)
                yield chunk(i, {}, output.finish)
            completion_tokens = sum(o.completion_tokens for o in outputs)
            if req.include_usage:
                yield openai_frame({**base, "choices": [],
                                    "usage": _usage(prompt_tokens, completion_tokens, cached)})
            yield DONE
            sent = [len(o.pieces) + sum(len(c.pieces) for c in o.tool_calls) for o in outputs]
            note = None
        except asyncio.CancelledError:
            note = "client disconnected mid-stream"
            raise
        finally:
            self._bill(call, outputs, sent, prompt_tokens, cached, status, note)

    def _bill(self, call: Call, outputs: list[Output], sent: list[int], prompt_tokens: int,
              cached: int, status: int, note: str | None) -> None:
        complete = all(s >= len(o.pieces) + sum(len(c.pieces) for c in o.tool_calls)
                       for s, o in zip(sent, outputs, strict=True))
        if complete:
            out_tokens = sum(o.completion_tokens for o in outputs)
        else:
            out_tokens = sum(o.tokens_in_first(s) for s, o in zip(sent, outputs, strict=True))
            note = note or "stream ended early"
        self.service.finish(call, status, input_tokens=prompt_tokens, output_tokens=out_tokens,
                            cached_tokens=cached, note=note)


def _wire_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"type": "function", "function": {"name": t["name"],
             "description": t.get("description", ""), "parameters": t["parameters"]}}
            for t in tools]


def _usage(prompt: int, completion: int, cached: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt, "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                      "accepted_prediction_tokens": 0,
                                      "rejected_prediction_tokens": 0},
    }
