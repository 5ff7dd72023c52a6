"""What every provider adapter is, and the edge translation they share.

An adapter is the bottom ``Handler`` of a call stack: it turns a ``Call`` into
one HTTP request (through the vendor's official SDK with its own retries
switched off), and turns every SDK or HTTP failure into the most specific
``apilab.errors.CallError``, chained ``from exc``. Layers above never see an
SDK exception, and the retry layer decides only from ``error.retryable``.

Shared helpers here: ``parse_retry_after`` (``retry-after-ms``, then
``retry-after`` as seconds or an HTTP date), ``error_for_status`` (the
status/body classification table), ``rate_limit_state`` (remaining/reset
headers in OpenAI's Go durations or Anthropic's RFC 3339 instants) and
``scrub`` (no key text ever leaves an adapter).
"""

from __future__ import annotations

import abc
import datetime as dt
import email.utils
import functools
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from apilab.calls.base import Handler, RateLimitState
from apilab.errors import (
    AuthError,
    BadRequestError,
    CallError,
    ProviderConnectionError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    QuotaExhaustedError,
    RateLimitedError,
)

__all__ = [
    "BILLING_ERROR_CODES",
    "Provider",
    "RateLimitState",
    "error_for_status",
    "mask_key",
    "parse_duration",
    "parse_retry_after",
    "rate_limit_state",
    "scrub",
    "translate_error",
]

# OpenAI's billing 429s carry their cause in ``error.code`` (its Help Center, 2026-12); the
# type may still say ``insufficient_quota``, or may not. Retrying cannot help any of them.
BILLING_ERROR_CODES = frozenset({
    "insufficient_quota",
    "credit_balance_exhausted",
    "organization_spend_limit_exceeded",
    "project_spend_limit_exceeded",
    "organization_usage_limit_exceeded",
})
# Markers of a spending cap or exhausted quota: waiting seconds will not help.
_QUOTA_MARKERS = (
    *sorted(BILLING_ERROR_CODES),
    "enforced_spend_limit",
    "credit balance is too low",
    "billing_error",
    "spending cap",
    "exceeded your current quota",
)


class Provider(Handler, abc.ABC):
    """An adapter: declares its name, key needs and capabilities, and answers calls."""

    name: ClassVar[str]
    needs_key: ClassVar[bool] = True
    key_env_var: ClassVar[str | None] = None
    capabilities: ClassVar[frozenset[str]] = frozenset({"chat", "stream", "tools"})
    billable: ClassVar[bool] = True  # False for local servers and the offline tutor

    @property
    def key_scope(self) -> str:
        """A non-secret id of the credential, so limits are per provider/model/key."""
        return "default"

    def describe(self) -> dict[str, Any]:
        """What the page and the inspector may show about this adapter (never the key)."""
        return {"provider": self.name, "billable": self.billable}


def parse_retry_after(headers: Mapping[str, str], now: dt.datetime | None = None) -> float | None:
    """Seconds the server asks us to wait: ``retry-after-ms`` wins, then ``retry-after``.

    ``retry-after`` may be float seconds or an HTTP date. Returns None when the
    headers carry no usable hint (negative values and garbage are ignored).
    """
    lower = {k.lower(): v for k, v in headers.items()}
    raw_ms = lower.get("retry-after-ms")
    if raw_ms is not None:
        try:
            value = float(raw_ms) / 1000
            if value >= 0:
                return value
        except ValueError:
            pass
    raw = lower.get("retry-after")
    if raw is None:
        return None
    try:
        value = float(raw)
        return value if value >= 0 else None
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max((when - now).total_seconds(), 0.0)


_GO_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


def parse_duration(text: str, now: dt.datetime | None = None) -> float | None:
    """A reset hint in seconds: OpenAI's Go duration ("6m0s", "12ms") or an RFC 3339 instant."""
    text = text.strip()
    if not text:
        return None
    if "T" in text and "-" in text:  # Anthropic: the instant of full replenishment
        try:
            when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        now = now or dt.datetime.now(dt.UTC)
        return max((when - now).total_seconds(), 0.0)
    # Only short texts go through the cache, so odd header values cannot fill it.
    return _go_duration(text) if len(text) <= 32 else _go_duration.__wrapped__(text)


