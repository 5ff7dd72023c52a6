"""The OpenAI Responses front door: ``POST /v1/responses`` and the stored-response endpoints.

``POST /v1/responses`` runs the same pipeline as Chat Completions (key, body,
model, output cap, spend, context window, rate limits, chaos, prompt cache,
billing, audit) and answers with a ``response`` object, or streams the typed
semantic events (``responses_stream.py``). ``GET /v1/responses/{id}``,
``DELETE /v1/responses/{id}`` and ``GET /v1/responses/{id}/input_items`` read
the store that ``store: true`` (the default) fills (``responses_store.py``).

Reasoning models (o-series, gpt-5) think first: ``reasoning.effort`` sets how
many reasoning tokens they spend, those tokens are billed as output and count
toward ``max_output_tokens``, and a cap they use up leaves the response
``incomplete`` with no message, as the real API does.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from apilab.errors import ApilabError
from apilab.sandbox import catalogue
from apilab.sandbox.errors import SandboxHTTPError, error_response
from apilab.sandbox.generator import Output, generate, pick_tool, rng_for
from apilab.sandbox.logprobs import responses_logprobs, token_entries
from apilab.sandbox.openai_api import bearer
from apilab.sandbox.openai_request import bad_request
from apilab.sandbox.prompt_cues import form, prompt_texts
from apilab.sandbox.responses_request import (
    ResponsesRequest,
    is_reasoning_model,
    items_to_messages,
    parse_responses_request,
)
from apilab.sandbox.service import Call, Service, hex_id, random_id
from apilab.sandbox.sse import JSONBytes, dumps
from apilab.sandbox.streaming import SSEResponse

__all__ = ["Reply", "ResponsesFrontDoor", "reasoning_tokens"]


# Reasoning tokens per effort level before a deterministic spread of up to +50%: dated
# rough figures for short prompts; real models vary widely with the task.
_EFFORT_TOKENS = {"none": 0, "minimal": 16, "low": 64, "medium": 192, "high": 512,
                  "xhigh": 1024}


def reasoning_tokens(effort: str | None, rng: Any) -> int:
    """How many tokens a reasoning model thinks for at ``effort`` (default medium)."""
    base = _EFFORT_TOKENS[effort or "medium"]
    return base + (rng.randrange(base // 2 + 1) if base else 0)


@dataclasses.dataclass
class Reply:
    """Everything one response says, decided before the first byte is sent."""

    id: str
    created_at: int
    request: ResponsesRequest
    model: str
    prompt_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    reasoning_id: str | None
    output: Output | None  # None when reasoning used up the whole cap
    message_id: str
    call_ids: list[tuple[str, str]]  # (item id, call id) per tool call
    history: list[dict[str, Any]]  # the conversation before this response's input
    entries: list[dict[str, Any]] | None = None  # per-token logprobs, when included

    @property
    def incomplete(self) -> bool:
        return self.output is None or self.output.finish == "length"

    @property
    def output_tokens(self) -> int:
        return self.reasoning_tokens + (self.output.completion_tokens if self.output else 0)

    def reasoning_item(self) -> dict[str, Any] | None:
        if self.reasoning_id is None:
            return None
        summary = []
        if self.request.summary:
            summary = [{"type": "summary_text",
                        "text": "Planned a short answer that follows the instructions."}]
        return {"id": self.reasoning_id, "type": "reasoning", "summary": summary,
                "status": "completed"}

    def message_item(self, text: str, status: str) -> dict[str, Any]:
        logprobs = responses_logprobs(self.entries) if self.entries and text else []
        return {"id": self.message_id, "type": "message", "status": status,
                "role": "assistant", "content": [
                    {"type": "output_text", "annotations": [], "logprobs": logprobs,
                     "text": text}]}

    def output_items(self) -> list[dict[str, Any]]:
        """The response's ``output`` once complete."""
        items = [item for item in (self.reasoning_item(),) if item is not None]
        out = self.output
        if out is None:
            return items
        if out.tool_calls:
            for (item_id, call_id), call in zip(self.call_ids, out.tool_calls, strict=True):
                items.append({"id": item_id, "type": "function_call", "status": "completed",
                              "arguments": call.arguments, "call_id": call_id,
                              "name": call.name})
        else:
            items.append(self.message_item(out.text, "incomplete" if self.incomplete
                                           else "completed"))
        return items

    def usage(self) -> dict[str, Any]:
        return {"input_tokens": self.prompt_tokens,
                "input_tokens_details": {"cached_tokens": self.cached_tokens,
                                         "cache_write_tokens": 0},
                "output_tokens": self.output_tokens,
                "output_tokens_details": {"reasoning_tokens": self.reasoning_tokens},
                "total_tokens": self.prompt_tokens + self.output_tokens}

    def body(self, status: str, output: list[dict[str, Any]] | None = None,
             usage: bool = True) -> dict[str, Any]:
        """The ``response`` object at ``status`` (in_progress, completed, incomplete)."""
        req = self.request
        reasoning = ({"effort": req.effort or "medium", "summary": req.summary}
                     if self.reasoning_id is not None else {"effort": None, "summary": None})
        return {
            "id": self.id, "object": "response", "created_at": self.created_at,
            "status": status, "background": False, "error": None,
            "incomplete_details": {"reason": "max_output_tokens"}
            if status == "incomplete" else None,
            "instructions": req.instructions, "max_output_tokens": req.max_output_tokens,
            "max_tool_calls": None, "model": self.model,
            "output": self.output_items() if output is None else output,
            "parallel_tool_calls": req.parallel_tool_calls,
            "previous_response_id": req.previous_response_id, "reasoning": reasoning,
            "service_tier": "default", "store": req.store,
            "temperature": 1.0 if req.temperature is None else req.temperature,
            "text": {"format": req.text_format, "verbosity": "medium"},
            "tool_choice": req.tool_choice, "tools": req.tools_raw,
            "top_logprobs": req.top_logprobs or 0,
            "top_p": 1.0 if req.top_p is None else req.top_p, "truncation": "disabled",
            "usage": self.usage() if usage else None, "user": req.user,
            "metadata": req.metadata,
        }


