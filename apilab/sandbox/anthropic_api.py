"""The Anthropic-compatible front door: ``POST /v1/messages`` (and models in Anthropic shape).

Checks ``x-api-key`` (or ``Authorization: Bearer``) and ``anthropic-version``,
requires ``max_tokens``, and answers in Anthropic's shapes (reference §2):
``content`` blocks, ``stop_reason`` ``end_turn``/``max_tokens``/``tool_use``/
``stop_sequence``, and usage with the cache fields. Streams name every event
(``event:`` equals ``data.type``), send ``ping`` after the first block start,
put input usage in ``message_start`` (``stop_reason`` null there) and
cumulative usage in ``message_delta``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from apilab.errors import ApilabError
from apilab.sandbox import catalogue
from apilab.sandbox.caching import MAX_BREAKPOINTS, AnthropicCacheResult
from apilab.sandbox.errors import SandboxHTTPError, error_response, is_store_outage, store_outage
from apilab.sandbox.generator import Output, apply_stop, generate, pick_tool, rng_for
from apilab.sandbox.service import Call, Service, random_id
from apilab.sandbox.sse import JSONBytes, anthropic_frame, dumps
from apilab.sandbox.streaming import DISCONNECT, Pacer, SSEResponse

__all__ = ["AnthropicFrontDoor", "parse_messages_request"]

log = logging.getLogger(__name__)

VERSIONS = {"2023-06-01", "2023-01-01"}
KNOWN_FIELDS = {
    "model", "max_tokens", "messages", "system", "stream", "stop_sequences", "temperature",
    "top_p", "top_k", "tools", "tool_choice", "metadata", "thinking", "service_tier",
    "cache_control", "container", "mcp_servers", "context_management",
}
_STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}
# == anthropic_frame({"type": "content_block_delta", "index": 0, "delta": {"type":
#    "text_delta", "text": piece}}) up to the text value.
_TEXT_DELTA_HEAD = ('event: content_block_delta\ndata: {"type":"content_block_delta",'
                    '"index":0,"delta":{"type":"text_delta","text":')


def _bad(message: str) -> SandboxHTTPError:
    return SandboxHTTPError("invalid_request", message)


def _ttl(block: Any) -> str | None:
    """The cache TTL a block asks for ("5m"/"1h"), or None without ``cache_control``."""
    if not isinstance(block, dict):
        return None
    control = block.get("cache_control")
    if control is None:
        return None
    if not isinstance(control, dict) or control.get("type") != "ephemeral":
        raise _bad("cache_control: Input should be {'type': 'ephemeral'} with an optional "
                   "'ttl' of '5m' or '1h'.")
    ttl = control.get("ttl", "5m")
    if ttl not in ("5m", "1h"):
        raise _bad("cache_control.ttl: Input should be '5m' or '1h'.")
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
        raise _bad(f"{where}: Input should be a valid string or list of content blocks.")
    if not content:
        raise _bad(f"{where}: List should have at least 1 item after validation, not 0")
    for j, block in enumerate(content):
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise _bad(f"{where}.{j}: Input should be a valid content block object with a "
                       "'type'.")
        kind = block["type"]
        if kind == "text" and not isinstance(block.get("text"), str):
            raise _bad(f"{where}.{j}.text: Field required")
        if kind == "tool_use" and not (isinstance(block.get("id"), str)
                                       and isinstance(block.get("name"), str)):
            raise _bad(f"{where}.{j}: tool_use blocks need 'id', 'name' and 'input'.")
        if kind == "tool_result" and not isinstance(block.get("tool_use_id"), str):
            raise _bad(f"{where}.{j}.tool_use_id: Field required")
    return content


def parse_messages_request(payload: Any) -> dict[str, Any]:
    """Validate a Messages body; returns a normalised dict or raises 400 like Anthropic does."""
    if not isinstance(payload, dict):
        raise _bad("Input should be a valid JSON object.")
    unknown = sorted(set(payload) - KNOWN_FIELDS)
    if unknown:
        raise _bad(f"{unknown[0]}: Extra inputs are not permitted")
    model = payload.get("model")
    if model is None:
        raise _bad("model: Field required")
    if not isinstance(model, str):
        raise _bad("model: Input should be a valid string")
    if "max_tokens" not in payload:
        raise _bad("max_tokens: Field required")
    max_tokens = payload["max_tokens"]
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int):
        raise _bad("max_tokens: Input should be a valid integer")
    if max_tokens < 1:
        raise _bad("max_tokens: Input should be greater than or equal to 1")
    messages = payload.get("messages")
    if messages is None:
        raise _bad("messages: Field required")
    if not isinstance(messages, list):
        raise _bad("messages: Input should be a valid list")
    if not messages:
        raise _bad("messages: List should have at least 1 item after validation, not 0")
    blocks: list[list[Any]] = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise _bad(f"messages.{i}: Input should be a valid dictionary")
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise _bad(f"messages.{i}.role: Input should be 'user' or 'assistant'")
        if "content" not in message:
            raise _bad(f"messages.{i}.content: Field required")
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
                    raise _bad(f"system.{j}: Input should be a text block.")
            system_blocks = system
        else:
            raise _bad("system: Input should be a valid string or list of text blocks")
    tools = payload.get("tools") or []
    if not isinstance(tools, list):
        raise _bad("tools: Input should be a valid list")
    norm_tools = []
    for j, tool in enumerate(tools):
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
            raise _bad(f"tools.{j}.name: Field required")
        if "type" in tool and tool["type"] not in (None, "custom"):
            continue  # server tools (web search ...) are accepted and never called here
        schema = tool.get("input_schema")
        if not isinstance(schema, dict):
            raise _bad(f"tools.{j}.input_schema: Field required")
        norm_tools.append({"name": tool["name"], "description": tool.get("description", ""),
                           "parameters": schema, "raw": tool})
    choice = payload.get("tool_choice")
    mode = "auto"
    if choice is not None:
        if not isinstance(choice, dict) or choice.get("type") not in ("auto", "any", "tool",
                                                                       "none"):
            raise _bad("tool_choice: Input tag must be one of 'auto', 'any', 'tool', 'none'")
        if choice["type"] == "tool":
            name = choice.get("name")
            if name not in {t["name"] for t in norm_tools}:
                raise _bad(f"tool_choice.name: tool {str(name)[:60]!r} is not in 'tools'.")
            mode = str(name)
        else:
            mode = {"auto": "auto", "any": "required", "none": "none"}[choice["type"]]
    stops = payload.get("stop_sequences") or []
    if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops):
        raise _bad("stop_sequences: Input should be a valid list of strings")
    for name, hi in (("temperature", 1.0), ("top_p", 1.0)):
        value = payload.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                  or not 0 <= value <= hi):
            raise _bad(f"{name}: Input should be a number between 0 and {hi:g}")
    top_k = payload.get("top_k")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int)
                              or top_k < 0):
        raise _bad("top_k: Input should be a non-negative integer")
    stream = payload.get("stream", False)
    if not isinstance(stream, bool):
        raise _bad("stream: Input should be a valid boolean")
    metadata = payload.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise _bad("metadata: Input should be a valid dictionary")
    # Cache breakpoints, in prompt order: tools -> system -> messages.
    ordered: list[tuple[Any, str | None]] = [(t["raw"], _ttl(t["raw"])) for t in norm_tools]
    ordered += [(b, _ttl(b)) for b in system_blocks]
    ordered += [(b, _ttl(b)) for bl in blocks for b in bl]
    if payload.get("cache_control") is not None and ordered:
        last_block, last_ttl = ordered[-1]
        ordered[-1] = (last_block, last_ttl or _ttl({"cache_control": payload["cache_control"]}))
    marks = sum(1 for _, ttl in ordered if ttl)
    if marks > MAX_BREAKPOINTS:
        raise _bad(f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be "
                   f"provided. Found {marks}.")
    return {
        "model": model, "max_tokens": max_tokens, "messages": messages, "blocks": blocks,
        "system_blocks": system_blocks, "tools": norm_tools, "mode": mode, "stops": stops,
        "stream": stream, "ordered": ordered, "temperature": payload.get("temperature"),
        "seed": (metadata or {}).get("user_id"),
    }


class AnthropicFrontDoor:
    """Request handlers for the Anthropic wire format over one ``Service``."""

    def __init__(self, service: Service) -> None:
        self.service = service

    @staticmethod
    def _secret(request: Request) -> str | None:
        key = request.headers.get("x-api-key")
        if key:
            return key
        auth = request.headers.get("authorization", "")
        return auth[7:].strip() or None if auth[:7].lower() == "bearer " else None

    def _check_version(self, request: Request) -> None:
        version = request.headers.get("anthropic-version")
        if not version:
            raise _bad("anthropic-version: header is required")
        if version not in VERSIONS:
            raise _bad(f"anthropic-version: invalid version {version[:40]!r}. Use 2023-06-01.")

    async def list_models(self, request: Request) -> Response:
        svc = self.service
        call = svc.begin(request, "anthropic")
        try:
            self._check_version(request)
            svc.authenticate(call, self._secret(request))
        except SandboxHTTPError as exc:
            return error_response(exc, "anthropic", call.request_id, svc.headers(call))
        data = [info.anthropic_object(name) for name, info in catalogue.list_catalogue()
                if info.provider == "anthropic"]
        body = {"data": data, "has_more": False,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None}
        return Response(dumps(body), media_type="application/json", headers=svc.headers(call))

    async def messages(self, request: Request) -> Response:
        svc = self.service
        call = svc.begin(request, "anthropic")
        try:
            return await self._messages(request, call)
        except SandboxHTTPError as exc:
            svc.finish(call, exc.status("anthropic"), error_type=exc.error_type("anthropic"),
                       note=(exc.anthropic_message or exc.message)[:200])
            return error_response(exc, "anthropic", call.request_id, svc.headers(call))
        except Exception as error:  # noqa: BLE001 - never a stack trace on the wire
            if is_store_outage(error):
                log.warning("Sandbox store unavailable (request %s): %s", call.request_id,
                            type(error).__name__)
                with contextlib.suppress(Exception):  # the audit row may not be writable
                    svc.finish(call, 503, error_type="unavailable", note="store unavailable")
                # No rate-limit headers: computing them needs the store that is down.
                return error_response(store_outage(), "anthropic", call.request_id, {})
            log.exception("Sandbox message failed (request %s).", call.request_id)
            svc.finish(call, 500, error_type="api_error", note="unhandled error")
            return error_response(SandboxHTTPError("server", "Internal server error"),
                                  "anthropic", call.request_id, svc.headers(call))

    async def count_tokens(self, request: Request) -> Response:
        """``POST /v1/messages/count_tokens``: the prompt's input tokens, free of charge."""
        svc = self.service
        call = svc.begin(request, "anthropic")
        try:
            body = await svc.read_body(request)
            self._check_version(request)
            svc.authenticate(call, self._secret(request))
            payload = svc.parse_json(body, "There was an issue with your request body: it "
                                           "is not valid JSON.")
            if isinstance(payload, dict):
                if "max_tokens" in payload or "stream" in payload:
                    field = "max_tokens" if "max_tokens" in payload else "stream"
                    raise _bad(f"{field}: Extra inputs are not permitted")
                payload = {**payload, "max_tokens": 1}
            req = parse_messages_request(payload)
            info = svc.resolve_model(call, req["model"])
            tokens = await svc.off_loop(len(body), self._count, req, info)
        except SandboxHTTPError as exc:
            svc.finish(call, exc.status("anthropic"), error_type=exc.error_type("anthropic"),
                       note="count_tokens")
            return error_response(exc, "anthropic", call.request_id, svc.headers(call))
        svc.finish(call, 200, input_tokens=tokens, note="count_tokens (free)", billable=False)
        return JSONBytes(dumps({"input_tokens": tokens}), headers=svc.headers(call))

    @staticmethod
    def _count(req: dict[str, Any], info: catalogue.ModelInfo) -> int:
        """Input tokens of a parsed request (system, messages and tools)."""
        system_text = "".join(block_text(b) for b in req["system_blocks"])
        count_msgs = ([{"role": "system", "content": system_text}] if system_text else []) + [
            {"role": m["role"], "content": "".join(block_text(b) for b in bl)}
            for m, bl in zip(req["messages"], req["blocks"], strict=True)]
        wire_tools = [{"type": "function", "function": {
            "name": t["name"], "description": t["description"], "parameters": t["parameters"]}}
            for t in req["tools"]]
        try:
            return catalogue.count_prompt(info, count_msgs, wire_tools or None)
        except ApilabError as exc:
            raise _bad(str(exc)) from exc

    async def _messages(self, request: Request, call: Call) -> Response:
        svc = self.service
        body = await svc.read_body(request)
        self._check_version(request)
        svc.authenticate(call, self._secret(request))
        payload = svc.parse_json(body, "There was an issue with your request body: it is "
                                       "not valid JSON.")
        req = parse_messages_request(payload)
        call.stream = req["stream"]
        info = svc.resolve_model(call, req["model"])
        svc.check_spend(call)
        input_total = await svc.off_loop(len(body), self._count, req, info)
        if input_total > info.context_window:
            raise _bad(f"prompt is too long: {input_total} tokens > {info.context_window} "
                       "maximum")
        svc.admit(call, input_total, req["max_tokens"])
        await svc.inject_faults(call)

        def count_prefix(prefix: list[Any]) -> int:
            return catalogue.count_text(info, "".join(
                block_text(b) if not isinstance(b, dict) or "input_schema" not in b
                else json.dumps(b) for b in prefix))

        cache = await svc.off_loop(
            len(body), svc.state.cache.anthropic, call.key.id if call.key else "-", info.id,
            req["ordered"], count_prefix, info.cache_min_tokens, input_total)
        output = self._generate(req, info)
        msg_id = random_id("msg_01", 22)
        if req["stream"]:
            return SSEResponse(self._stream(call, req, info, output, msg_id, input_total, cache),
                               headers=svc.headers(call),
                               media_type="text/event-stream; charset=utf-8")
        svc.finish(call, 200, input_tokens=input_total, output_tokens=output.completion_tokens,
                   cached_tokens=cache.read, cache_write_tokens=cache.write)
        stop_reason, stop_seq = self._stop(output)
        body_out = {
            "id": msg_id, "type": "message", "role": "assistant", "model": info.id,
            "content": self._content(output), "stop_reason": stop_reason,
            "stop_sequence": stop_seq,
            "usage": _usage(input_total, output.completion_tokens, cache),
        }
        return JSONBytes(dumps(body_out), headers=svc.headers(call))

    def _generate(self, req: dict[str, Any], info: catalogue.ModelInfo) -> Output:
        counter = catalogue.text_counter(info)
        last_user = next((bl for m, bl in zip(reversed(req["messages"]), reversed(req["blocks"]),
                                              strict=True) if m["role"] == "user"), [])
        last_text = "".join(b.get("text", "") for b in last_user
                            if isinstance(b, dict) and b.get("type") == "text")
        after_tool = any(isinstance(b, dict) and b.get("type") == "tool_result"
                         for b in req["blocks"][-1])
        rng = rng_for("anthropic", info.id, req["messages"], req["system_blocks"],
                      [t["name"] for t in req["tools"]], req["temperature"], req["seed"],
                      req["max_tokens"])
        tool = pick_tool(req["tools"], req["mode"], last_text, after_tool) \
            if req["tools"] else None
        output = generate(
            rng=rng, counter=counter, max_tokens=req["max_tokens"],
            default_tokens=20 + rng.randrange(60),
            echo_text=(last_text or "(empty message)") if info.id == catalogue.ECHO_MODEL
            else None,
            tool=tool, tool_id=random_id("toolu_01", 22),
        )
        return apply_stop(output, req["stops"])

    @staticmethod
    def _stop(output: Output) -> tuple[str, str | None]:
        if output.stop_sequence is not None:
            return "stop_sequence", output.stop_sequence
        return _STOP.get(output.finish, "end_turn"), None

    @staticmethod
    def _content(output: Output) -> list[dict[str, Any]]:
        if output.tool_calls:
            return [{"type": "tool_use", "id": c.id, "name": c.name, "input": c.input}
                    for c in output.tool_calls]
        return [{"type": "text", "text": output.text}]

    async def _stream(
        self, call: Call, req: dict[str, Any], info: catalogue.ModelInfo, output: Output,
        msg_id: str, input_total: int, cache: AnthropicCacheResult,
    ) -> AsyncIterator[bytes]:
        pieces = output.tool_calls[0].pieces if output.tool_calls else output.pieces
        pacer = Pacer(call.chaos, len(pieces))
        sent = 0
        note: str | None = None
        try:
            start_usage = _usage(input_total, 1, cache)
            yield anthropic_frame({"type": "message_start", "message": {
                "id": msg_id, "type": "message", "role": "assistant", "model": info.id,
                "content": [], "stop_reason": None, "stop_sequence": None,
                "usage": start_usage}})
            if output.tool_calls:
                c = output.tool_calls[0]
                first = {"type": "tool_use", "id": c.id, "name": c.name, "input": {}}
            else:
                first = {"type": "text", "text": ""}
            yield anthropic_frame({"type": "content_block_start", "index": 0,
                                   "content_block": first})
            yield anthropic_frame({"type": "ping"})
            await pacer.first_token()
            for piece in pieces:
                if pacer.disconnect_after is not None and sent >= pacer.disconnect_after:
                    note = "chaos: disconnected mid-stream"
                    self._bill(call, output, sent, input_total, cache, note)
                    yield DISCONNECT
                    return
                if pacer.error_after is not None and sent >= pacer.error_after:
                    # Anthropic's mid-stream error event: the SDK raises it, no retry.
                    note = "chaos: error event mid-stream"
                    yield anthropic_frame({"type": "error", "error": {
                        "type": "overloaded_error", "message": "Overloaded"}})
                    self._bill(call, output, sent, input_total, cache, note)
                    return
                if pacer.malformed_after is not None and sent == pacer.malformed_after:
                    yield (b'event: content_block_delta\n'
                           b'data: {"type":"content_block_delta","ind\n\n')
                if output.tool_calls:
                    yield anthropic_frame({"type": "content_block_delta", "index": 0, "delta": {
                        "type": "input_json_delta", "partial_json": piece}})
                else:  # the common frame, rendered without building a dict each time
                    yield (_TEXT_DELTA_HEAD + dumps(piece) + "}}\n\n").encode("utf-8")
                sent += 1
                await pacer.between(sent)
            yield anthropic_frame({"type": "content_block_stop", "index": 0})
            usage = _usage(input_total, output.completion_tokens, cache)
            usage.pop("cache_creation", None)
            usage.pop("service_tier", None)
            stop_reason, stop_seq = self._stop(output)
            yield anthropic_frame({"type": "message_delta", "delta": {
                "stop_reason": stop_reason, "stop_sequence": stop_seq}, "usage": usage})
            yield anthropic_frame({"type": "message_stop"})
            sent = len(pieces)
        except asyncio.CancelledError:
            note = "client disconnected mid-stream"
            raise
        finally:
            self._bill(call, output, sent, input_total, cache, note)

    def _bill(self, call: Call, output: Output, sent: int, input_total: int,
              cache: AnthropicCacheResult, note: str | None) -> None:
        pieces = output.tool_calls[0].pieces if output.tool_calls else output.pieces
        tokens = output.completion_tokens if sent >= len(pieces) else output.tokens_in_first(sent)
        if sent < len(pieces):
            note = note or "stream ended early"
        self.service.finish(call, 200, input_tokens=input_total, output_tokens=tokens,
                            cached_tokens=cache.read, cache_write_tokens=cache.write, note=note)


def _usage(input_total: int, output_tokens: int, cache: AnthropicCacheResult) -> dict[str, Any]:
    """Anthropic usage: ``input_tokens`` is only the part neither read from nor written to cache."""
    return {
        "input_tokens": max(0, input_total - cache.read - cache.write),
        "cache_creation_input_tokens": cache.write,
        "cache_read_input_tokens": cache.read,
        "cache_creation": {"ephemeral_5m_input_tokens": cache.write_5m,
                           "ephemeral_1h_input_tokens": cache.write_1h},
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }
