"""``POST /v1/completions``: OpenAI's legacy text completions, for the models that serve it.

Only completion models (``gpt-3.5-turbo-instruct``) are served here; a chat
model gets OpenAI's 404 pointing at ``v1/chat/completions``. The legacy
defaults are kept because they surprise people: ``max_tokens`` defaults to
16, so most replies stop with ``finish_reason: "length"``. ``prompt`` may be a
string or a list (one choice per prompt per ``n``), ``echo`` repeats the
prompt, ``logprobs`` (0-5) returns the legacy parallel lists, ``stop`` cuts
text, and ``stream`` sends ``text_completion`` chunks ending with ``[DONE]``
(and a usage chunk first with ``stream_options.include_usage``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from apilab.sandbox import catalogue
from apilab.sandbox.errors import SandboxHTTPError
from apilab.sandbox.generator import Output, apply_stop, generate, rng_for
from apilab.sandbox.logprobs import legacy_logprobs, token_entries
from apilab.sandbox.openai_api import bearer
from apilab.sandbox.openai_request import bad_request, json_object
from apilab.sandbox.service import Call, Service, random_id
from apilab.sandbox.sse import DONE, JSONBytes, dumps, openai_frame
from apilab.sandbox.streaming import DISCONNECT, Pacer, SSEResponse

__all__ = ["DEFAULT_MAX_TOKENS", "CompletionsFrontDoor"]


DEFAULT_MAX_TOKENS = 16  # the legacy endpoint's default, not the model's cap
_FIELDS = {"model", "prompt", "max_tokens", "temperature", "top_p", "n", "stream",
           "stream_options", "stop", "logprobs", "echo", "suffix", "seed", "user", "best_of",
           "presence_penalty", "frequency_penalty", "logit_bias"}


def _int(payload: dict[str, Any], name: str, lo: int, hi: int) -> int | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise bad_request(f"Invalid value for '{name}': expected an integer between {lo} and "
                          f"{hi}.", name, "invalid_value")
    return value


class CompletionsFrontDoor:
    """``POST /v1/completions`` over one ``Service``."""

    def __init__(self, service: Service) -> None:
        self.service = service

    async def create(self, request: Request) -> Response:
        call = self.service.begin(request, "openai")
        return await self.service.respond(call, lambda: self._create(request, call),
                                          "completion")

    async def _create(self, request: Request, call: Call) -> Response:
        svc = self.service
        body = await svc.read_body(request)
        svc.authenticate(call, bearer(request))
        payload = json_object(
            svc.parse_json(body, "We could not parse the JSON body of your request."), _FIELDS)
        prompts = payload.get("prompt", "<|endoftext|>")
        if isinstance(prompts, str):
            prompts = [prompts]
        if not isinstance(prompts, list) or not prompts or \
                not all(isinstance(p, str) for p in prompts):
            raise bad_request("Invalid 'prompt': expected a string or an array of strings.",
                              "prompt", "invalid_type")
        info = svc.resolve_model(call, payload.get("model"))
        if info.kind != "completion":
            raise SandboxHTTPError(
                "not_found", "This is a chat model and not supported in the v1/completions "
                "endpoint. Did you mean to use v1/chat/completions?", param="model")
        cap = _int(payload, "max_tokens", 0, 10**9)
        cap = DEFAULT_MAX_TOKENS if cap is None else cap
        svc.check_output_cap(call, cap, "max_tokens")
        n = _int(payload, "n", 1, 128) or 1
        top = _int(payload, "logprobs", 0, 5)
        stop = payload.get("stop") or []
        stops = [stop] if isinstance(stop, str) else list(stop)
        stream = bool(payload.get("stream"))
        call.stream = stream
        include_usage = bool((payload.get("stream_options") or {}).get("include_usage"))
        counts = await svc.off_loop(len(body), lambda: [catalogue.count_text(info, p)
                                                         for p in prompts])
        for tokens in counts:
            if tokens + cap > info.context_window:
                raise bad_request(
                    f"This model's maximum context length is {info.context_window} tokens, "
                    f"however you requested {tokens + cap} tokens ({tokens} in your prompt; "
                    f"{cap} for the completion). Please reduce your prompt; or completion "
                    "length.", "prompt", "context_length_exceeded")
        prompt_tokens = sum(counts)
        svc.check_spend(call)  # after every 400: the request is valid, can it be paid for?
        svc.admit(call, prompt_tokens, cap * n * len(prompts))
        await svc.inject_faults(call)
        echo = bool(payload.get("echo"))
        choices: list[tuple[str, Output]] = []
        for prompt in prompts:
            for k in range(n):
                rng = rng_for("completions", info.id, prompt, cap, payload.get("seed"),
                              payload.get("temperature"), k)
                out = generate(rng=rng, counter=catalogue.text_counter(info), max_tokens=cap,
                               default_tokens=20 + rng.randrange(60))
                choices.append((prompt, apply_stop(out, stops) if cap else out))
        created, cid = int(time.time()), random_id("cmpl-", 29)
        if stream:
            return SSEResponse(self._stream(call, info, choices, cid, created, prompt_tokens,
                                            include_usage),
                               headers=svc.headers(call))
        completion = sum(o.completion_tokens for _, o in choices)
        svc.finish(call, 200, input_tokens=prompt_tokens, output_tokens=completion)
        out_choices = []
        for index, (prompt, output) in enumerate(choices):
            text = (prompt if echo else "") + output.text
            logprobs = None
            if top is not None:
                entries = token_entries(output.pieces, rng_for("logprobs", info.id, prompt,
                                                               index), top)
                logprobs = legacy_logprobs(entries, len(prompt) if echo else 0)
            out_choices.append({"text": text, "index": index, "logprobs": logprobs,
                                "finish_reason": output.finish})
        result = {"id": cid, "object": "text_completion", "created": created,
                  "model": info.reported_id, "choices": out_choices,
                  "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion,
                            "total_tokens": prompt_tokens + completion},
                  "system_fingerprint": None}
        return JSONBytes(dumps(result), headers=svc.headers(call))

    async def _stream(self, call: Call, info: catalogue.ModelInfo,
                      choices: list[tuple[str, Output]], cid: str, created: int,
                      prompt_tokens: int, include_usage: bool) -> AsyncIterator[bytes]:
        pacer = Pacer(call.chaos, sum(len(o.pieces) for _, o in choices))
        base = {"id": cid, "object": "text_completion", "created": created,
                "model": info.reported_id}
        sent = [0] * len(choices)
        note: str | None = None
        try:
            count = 0
            await pacer.first_token()
            for index, (_prompt, output) in enumerate(choices):
                for piece in output.pieces:
                    if pacer.disconnect_after is not None and count >= pacer.disconnect_after:
                        note = "chaos: disconnected mid-stream"
                        yield DISCONNECT
                        return
                    yield openai_frame({**base, "choices": [
                        {"text": piece, "index": index, "logprobs": None,
                         "finish_reason": None}]})
                    sent[index] += 1
                    count += 1
                    await pacer.between(count)
                yield openai_frame({**base, "choices": [
                    {"text": "", "index": index, "logprobs": None,
                     "finish_reason": output.finish}]})
            if include_usage:
                completion = sum(o.completion_tokens for _, o in choices)
                yield openai_frame({**base, "choices": [], "usage": {
                    "prompt_tokens": prompt_tokens, "completion_tokens": completion,
                    "total_tokens": prompt_tokens + completion}})
            yield DONE
        except asyncio.CancelledError:
            note = "client disconnected mid-stream"
            raise
        finally:
            tokens = sum(o.tokens_in_first(s) if s < len(o.pieces) else o.completion_tokens
                         for s, (_, o) in zip(sent, choices, strict=True))
            self.service.finish(call, 200, input_tokens=prompt_tokens, output_tokens=tokens,
                                note=note)