class ResponsesFrontDoor:
    """Request handlers for the Responses API over one ``Service``."""

    def __init__(self, service: Service) -> None:
        self.service = service

    # --- create
    async def create(self, request: Request) -> Response:
        call = self.service.begin(request, "openai")
        return await self.service.respond(call, lambda: self._create(request, call),
                                          "response")

    async def _create(self, request: Request, call: Call) -> Response:
        svc = self.service
        body = await svc.read_body(request)
        key = svc.authenticate(call, bearer(request))
        payload = svc.parse_json(
            body, "We could not parse the JSON body of your request. (HINT: This likely "
            "means you aren't using your HTTP library correctly. The OpenAI API expects a "
            "JSON payload, but what was sent was not valid JSON.)")
        req = parse_responses_request(payload, _new_item_id)
        call.stream = req.stream
        info = svc.resolve_model(call, req.model)
        svc.check_kind(call, "responses")
        svc.check_output_cap(call, req.max_output_tokens, "max_output_tokens")
        thinks = is_reasoning_model(info.id)
        if req.effort is not None and not thinks:
            raise bad_request("Unsupported parameter: 'reasoning.effort' is not supported with "
                              "this model.", "reasoning.effort", "unsupported_parameter")
        history: list[dict[str, Any]] = []
        if req.previous_response_id is not None:
            stored = svc.state.responses.get(key.id, req.previous_response_id)
            if stored is None:
                raise bad_request(f"Previous response with id '{req.previous_response_id}' "
                                  "not found.", "previous_response_id",
                                  "previous_response_not_found")
            history = stored.history
        # Instructions apply to this request only: they are not carried to the next turn.
        messages = ([{"role": "developer", "content": req.instructions}]
                    if req.instructions else []) + items_to_messages(history + req.items)
        tools = [{"type": "function", "function": t} for t in req.tools] or None
        try:
            prompt_tokens = await svc.off_loop(len(body), catalogue.count_prompt, info,
                                               messages, tools)
        except ApilabError as exc:
            raise bad_request(str(exc), "input") from exc
        if prompt_tokens + (req.max_output_tokens or 0) > info.context_window:
            raise bad_request(
                f"Your input exceeds the context window of this model ({info.context_window} "
                f"tokens; the input is {prompt_tokens} and max_output_tokens "
                f"{req.max_output_tokens or 0}). Please adjust your input and try again.",
                "input", "context_length_exceeded")
        svc.check_spend(call)  # after every 400: the request is valid, can it be paid for?
        svc.admit(call, prompt_tokens, req.max_output_tokens)
        await svc.inject_faults(call)
        cached = await svc.off_loop(
            len(body), svc.state.cache.openai, key.id, info.id, messages, tools, prompt_tokens,
            lambda prefix: catalogue.count_prompt(info, prefix), req.cache_retention)
        reply = self._reply(req, info, messages, prompt_tokens, cached, history, thinks)
        if req.stream:
            from apilab.sandbox.responses_stream import stream_events

            return SSEResponse(stream_events(self, call, reply), headers=svc.headers(call))
        self.settle(call, reply, reply.output_tokens, None)
        out = reply.body("incomplete" if reply.incomplete else "completed")
        self.keep(call, reply, out)
        return JSONBytes(dumps(out), headers=svc.headers(call))

    def _reply(self, req: ResponsesRequest, info: catalogue.ModelInfo,
               messages: list[dict[str, Any]], prompt_tokens: int, cached: int,
               history: list[dict[str, Any]], thinks: bool) -> Reply:
        rng = rng_for("responses", info.id, messages, req.tools, req.json_schema,
                      req.json_mode, req.temperature, req.max_output_tokens, req.effort)
        thought = reasoning_tokens(req.effort, rng) if thinks else 0
        cap = req.max_output_tokens
        output: Output | None = None
        if cap is not None and thought >= cap:
            thought = cap  # the whole budget went on reasoning: no visible answer
        else:
            last_user = next((m for m in reversed(messages) if m["role"] == "user"), None)
            last_text = str(last_user["content"]) if last_user else ""
            after_tool = bool(messages) and messages[-1]["role"] == "tool"
            tool = pick_tool(req.tools, req.tool_mode, last_text, after_tool) \
                if req.tools else None
            output = generate(
                rng=rng, counter=catalogue.text_counter(info),
                max_tokens=None if cap is None else cap - thought,
                default_tokens=20 + rng.randrange(60),
                echo_text=(last_text or "(empty message)") if info.id == catalogue.ECHO_MODEL
                else None, tool=tool, tool_id=random_id("call_", 24),
                **form(prompt_texts(messages), json_mode=req.json_mode,
                       json_schema=req.json_schema))
        calls = [(_new_item_id("fc"), c.id) for c in output.tool_calls] if output else []
        entries = None
        if req.logprobs and output is not None and not output.tool_calls:
            entries = token_entries(output.pieces, rng_for("logprobs", info.id, messages),
                                    req.top_logprobs or 0)
        return Reply(id=_new_item_id("resp"), created_at=int(time.time()), request=req,
                     model=info.reported_id, prompt_tokens=prompt_tokens, cached_tokens=cached,
                     reasoning_tokens=thought,
                     reasoning_id=_new_item_id("rs") if thinks else None, output=output,
                     message_id=_new_item_id("msg"), call_ids=calls, history=history,
                     entries=entries)

    # --- bookkeeping shared with the stream
    def settle(self, call: Call, reply: Reply, output_tokens: int, note: str | None) -> None:
        """Bill and audit the response (once): reasoning tokens bill as output."""
        self.service.finish(call, 200, input_tokens=reply.prompt_tokens,
                            output_tokens=output_tokens, cached_tokens=reply.cached_tokens,
                            note=note)

    def keep(self, call: Call, reply: Reply, body: dict[str, Any]) -> None:
        """Store a finished response when the request asked to (``store``, the default)."""
        if reply.request.store and call.key is not None:
            history = reply.history + reply.request.items + body["output"]
            self.service.state.responses.put(call.key.id, body, reply.request.items, history)

    # --- stored responses
    async def retrieve(self, request: Request) -> Response:
        """``GET /v1/responses/{id}``: a stored response."""
        return await self._stored(request, lambda stored: stored.response)

    async def input_items(self, request: Request) -> Response:
        """``GET /v1/responses/{id}/input_items``: its input, newest first by default."""
        params = request.query_params

        def page(stored: Any) -> dict[str, Any]:
            items = list(stored.input_items)
            if params.get("order", "desc") == "desc":
                items.reverse()
            after = params.get("after")
            if after is not None:
                ids = [i["id"] for i in items]
                items = items[ids.index(after) + 1:] if after in ids else []
            limit = params.get("limit", "20")
            if not limit.isdigit() or not 1 <= int(limit) <= 100:
                raise bad_request("Invalid 'limit': expected an integer between 1 and 100.",
                                  "limit", "invalid_value")
            shown = items[:int(limit)]
            return {"object": "list", "data": shown,
                    "first_id": shown[0]["id"] if shown else None,
                    "last_id": shown[-1]["id"] if shown else None,
                    "has_more": len(items) > len(shown)}

        return await self._stored(request, page)

    async def delete(self, request: Request) -> Response:
        """``DELETE /v1/responses/{id}``."""
        svc = self.service
        call = svc.begin(request, "openai")
        response_id = request.path_params["response_id"]
        try:
            key = svc.authenticate(call, bearer(request))
            if not svc.state.responses.delete(key.id, response_id):
                raise _no_response(response_id)
        except SandboxHTTPError as exc:
            return error_response(exc, "openai", call.request_id, svc.headers(call))
        return JSONBytes(dumps({"id": response_id, "object": "response", "deleted": True}),
                         headers=svc.headers(call))

    async def _stored(self, request: Request, view: Any) -> Response:
        svc = self.service
        call = svc.begin(request, "openai")
        response_id = request.path_params["response_id"]
        try:
            key = svc.authenticate(call, bearer(request))
            stored = svc.state.responses.get(key.id, response_id)
            if stored is None:
                raise _no_response(response_id)
            body = view(stored)
        except SandboxHTTPError as exc:
            return error_response(exc, "openai", call.request_id, svc.headers(call))
        return JSONBytes(dumps(body), headers=svc.headers(call))


def _no_response(response_id: str) -> SandboxHTTPError:
    return SandboxHTTPError("not_found", f"Response with id '{response_id[:80]}' not found.",
                            param="response_id")


def _new_item_id(kind: str) -> str:
    """An item id like the API's: ``resp_``/``msg_``/``fc_``/``rs_`` + 48 hex digits."""
    return hex_id(kind + "_", 24)