@functools.lru_cache(maxsize=256)
def _go_duration(text: str) -> float | None:
    """Seconds in "6m0s" / "12ms" / "1.5" (cached: every response repeats a few values)."""
    try:
        return float(text)
    except ValueError:
        pass
    total, pos = 0.0, 0
    for match in _GO_PART.finditer(text):
        if match.start() != pos:
            return None
        number, unit = float(match.group(1)), match.group(2)
        total += number * {"h": 3600, "m": 60, "s": 1, "ms": 0.001}[unit]
        pos = match.end()
    return total if pos == len(text) and pos else None


def rate_limit_state(headers: Mapping[str, str]) -> RateLimitState:
    """Read ``x-ratelimit-*`` (OpenAI) or ``anthropic-ratelimit-*`` headers."""
    lower = {k.lower(): v for k, v in headers.items()}

    def pick(*names: str) -> str | None:
        for name in names:
            if name in lower:
                return lower[name]
        return None

    def as_int(value: str | None) -> int | None:
        try:
            return int(float(value)) if value is not None else None
        except ValueError:
            return None

    def as_secs(value: str | None) -> float | None:
        return parse_duration(value) if value is not None else None

    return RateLimitState(
        remaining_requests=as_int(pick("x-ratelimit-remaining-requests",
                                       "anthropic-ratelimit-requests-remaining")),
        reset_requests_s=as_secs(pick("x-ratelimit-reset-requests",
                                      "anthropic-ratelimit-requests-reset")),
        remaining_tokens=as_int(pick("x-ratelimit-remaining-tokens",
                                     "anthropic-ratelimit-tokens-remaining")),
        reset_tokens_s=as_secs(pick("x-ratelimit-reset-tokens",
                                    "anthropic-ratelimit-tokens-reset")),
    )


def _body_text(body: Any) -> str:
    """The error body flattened for marker matching."""
    if body is None:
        return ""
    if isinstance(body, Mapping):
        parts = []
        for key in ("type", "code", "message", "status"):
            if key in body and body[key] is not None:
                parts.append(str(body[key]))
        inner = body.get("error")
        if inner is not None:
            parts.append(_body_text(inner))
        return " ".join(parts)
    return str(body)


def error_for_status(
    status: int,
    *,
    provider: str,
    message: str,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    request_id: str | None = None,
) -> CallError:
    """The classification table: one HTTP failure -> the most specific ``CallError``.

    ================================  ===========================  ==========
    status / body                     error                        retryable
    ================================  ===========================  ==========
    429 insufficient_quota, spend cap QuotaExhaustedError          no
    400/402/403 credit/spend cap      QuotaExhaustedError          no
    429 otherwise                     RateLimitedError             yes
    408                               ProviderUnavailableError     yes
    409                               ProviderUnavailableError     yes
    500/502/503/504/529, other 5xx    ProviderUnavailableError     yes
    401, 403                          AuthError                    no
    400, 404, 413, 422, other 4xx     BadRequestError              no
    ================================  ===========================  ==========

    A server's ``x-should-retry: true|false`` header overrides the table (the
    official SDKs honour it too).
    """
    headers = headers or {}
    lower = {k.lower(): v for k, v in headers.items()}
    text = _body_text(body).lower() + " " + message.lower()
    retry_after = parse_retry_after(headers)
    kw: dict[str, Any] = {"status": status, "provider": provider, "request_id": request_id}
    err: CallError
    if status in (400, 402, 403, 429) and any(m in text for m in _QUOTA_MARKERS):
        err = QuotaExhaustedError(
            f"{provider} refused the call: the account's quota or spending cap is exhausted "
            f"({status}: {message}). Waiting will not help: add credit, raise the cap, or use "
            "another key.", **kw)
    elif status == 429:
        err = RateLimitedError(f"{provider} rate limit hit (429): {message}",
                               retry_after=retry_after, **kw)
    elif status in (408, 409) or status >= 500:
        label = {408: "request timeout", 409: "conflict", 529: "overloaded"}.get(status, "error")
        err = ProviderUnavailableError(f"{provider} {label} ({status}): {message}",
                                       retry_after=retry_after, **kw)
    elif status in (401, 403):
        err = AuthError(
            f"{provider} refused the key ({status}): {message}. Check the key is valid, not "
            "revoked, and allowed to use this model.", **kw)
    else:
        err = BadRequestError(f"{provider} rejected the request ({status}): {message}", **kw)
    should = lower.get("x-should-retry")
    if should in ("true", "false"):
        err.retryable = should == "true"  # instance attribute overrides the class default
    return err


