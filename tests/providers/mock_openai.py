"""An httpx2.MockTransport that speaks OpenAI Chat Completions (plain and SSE)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx2

Responder = Callable[[dict[str, Any], int], httpx2.Response]


def completion(text: str = "Hi there", *, tool: tuple[str, str] | None = None,
               prompt: int = 12, completion_tokens: int = 3,
               headers: dict[str, str] | None = None) -> httpx2.Response:
    message: dict[str, Any] = {"role": "assistant", "content": None if tool else text}
    if tool:
        message["tool_calls"] = [{"id": "call_1", "type": "function",
                                  "function": {"name": tool[0], "arguments": tool[1]}}]
    body = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o",
            "choices": [{"index": 0, "message": message,
                         "finish_reason": "tool_calls" if tool else "stop"}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion_tokens,
                      "total_tokens": prompt + completion_tokens,
                      "prompt_tokens_details": {"cached_tokens": 0}}}
    return httpx2.Response(200, json=body, headers={"x-request-id": "req_1", **(headers or {})})


def sse(pieces: list[str], *, tool: tuple[str, str] | None = None, prompt: int = 12,
        error_after: int | None = None) -> httpx2.Response:
    def frame(data: Any) -> str:
        return f"data: {json.dumps(data)}\n\n"

    base = {"id": "chatcmpl-2", "object": "chat.completion.chunk", "created": 1,
            "model": "gpt-4o"}
    out = [frame(base | {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                      "finish_reason": None}]})]
    if tool:
        out.append(frame(base | {"choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "id": "call_9", "type": "function",
             "function": {"name": tool[0], "arguments": ""}}]}, "finish_reason": None}]}))
        out.append(frame(base | {"choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "function": {"arguments": tool[1]}}]}, "finish_reason": None}]}))
    for i, piece in enumerate(pieces):
        if error_after is not None and i == error_after:
            out.append(frame({"error": {"message": "Overloaded", "type": "server_error"}}))
            return httpx2.Response(200, text="".join(out),
                                  headers={"content-type": "text/event-stream"})
        out.append(frame(base | {"choices": [{"index": 0, "delta": {"content": piece},
                                              "finish_reason": None}]}))
    out.append(frame(base | {"choices": [{"index": 0, "delta": {},
                                          "finish_reason": "tool_calls" if tool else "stop"}]}))
    out.append(frame(base | {"choices": [], "usage": {
        "prompt_tokens": prompt, "completion_tokens": len(pieces),
        "total_tokens": prompt + len(pieces)}}))
    out.append("data: [DONE]\n\n")
    return httpx2.Response(200, text="".join(out), headers={"content-type": "text/event-stream",
                                                           "x-request-id": "req_s"})


def error(status: int, message: str, *, type_: str = "invalid_request_error",
          code: str | None = None, headers: dict[str, str] | None = None) -> httpx2.Response:
    return httpx2.Response(status, json={"error": {"message": message, "type": type_,
                                                  "param": None, "code": code}},
                          headers={"x-request-id": f"req_{status}", **(headers or {})})


class MockOpenAI:
    """Records requests; answers with ``responder(body, n)`` (n = request number)."""

    def __init__(self, responder: Responder) -> None:
        self.responder = responder
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        return self.responder(json.loads(request.content), len(self.requests))

    def client(self) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=httpx2.MockTransport(self))
