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
from apilab.sandbox.anthropic_request import (
    bad_request,
    block_text,
    check_version,
    parse_messages_request,
)
from apilab.sandbox.caching import AnthropicCacheResult
from apilab.sandbox.errors import SandboxHTTPError, error_response, is_store_outage, store_outage
from apilab.sandbox.generator import Output, apply_stop, generate, pick_tool, rng_for
from apilab.sandbox.prompt_cues import form
from apilab.sandbox.service import Call, Service, random_id
from apilab.sandbox.sse import JSONBytes, anthropic_frame, dumps
from apilab.sandbox.streaming import DISCONNECT, Pacer, SSEResponse
from apilab.sandbox.thinking import Thinking, supports_thinking, think

__all__ = ["AnthropicFrontDoor", "parse_messages_request"]

log = logging.getLogger(__name__)

_STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}
# == anthropic_frame({"type": "content_block_delta", "index": 0, "delta": {"type":
#    "text_delta", "text": piece}}) up to the text value.
_TEXT_DELTA_HEAD = ('event: content_block_delta\ndata: {"type":"content_block_delta",'
                    '"index":0,"delta":{"type":"text_delta","text":')


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

    @staticmethod
    def _check_version(request: Request) -> str:
        return check_version(request.headers.get("anthropic-version"))

    async def list_models(self, request: Request) -> Response:
        """``GET /v1/models``: Claude models newest first, paged by ``limit``/``after_id``/
        ``before_id`` as Anthropic pages (``has_more``, ``first_id``, ``last_id``)."""
        svc = self.service
        call = svc.begin(request, "anthropic")
        try:
            svc.authenticate(call, self._secret(request))
            self._check_version(request)
            params = request.query_params
            limit = _page_limit(params.get("limit"))
            models = _claude_models()
            ids = [m["id"] for m in models]
            after, before = params.get("after_id"), params.get("before_id")
            for name, value in (("after_id", after), ("before_id", before)):
                if value is not None and value not in ids:
                    raise bad_request(f"{name}: no model with id {value[:80]!r}")
            if after:  # the page after that id
                start = ids.index(after) + 1
                page, has_more = models[start:start + limit], start + limit < len(models)
            elif before:  # the page just before that id
                end = ids.index(before)
                page, has_more = models[max(0, end - limit):end], end - limit > 0
            else:
                page, has_more = models[:limit], limit < len(models)
        except SandboxHTTPError as exc:
            return error_response(exc, "anthropic", call.request_id, svc.headers(call))
        body = {"data": page, "has_more": has_more,
                "first_id": page[0]["id"] if page else None,
                "last_id": page[-1]["id"] if page else None}
        return Response(dumps(body), media_type="application/json", headers=svc.headers(call))

    async def get_model(self, request: Request) -> Response:
        """``GET /v1/models/{id}`` in Anthropic's shape (aliases resolve to the snapshot)."""
        svc = self.service
        call = svc.begin(request, "anthropic")
        try:
            svc.authenticate(call, self._secret(request))
            self._check_version(request)
            info = svc.resolve_model(call, request.path_params["model_id"])
            if info.provider != "anthropic":
                raise SandboxHTTPError("not_found", "", anthropic_message=f"model: {info.id}")
        except SandboxHTTPError as exc:
            return error_response(exc, "anthropic", call.request_id, svc.headers(call))
        return Response(dumps(info.anthropic_object()), media_type="application/json",
                        headers=svc.headers(call))

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
            svc.authenticate(call, self._secret(request))  # the key first, as the real API
            self._check_version(request)
            payload = svc.parse_json(body, "There was an issue with your request body: it "
                                           "is not valid JSON.")
            if isinstance(payload, dict):
                if "max_tokens" in payload or "stream" in payload:
                    field = "max_tokens" if "max_tokens" in payload else "stream"
                    raise bad_request(f"{field}: Extra inputs are not permitted")
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
            raise bad_request(str(exc)) from exc

    async def _messages(self, request: Request, call: Call) -> Response:
        svc = self.service
        body = await svc.read_body(request)
        svc.authenticate(call, self._secret(request))  # the key first, as the real API
        self._check_version(request)
        payload = svc.parse_json(body, "There was an issue with your request body: it is "
                                       "not valid JSON.")
        req = parse_messages_request(payload)
        call.stream = req["stream"]
        info = svc.resolve_model(call, req["model"])
        svc.check_kind(call, "messages")
        svc.check_output_cap(call, req["max_tokens"], "max_tokens")
        if req["thinking"] and not supports_thinking(info.id):
            raise bad_request(f"thinking: {info.id} does not support extended thinking.")
        input_total = await svc.off_loop(len(body), self._count, req, info)
        if input_total > info.context_window:
            raise bad_request(f"prompt is too long: {input_total} tokens > {info.context_window} "
                       "maximum")
        svc.check_spend(call)  # after every 400: the request is valid, can it be paid for?
        svc.admit(call, input_total, req["max_tokens"])
        await svc.inject_faults(call)

        def count_prefix(prefix: list[Any]) -> int:
            return catalogue.count_text(info, "".join(
                block_text(b) if not isinstance(b, dict) or "input_schema" not in b
                else json.dumps(b) for b in prefix))

        cache = await svc.off_loop(
            len(body), svc.state.cache.anthropic, call.key.id if call.key else "-", info.id,
            req["ordered"], count_prefix, info.cache_min_tokens, input_total)
        thought, output = self._generate(req, info)
        out_tokens = output.completion_tokens + (thought.tokens if thought else 0)
        msg_id = random_id("msg_01", 22)
        if req["stream"]:
            return SSEResponse(self._stream(call, info, thought, output, msg_id, input_total,
                                            cache),
                               headers=svc.headers(call),
                               media_type="text/event-stream; charset=utf-8")
        svc.finish(call, 200, input_tokens=input_total, output_tokens=out_tokens,
                   cached_tokens=cache.read, cache_write_tokens=cache.write)
        stop_reason, stop_seq = self._stop(output)
        body_out = {
            "id": msg_id, "type": "message", "role": "assistant", "model": info.id,
            "content": self._content(thought, output), "stop_reason": stop_reason,
            "stop_sequence": stop_seq,
            "usage": _usage(input_total, out_tokens, cache),
        }
        return JSONBytes(dumps(body_out), headers=svc.headers(call))

    def _generate(self, req: dict[str, Any], info: catalogue.ModelInfo
                  ) -> tuple[Thinking | None, Output]:
        """The thinking block (when asked for) and the answer, within ``max_tokens``."""
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
        thought = think(rng, req["thinking"]) if req["thinking"] else None
        tool = pick_tool(req["tools"], req["mode"], last_text, after_tool) \
            if req["tools"] else None
        texts = [block_text(b) for b in req["system_blocks"]] + [
            "".join(block_text(b) for b in bl if not isinstance(b, dict)
                    or b.get("type") == "text")
            for m, bl in zip(req["messages"], req["blocks"], strict=True) if m["role"] == "user"]
        output = generate(
            rng=rng, counter=counter,
            max_tokens=req["max_tokens"] - (thought.tokens if thought else 0),
            default_tokens=20 + rng.randrange(60),
            echo_text=(last_text or "(empty message)") if info.id == catalogue.ECHO_MODEL
            else None,
            tool=tool, tool_id=random_id("toolu_01", 22),
            **form([t for t in texts if t], json_schema=req["json_schema"]),
        )
        return thought, apply_stop(output, req["stops"])

    @staticmethod
    def _stop(output: Output) -> tuple[str, str | None]:
        if output.stop_sequence is not None:
            return "stop_sequence", output.stop_sequence
        return _STOP.get(output.finish, "end_turn"), None

    @staticmethod
    def _content(thought: Thinking | None, output: Output) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = []
        if thought is not None:
            blocks.append({"type": "thinking", "thinking": thought.text,
                           "signature": thought.signature})
        if output.tool_calls:
            return blocks + [{"type": "tool_use", "id": c.id, "name": c.name, "input": c.input}
                             for c in output.tool_calls]
        return blocks + [{"type": "text", "text": output.text}]

    async def _stream(
        self, call: Call, info: catalogue.ModelInfo, thought: Thinking | None, output: Output,
        msg_id: str, input_total: int, cache: AnthropicCacheResult,
    ) -> AsyncIterator[bytes]:
        pieces = output.tool_calls[0].pieces if output.tool_calls else output.pieces
        pacer = Pacer(call.chaos, len(pieces))
        sent = 0
        thought_sent = 0  # thinking tokens delivered (counted when the block is done)
        note: str | None = None
        index = 1 if thought is not None else 0  # the answer's block index
        text_head = _TEXT_DELTA_HEAD.replace('"index":0', f'"index":{index}')
        try:
            start_usage = _usage(input_total, 1, cache)
            yield anthropic_frame({"type": "message_start", "message": {
                "id": msg_id, "type": "message", "role": "assistant", "model": info.id,
                "content": [], "stop_reason": None, "stop_sequence": None,
                "usage": start_usage}})
            if thought is not None:
                yield anthropic_frame({"type": "content_block_start", "index": 0,
                                       "content_block": {"type": "thinking", "thinking": "",
                                                         "signature": ""}})
                yield anthropic_frame({"type": "ping"})
                await pacer.first_token()
                for at in range(0, len(thought.pieces), 16):  # a few tokens per delta
                    yield anthropic_frame({"type": "content_block_delta", "index": 0, "delta": {
                        "type": "thinking_delta",
                        "thinking": "".join(thought.pieces[at:at + 16])}})
                yield anthropic_frame({"type": "content_block_delta", "index": 0, "delta": {
                    "type": "signature_delta", "signature": thought.signature}})
                yield anthropic_frame({"type": "content_block_stop", "index": 0})
                thought_sent = thought.tokens
            if output.tool_calls:
                c = output.tool_calls[0]
                first = {"type": "tool_use", "id": c.id, "name": c.name, "input": {}}
            else:
                first = {"type": "text", "text": ""}
            yield anthropic_frame({"type": "content_block_start", "index": index,
                                   "content_block": first})
            if thought is None:
                yield anthropic_frame({"type": "ping"})
                await pacer.first_token()
            for piece in pieces:
                if pacer.disconnect_after is not None and sent >= pacer.disconnect_after:
                    note = "chaos: disconnected mid-stream"
                    self._bill(call, output, sent, input_total, cache, note, thought_sent)
                    yield DISCONNECT
                    return
                if pacer.error_after is not None and sent >= pacer.error_after:
                    # Anthropic's mid-stream error event: the SDK raises it, no retry.
                    note = "chaos: error event mid-stream"
                    yield anthropic_frame({"type": "error", "error": {
                        "type": "overloaded_error", "message": "Overloaded"}})
                    self._bill(call, output, sent, input_total, cache, note, thought_sent)
                    return
                if pacer.malformed_after is not None and sent == pacer.malformed_after:
                    yield (b'event: content_block_delta\n'
                           b'data: {"type":"content_block_delta","ind\n\n')
                if output.tool_calls:
                    yield anthropic_frame({"type": "content_block_delta", "index": index,
                                           "delta": {"type": "input_json_delta",
                                                     "partial_json": piece}})
                else:  # the common frame, rendered without building a dict each time
                    yield (text_head + dumps(piece) + "}}\n\n").encode("utf-8")
                sent += 1
                await pacer.between(sent)
            yield anthropic_frame({"type": "content_block_stop", "index": index})
            usage = _usage(input_total, output.completion_tokens + thought_sent, cache)
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
            self._bill(call, output, sent, input_total, cache, note, thought_sent)

    def _bill(self, call: Call, output: Output, sent: int, input_total: int,
              cache: AnthropicCacheResult, note: str | None, thought: int = 0) -> None:
        pieces = output.tool_calls[0].pieces if output.tool_calls else output.pieces
        tokens = thought + (output.completion_tokens if sent >= len(pieces)
                            else output.tokens_in_first(sent))
        if sent < len(pieces):
            note = note or "stream ended early"
        self.service.finish(call, 200, input_tokens=input_total, output_tokens=tokens,
                            cached_tokens=cache.read, cache_write_tokens=cache.write, note=note)


def _page_limit(raw: str | None) -> int:
    """Anthropic's ``limit`` query parameter: 1-1000, default 20."""
    if raw is None:
        return 20
    if not raw.isdigit() or not 1 <= int(raw) <= 1000:
        raise bad_request("limit: Input should be an integer between 1 and 1000")
    return int(raw)


def _claude_models() -> list[dict[str, Any]]:
    """Each Claude model once (canonical ids, no aliases), newest first, as Anthropic lists."""
    seen: dict[str, catalogue.ModelInfo] = {}
    for _name, info in catalogue.list_catalogue():
        if info.provider == "anthropic":
            seen[info.id] = info
    ordered = sorted(seen.values(), key=lambda i: (i.created, i.id), reverse=True)
    return [info.anthropic_object() for info in ordered]


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