def scrub(text: str, *secrets: str | None) -> str:
    """``text`` with every given secret (and anything that looks like a key) redacted."""
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, mask_key(secret))
    try:
        from apilab.secretscan import redact_text
    except ImportError:  # the scanner lands separately; the exact-key pass above still ran
        return text
    try:
        return redact_text(text)[0]
    except Exception:  # noqa: BLE001 - redaction must never break error reporting
        return text


def mask_key(secret: str) -> str:
    """A key shown safely: a short prefix and the last 4 characters at most."""
    if len(secret) < 12:
        return "…"
    prefix = secret[:3]
    return f"{prefix}…{secret[-4:]}"


def _body_message(body: Any, fallback: str) -> str:
    """The human message inside an error body of any provider's shape."""
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping) and inner.get("message"):
            return str(inner["message"])
        if body.get("message"):
            return str(body["message"])
    return fallback


def translate_error(exc: BaseException, *, provider: str, key: str | None = None) -> CallError:
    """Map an official-SDK (openai/anthropic share one core) or httpx failure to a CallError.

    Most specific first; every message is scrubbed of the key. Status errors
    carry the provider's rate-limit state so the limiter can pace itself.
    """
    import httpx
    import httpx2

    # The SDKs raise httpx2 errors (openai 3, anthropic 2); other callers may use httpx.
    response_types = (httpx.Response, httpx2.Response)
    timeout_types = (httpx.TimeoutException, httpx2.TimeoutException, TimeoutError)
    connect_types = (httpx.ConnectError, httpx2.ConnectError)
    transport_types = (httpx.TransportError, httpx2.TransportError, OSError)

    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    response = getattr(exc, "response", None)
    if isinstance(status, int) and isinstance(response, response_types):
        body = getattr(exc, "body", None)
        headers = dict(response.headers)
        request_id = headers.get("x-request-id") or headers.get("request-id")
        message = scrub(_body_message(body, str(exc)), key)
        err = error_for_status(status, provider=provider, message=message, body=body,
                               headers=headers, request_id=request_id)
        err.rate_limit = rate_limit_state(headers)  # type: ignore[attr-defined]
        return err
    if name == "APITimeoutError" or isinstance(exc, timeout_types):
        return ProviderTimeoutError(f"{provider} did not answer in time ({name}).",
                                    provider=provider)
    if name == "APIConnectionError" or isinstance(exc, connect_types):
        cause = exc.__cause__ or exc
        return ProviderConnectionError(
            f"Could not reach {provider}: {scrub(str(cause), key) or type(cause).__name__}. "
            "Check the base URL and that the server is running.", provider=provider)
    if isinstance(exc, transport_types):  # e.g. dropped mid-response
        return ProviderConnectionError(
            f"The connection to {provider} broke: {scrub(str(exc), key) or name}.",
            provider=provider)
    # An error event inside a 200 stream (SDK APIError with a body, no status).
    body = getattr(exc, "body", None)
    text = _body_text(body).lower()
    message = scrub(_body_message(body, str(exc)), key)
    if any(word in text for word in ("overloaded", "server_error", "api_error", "unavailable")):
        return ProviderUnavailableError(f"{provider} failed mid-stream: {message}",
                                        provider=provider)
    return BadRequestError(f"{provider} reported an error: {message}", provider=provider)
