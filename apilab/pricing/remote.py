"""The providers' own token-count endpoints, for the models we can only estimate offline.

Anthropic ``POST /v1/messages/count_tokens`` and Gemini ``models/{model}:countTokens`` take
the same request a generation would and answer with its input-token count, without
generating (Anthropic documents its figure as an estimate; Gemini's is the billed count).
OpenAI needs no such call: ``count_messages`` is exact offline.

This module never looks for a key: the caller passes one (the CLI resolves it through
``apilab.providers.keys``), and it never appears in an error, log or result. It is the only
part of ``apilab.pricing`` that touches the network, and only when called explicitly.
"""

from __future__ import annotations

from typing import Any

import httpx

from apilab.errors import (
    ApilabError,
    AuthError,
    BadRequestError,
    InvalidInputError,
    ProviderConnectionError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitedError,
)
from apilab.pricing.prices import all_prices, resolve_model
from apilab.pricing.tokens import TokenCount

__all__ = ["ANTHROPIC_COUNT_URL", "GEMINI_COUNT_URL", "count_remote", "provider_of"]

ANTHROPIC_COUNT_URL = "https://api.anthropic.com/v1/messages/count_tokens"
ANTHROPIC_VERSION = "2023-06-01"
GEMINI_COUNT_URL = "https://generativelanguage.googleapis.com/v1beta/models/{model}:countTokens"
TIMEOUT = httpx.Timeout(20.0, connect=5.0)


def provider_of(model: str) -> str:
    """``openai``, ``anthropic`` or ``google`` for a model name or alias."""
    return all_prices(resolve_model(model))[0].provider


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content
                       if isinstance(p, dict) and p.get("type") in {"text", "input_text"})
    return "" if content is None else str(content)


def _split_system(messages: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    system = "\n\n".join(_text(m.get("content")) for m in messages
                         if m.get("role") in {"system", "developer"})
    rest = [m for m in messages if m.get("role") not in {"system", "developer"}]
    if not rest:
        raise InvalidInputError("The request needs at least one user message to count.")
    return system, rest


def _anthropic_body(model: str, messages: list[dict[str, Any]],
                    tools: list[dict[str, Any]] | None) -> dict[str, Any]:
    system, rest = _split_system(messages)
    body: dict[str, Any] = {
        "model": model,
        "messages": [
            {"role": "assistant" if m.get("role") == "assistant" else "user",
             "content": m["content"] if isinstance(m.get("content"), list) and m.get("role") in
             {"user", "assistant"} else _text(m.get("content"))}
            for m in rest
        ],
    }
    if system:
        body["system"] = system
    if tools:
        body["tools"] = [
            {"name": f["name"], "description": f.get("description", ""),
             "input_schema": f.get("parameters") or {"type": "object", "properties": {}}}
            for f in (t.get("function", t) for t in tools)
        ]
    return body


def _gemini_body(model: str, messages: list[dict[str, Any]],
                 tools: list[dict[str, Any]] | None) -> dict[str, Any]:
    system, rest = _split_system(messages)
    request: dict[str, Any] = {
        "model": f"models/{model}",
        "contents": [
            {"role": "model" if m.get("role") == "assistant" else "user",
             "parts": [{"text": _text(m.get("content"))}]}
            for m in rest
        ],
    }
    if system:
        request["systemInstruction"] = {"parts": [{"text": system}]}
    if tools:
        request["tools"] = [{"functionDeclarations": [
            {k: v for k, v in t.get("function", t).items()
             if k in {"name", "description", "parameters"}}
            for t in tools
        ]}]
    return {"generateContentRequest": request}


def _raise_for(response: httpx.Response, provider: str) -> None:
    if response.is_success:
        return
    try:
        detail = response.json()
        message = (detail.get("error") or {}).get("message") or str(detail)
    except ValueError:
        message = response.text[:300]
    status = response.status_code
    text = f"{provider} count endpoint answered {status}: {message}"
    if status in {401, 403}:
        raise AuthError(text, status=status, provider=provider)
    if status == 429:
        retry_after = response.headers.get("retry-after")
        raise RateLimitedError(text, retry_after=float(retry_after) if retry_after and
                               retry_after.replace(".", "", 1).isdigit() else None,
                               status=status, provider=provider)
    if status >= 500:
        raise ProviderUnavailableError(text, status=status, provider=provider)
    raise BadRequestError(text, status=status, provider=provider)


def count_remote(
    messages: list[dict[str, Any]],
    model: str,
    *,
    api_key: str,
    tools: list[dict[str, Any]] | None = None,
    client: httpx.Client | None = None,
) -> TokenCount:
    """Ask the provider to count a chat request's input tokens (Anthropic or Gemini).

    ``messages`` use the OpenAI shape (system messages become Anthropic's ``system`` /
    Gemini's ``systemInstruction``); ``tools`` the OpenAI function shape.
    """
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise InvalidInputError("messages must be a JSON array of message objects.")
    model_id = resolve_model(model)
    provider = provider_of(model_id)
    if provider == "anthropic":
        url = ANTHROPIC_COUNT_URL
        headers = {"x-api-key": api_key, "anthropic-version": ANTHROPIC_VERSION}
        body = _anthropic_body(model_id, messages, tools)
    elif provider == "google":
        url = GEMINI_COUNT_URL.format(model=model_id)
        headers = {"x-goog-api-key": api_key}
        body = _gemini_body(model_id, messages, tools)
    else:
        raise InvalidInputError(
            f"{model_id} is counted exactly offline; the remote count is for Claude and Gemini."
        )
    own = client is None
    http = client or httpx.Client(timeout=TIMEOUT)
    try:
        response = http.post(url, json=body, headers=headers)
    except httpx.TimeoutException as exc:
        raise ProviderTimeoutError(f"{provider} count endpoint timed out.",
                                   provider=provider) from exc
    except httpx.HTTPError as exc:
        raise ProviderConnectionError(f"Could not reach the {provider} count endpoint: "
                                      f"{type(exc).__name__}.", provider=provider) from exc
    finally:
        if own:
            http.close()
    _raise_for(response, provider)
    try:
        data = response.json()
        tokens = int(data["input_tokens"] if provider == "anthropic" else data["totalTokens"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ApilabError(f"{provider} count endpoint sent an unexpected answer.") from exc
    if provider == "anthropic":
        return TokenCount(tokens, False, None, "anthropic:messages.count_tokens", model_id,
                          ("Anthropic's own count; its docs call it an estimate.",))
    return TokenCount(tokens, True, None, "gemini:countTokens", model_id,
                      ("Gemini's own count for this request.",))
