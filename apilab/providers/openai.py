"""OpenAI Chat Completions through the official ``openai`` SDK.

The SDK's own retries are off (``max_retries=0``): the call layer is the only
retry loop, so every attempt is visible in the ledger. A configurable
``base_url`` makes the same adapter serve any OpenAI-compatible server: Ollama
(``http://localhost:11434/v1``), vLLM, llama.cpp's ``llama-server``, Gemini's
OpenAI endpoint, and the built-in sandbox (``providers/sandbox.py``).

Neutral message format (``Call.messages``), which this adapter maps 1:1:
``{"role": "user"|"assistant", "content": str}``, an assistant turn with
``tool_calls: [{"id", "name", "arguments"}]``, and ``{"role": "tool",
"tool_call_id", "name", "content"}`` for a tool's result.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlparse

# The SDKs (openai 3, anthropic 2) are built on httpx2 and refuse httpx objects.
import httpx2
import openai

from apilab.calls.base import Call, Chunk, Final, Result, StreamEvent, ToolCall, Usage
from apilab.providers.base import Provider, mask_key, rate_limit_state, translate_error
from apilab.providers.keys import resolve_key

if TYPE_CHECKING:
    from apilab.settings import Settings

__all__ = ["OpenAIProvider", "register"]

log = logging.getLogger(__name__)

OFFICIAL_HOST = "api.openai.com"


def _is_local(base_url: str | None) -> bool:
    if not base_url:
        return False
    host = urlparse(base_url).hostname or ""
    return host in ("localhost", "127.0.0.1", "::1") or host.endswith(".local")


class OpenAIProvider(Provider):
    """Any OpenAI-compatible Chat Completions endpoint."""

    name: ClassVar[str] = "openai"
    key_env_var: ClassVar[str | None] = "OPENAI_API_KEY"
    default_model: ClassVar[str] = "gpt-4o-mini"

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        http_client: httpx2.AsyncClient | None = None,
        label: str | None = None,
        billable: bool | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
    ) -> None:
        self._key = api_key
        self.base_url = base_url
        self.label = label or self.name
        self._billable = (not _is_local(base_url)) if billable is None else billable
        self.client = openai.AsyncOpenAI(
            api_key=api_key,
            base_url=base_url,
            max_retries=0,  # the call layer is the only retry loop
            timeout=httpx2.Timeout(read_timeout, connect=connect_timeout),
            http_client=http_client,
        )
        # Newer OpenAI models refuse max_tokens; other servers may not know
        # max_completion_tokens yet.
        host = urlparse(str(self.client.base_url)).hostname
        self.token_param = "max_completion_tokens" if host == OFFICIAL_HOST else "max_tokens"

    @property
    def billable(self) -> bool:  # type: ignore[override]
        return self._billable

    @property
    def key_scope(self) -> str:
        import hashlib

        return hashlib.sha256(self._key.encode()).hexdigest()[:12]

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIProvider:
        return cls(
            api_key=resolve_key("openai", settings),
            base_url=settings.base_url,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
        )

    # --- request ------------------------------------------------------------
    @staticmethod
    def messages(call: Call) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if call.system:
            out.append({"role": "system", "content": call.system})
        for m in call.messages:
            if m.get("role") == "assistant" and m.get("tool_calls"):
                out.append({
                    "role": "assistant",
                    "content": m.get("content") or None,
                    "tool_calls": [
                        {"id": tc["id"], "type": "function",
                         "function": {"name": tc["name"], "arguments": tc["arguments"]}}
                        for tc in m["tool_calls"]
                    ],
                })
            elif m.get("role") == "tool":
                out.append({"role": "tool", "tool_call_id": m["tool_call_id"],
                            "content": m.get("content") or ""})
            else:
                out.append({"role": m["role"], "content": m.get("content") or ""})
        return out

    def request_body(self, call: Call, *, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"model": call.model, "messages": self.messages(call),
                                self.token_param: call.max_tokens}
        if call.temperature is not None:
            body["temperature"] = call.temperature
        if call.tools:
            body["tools"] = [{"type": "function", "function": t} for t in call.tools]
        if call.response_format:
            body["response_format"] = call.response_format
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    def _timeout(self, call: Call) -> httpx2.Timeout:
        read = call.read_timeout if isinstance(call.read_timeout, float | int) else None
        connect = call.connect_timeout if isinstance(call.connect_timeout, float | int) else None
        return httpx2.Timeout(read, connect=connect)

    def _record_request(self, call: Call, body: dict[str, Any]) -> None:
        call.record.request = {
            "method": "POST",
            "url": f"{str(self.client.base_url).rstrip('/')}/chat/completions",
            "headers": {"Authorization": f"Bearer {mask_key(self._key)}",
                        "Content-Type": "application/json"},
            "body": body,
        }

    # --- response -----------------------------------------------------------
    @staticmethod
    def _usage(data: Any) -> Usage | None:
        if data is None:
            return None
        details = getattr(data, "prompt_tokens_details", None)
        cached = getattr(details, "cached_tokens", 0) or 0 if details is not None else 0
        return Usage(input_tokens=data.prompt_tokens or 0,
                     output_tokens=data.completion_tokens or 0,
                     cached_input_tokens=cached)

    async def ahandle(self, call: Call) -> Result:
        body = self.request_body(call, stream=False)
        self._record_request(call, body)
        try:
            # The SDK's documented raw request (`client.post(path, cast_to=httpx2.Response)`):
            # same auth, headers, timeouts, status-error classes and transport as
            # `chat.completions.create`, minus re-validating a body that is already in
            # wire format and building a pydantic model we would turn back into a dict -
            # together about 0.4 ms of CPU per call (bench/calls.py, breakdown).
            response = await self.client.post(
                "/chat/completions", cast_to=httpx2.Response, body=body,
                options={"timeout": self._timeout(call)})
            data = response.json()
        except Exception as exc:  # noqa: BLE001 - translated at the edge, chained
            raise translate_error(exc, provider=self.label, key=self._key) from exc
        if not isinstance(data, dict):
            raise translate_error(ValueError(f"unexpected response body: {str(data)[:200]}"),
                                  provider=self.label, key=self._key)
        headers = dict(response.headers.items())
        choices = data.get("choices") or []
        choice = choices[0] if choices and isinstance(choices[0], dict) else {}
        message = choice.get("message") or {}
        tool_calls = [
            ToolCall(tc.get("id") or "", tc["function"].get("name") or "",
                     tc["function"].get("arguments") or "")
            for tc in (message.get("tool_calls") or [])
            if isinstance(tc, dict) and isinstance(tc.get("function"), dict)
        ]
        return Result(
            text=message.get("content") or "",
            provider=self.label,
            model=data.get("model") or call.model,
            finish_reason=choice.get("finish_reason"),
            usage=_usage_from_dict(data.get("usage")),
            tool_calls=tool_calls,
            request_id=headers.get("x-request-id") or data.get("id"),
            headers={k: v for k, v in headers.items() if "ratelimit" in k},
            raw=data,
            rate_limit=rate_limit_state(headers),
        )

    async def astream(self, call: Call) -> AsyncIterator[StreamEvent]:
        body = self.request_body(call, stream=True)
        self._record_request(call, body)
        record = call.record
        try:
            raw = await self.client.chat.completions.with_raw_response.create(
                **body, timeout=self._timeout(call))
            stream = raw.parse()
        except Exception as exc:  # noqa: BLE001
            raise translate_error(exc, provider=self.label, key=self._key) from exc
        headers = dict(raw.headers.items())
        if record.current is not None:
            record.current.request_id = headers.get("x-request-id")
        started = time.monotonic()
        text: list[str] = []
        tools: dict[int, dict[str, str]] = {}
        finish: str | None = None
        usage: Usage | None = None
        model = call.model
        try:
            async with contextlib.aclosing(stream.__aiter__()) as chunks:
                async for chunk in chunks:
                    record.add_event({"t_ms": round((time.monotonic() - started) * 1000, 1),
                                      "data": chunk.to_dict()})
                    model = chunk.model or model
                    if chunk.usage is not None:
                        usage = self._usage(chunk.usage)
                    for choice in chunk.choices:
                        delta = choice.delta
                        if choice.finish_reason:
                            finish = choice.finish_reason
                        if delta.content or delta.tool_calls:
                            record.mark_first_token()  # a tool call's first delta counts too
                        for tc in delta.tool_calls or []:
                            slot = tools.setdefault(tc.index, {"id": "", "name": "",
                                                               "arguments": ""})
                            if tc.id:
                                slot["id"] = tc.id
                            if tc.function is not None:
                                slot["name"] += tc.function.name or ""
                                slot["arguments"] += tc.function.arguments or ""
                        if delta.content:
                            text.append(delta.content)
                            record.streamed_text += delta.content
                            record.streamed_output_tokens += _count(delta.content, call.model)
                            yield Chunk(delta.content)
        except Exception as exc:  # noqa: BLE001 - includes mid-stream error events
            raise translate_error(exc, provider=self.label, key=self._key) from exc
        finally:
            await stream.close()
        yield Final(Result(
            text="".join(text),
            provider=self.label,
            model=model,
            finish_reason=finish,
            usage=usage,
            tool_calls=[ToolCall(t["id"], t["name"], t["arguments"])
                        for _, t in sorted(tools.items())],
            request_id=headers.get("x-request-id"),
            headers={k: v for k, v in headers.items() if "ratelimit" in k},
            rate_limit=rate_limit_state(headers),
        ))

    async def aclose(self) -> None:
        await self.client.close()

    def describe(self) -> dict[str, Any]:
        return {"provider": self.label, "base_url": str(self.client.base_url),
                "billable": self.billable}


def _usage_from_dict(data: Any) -> Usage | None:
    """``usage`` of a Chat Completions body (a plain dict) as our ``Usage``."""
    if not isinstance(data, dict):
        return None
    details = data.get("prompt_tokens_details")
    cached = (details.get("cached_tokens") or 0) if isinstance(details, dict) else 0
    return Usage(input_tokens=data.get("prompt_tokens") or 0,
                 output_tokens=data.get("completion_tokens") or 0,
                 cached_input_tokens=cached)


def _count(text: str, model: str) -> int:
    """Tokens in one streamed piece (exact for OpenAI encodings)."""
    try:
        from apilab.pricing import count_text

        return count_text(text, model).tokens
    except Exception:  # noqa: BLE001 - unknown model: a labelled estimate is still a count
        return max(1, (len(text) + 3) // 4)


def register(register: Any) -> None:
    """Register the adapter (the registry's callback)."""
    register(OpenAIProvider.from_settings, ["openai"])
