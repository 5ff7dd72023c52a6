"""The OpenAI-compatible front door: ``POST /v1/chat/completions``, ``GET /v1/models(/{id})``.

Requests are validated by ``openai_request`` (OpenAI's own 400 messages, ``param``
and ``code``); this module produces the reply through ``service`` (limits, chaos, billing)
and ``generator`` (content). Wire shapes follow
shared/reference/provider-wire-formats.md §1: every chunk of a stream has the
same ``id``/``created``; with ``stream_options.include_usage`` every chunk
carries ``"usage": null`` and one last chunk with ``choices: []`` carries the
usage, then ``data: [DONE]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from apilab.errors import ApilabError
from apilab.sandbox import catalogue
from apilab.sandbox.errors import SandboxHTTPError, error_response, is_store_outage, store_outage
from apilab.sandbox.generator import Output, apply_stop, generate, pick_tool, rng_for
from apilab.sandbox.logprobs import chat_logprobs, token_entries
from apilab.sandbox.openai_request import (
    REASONING_PREFIXES,
    ChatRequest,
    bad_request,
    message_text,
    parse_chat_request,
)
from apilab.sandbox.prompt_cues import form, prompt_texts
from apilab.sandbox.service import Call, Service, random_id
from apilab.sandbox.sse import DONE, JSONBytes, dumps, openai_frame
from apilab.sandbox.streaming import DISCONNECT, Pacer, SSEResponse

__all__ = ["ChatRequest", "OpenAIFrontDoor", "parse_chat_request"]

log = logging.getLogger(__name__)

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
        except Exception as error:  # noqa: BLE001 - never a stack trace on the wire
            if is_store_outage(error):
                log.warning("Sandbox store unavailable (request %s): %s", call.request_id,
                            type(error).__name__)
                with contextlib.suppress(Exception):  # the audit row may not be writable
                    svc.finish(call, 503, error_type="unavailable", note="store unavailable")
                # No rate-limit headers: computing them needs the store that is down.
                return error_response(store_outage(), "openai", call.request_id, {})
            log.exception("Sandbox chat completion failed (request %s).", call.request_id)
            exc = SandboxHTTPError("server", "The server had an error while processing your "
                                   "request. Sorry about that!")
            svc.finish(call, 500, error_type="server_error", note="unhandled error")
            return error_response(exc, "openai", call.request_id, svc.headers(call))

    async def _chat(self, request: Request, call: Call) -> Response:
        svc = self.service
        body = await svc.read_body(request)
        svc.authenticate(call, bearer(request))
        payload = svc.parse_json(
            body, "We could not parse the JSON body of your request. (HINT: This likely "
            "means you aren't using your HTTP library correctly. The OpenAI API "
            "expects a JSON payload, but what was sent was not valid JSON.)")
        req = parse_chat_request(payload)
        call.stream = req.stream
        info = svc.resolve_model(call, req.model)
        svc.check_kind(call, "chat/completions")
        svc.check_output_cap(call, req.max_tokens, "max_tokens" if req.used_legacy_max_tokens
                             else "max_completion_tokens")
        if req.used_legacy_max_tokens and info.id.startswith(REASONING_PREFIXES):
            raise bad_request(
                "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead.", "max_tokens",
                "unsupported_parameter")
        try:
            prompt_tokens = await svc.off_loop(len(body), catalogue.count_prompt, info,
                                               req.messages, _wire_tools(req.tools) or None)
        except ApilabError as exc:
            raise bad_request(str(exc), "messages") from exc
        wanted = prompt_tokens + (req.max_tokens or 0)
        if wanted > info.context_window:
            raise bad_request(
                f"This model's maximum context length is {info.context_window} tokens. "
                f"However, you requested {wanted} tokens ({prompt_tokens} in the "
                f"messages, {req.max_tokens or 0} in the completion). Please reduce the "
                "length of the messages or completion.", "messages",
                "context_length_exceeded")
        svc.check_spend(call)  # after every 400: the request is valid, can it be paid for?
        svc.admit(call, prompt_tokens, None if req.max_tokens is None else req.max_tokens * req.n)
        await svc.inject_faults(call)
        scope = call.key.id if call.key else "-"
        cached = await svc.off_loop(
            len(body), svc.state.cache.openai, scope, info.id, req.messages,
            _wire_tools(req.tools) or None, prompt_tokens,
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
            "model": info.reported_id,
            "choices": [self._choice(i, o, self._logprobs(req, info, i, o))
                        for i, o in enumerate(outputs)],
            "usage": _usage(prompt_tokens, completion_tokens, cached),
            "service_tier": "default", "system_fingerprint": "fp_apilab_sbx",
        }
        return JSONBytes(dumps(body_out), headers=svc.headers(call))

    def _generate(self, req: ChatRequest, info: catalogue.ModelInfo) -> list[Output]:
        counter = catalogue.text_counter(info)
        last_user = next((m for m in reversed(req.messages) if m.get("role") == "user"), None)
        last_text = message_text(last_user.get("content")) if last_user else ""
        after_tool = req.messages[-1].get("role") in ("tool", "function")
        shape = form(prompt_texts(req.messages), json_mode=req.json_mode,
                     json_schema=req.json_schema)
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
                else None, tool=tool, tool_id=random_id("call_", 24), **shape,
            )
            outputs.append(apply_stop(output, req.stop))
        return outputs

    @staticmethod
    def _logprobs(req: ChatRequest, info: catalogue.ModelInfo, index: int, output: Output
                  ) -> list[dict[str, Any]] | None:
        """Per-token logprobs for a text choice when the request asked (``logprobs: true``)."""
        if not req.logprobs or output.tool_calls:
            return None
        rng = rng_for("logprobs", info.id, req.messages, req.seed, index)
        return token_entries(output.pieces, rng, req.top_logprobs)

    @staticmethod
    def _choice(index: int, output: Output, entries: list[dict[str, Any]] | None = None
                ) -> dict[str, Any]:
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
        return {"index": index, "message": message,
                "logprobs": chat_logprobs(entries) if entries is not None else None,
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
                "model": info.reported_id, "service_tier": "default",
                "system_fingerprint": "fp_apilab_sbx"}
        sent = [0] * len(outputs)  # pieces delivered per choice
        entries = [self._logprobs(req, info, i, o) for i, o in enumerate(outputs)]
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
                    elif entries[i] is not None:
                        yield openai_frame({**base, "choices": [
                            {"index": i, "delta": {"content": piece},
                             "logprobs": chat_logprobs([entries[i][sent[i]]]),
                             "finish_reason": None}], **usage_null})
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
