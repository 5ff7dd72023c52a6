"""What an AI provider's HTTP response means: statuses, error bodies, rate-limit headers.

Reads a pasted status line, headers and/or JSON error body (OpenAI, Anthropic,
Gemini, or an SDK exception string) and explains what happened, what to do and
whether a retry can help. The table below is the tutor's knowledge; it is kept
as data so ``explain_http_response`` and the offline tutor say the same thing.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from typing import Any

from apilab.assistant.brackets import balanced_regions

__all__ = ["STATUSES", "ERROR_TYPES", "Parsed", "explain", "explain_codes", "parse"]


@dataclasses.dataclass(frozen=True)
class StatusInfo:
    """One HTTP status as an AI API uses it."""

    name: str
    meaning: str
    action: str
    retry: str  # "yes", "no", "after fixing the request"


STATUSES: dict[int, StatusInfo] = {
    400: StatusInfo("Bad Request",
                    "The request itself is wrong: malformed JSON, a missing or unknown field, "
                    "a bad parameter value, or too many tokens for the model's context window.",
                    "Read the error `message` (and `param`), fix the request, then send it again.",
                    "no - not until you fix the request"),
    401: StatusInfo("Unauthorized",
                    "The API key is missing, mistyped, revoked or for another provider. The "
                    "header must be `Authorization: Bearer <key>` (Anthropic: `x-api-key`).",
                    "Check the key is read from the environment, not empty, and current.",
                    "no"),
    402: StatusInfo("Payment Required",
                    "Billing: the account has no credit or payment failed.",
                    "Add credit or fix billing in the provider's dashboard.", "no"),
    403: StatusInfo("Forbidden",
                    "The key is valid but not allowed to do this: a project-scoped key without "
                    "access to that model, an unsupported region, or an organisation policy.",
                    "Check the key's permissions / model allow-list and the project it belongs "
                    "to.", "no"),
    404: StatusInfo("Not Found",
                    "Wrong URL or a model name that does not exist (or your key cannot see).",
                    "Check the base URL, path (e.g. `/v1/chat/completions`) and model id.", "no"),
    405: StatusInfo("Method Not Allowed",
                    "The URL exists but not for this HTTP method: a GET (a browser, a redirect "
                    "that turned POST into GET, a missing `-X POST`) to an endpoint that takes "
                    "POST.",
                    "Send a POST to the exact API URL (with `https://`, no redirect), with a "
                    "JSON body.", "no - not until you fix the method"),
    408: StatusInfo("Request Timeout",
                    "The server gave up waiting for your request.",
                    "Retry with backoff; check your network and request size.", "yes"),
    409: StatusInfo("Conflict", "A conflicting request (e.g. the same resource being changed).",
                    "Retry once after a short wait.", "yes, once"),
    413: StatusInfo("Payload Too Large", "The request body is over the provider's size limit.",
                    "Send less: shorten the prompt, fewer or smaller images/files.", "no"),
    415: StatusInfo("Unsupported Media Type",
                    "The body was not sent as JSON: `Content-Type: application/json` is "
                    "missing, or the body was form-encoded (`data=` instead of `json=`).",
                    "Send the body as JSON with `Content-Type: application/json`.", "no"),
    422: StatusInfo("Unprocessable Entity",
                    "The JSON parsed but a value is invalid for the schema the API expects.",
                    "Fix the field named in the error.", "no"),
    429: StatusInfo("Too Many Requests",
                    "You are over a limit: requests per minute (RPM) or tokens per minute (TPM) "
                    "for your tier - or, if the error code is `insufficient_quota`, your credit "
                    "or spending cap is used up. This is about *your* usage, not the provider's "
                    "health.",
                    "Wait for `Retry-After` (or `retry-after-ms` / the `x-ratelimit-reset-*` "
                    "headers), then retry with exponential backoff and jitter; slow your sending "
                    "rate. For `insufficient_quota`: add credit or raise the cap - retrying "
                    "cannot help.",
                    "yes, after the wait (never for insufficient_quota)"),
    500: StatusInfo("Internal Server Error", "A bug or fault on the provider's side.",
                    "Retry with exponential backoff and jitter; if it persists, check the status "
                    "page and quote the request id.", "yes"),
    502: StatusInfo("Bad Gateway", "A proxy in front of the model could not reach it.",
                    "Retry with backoff.", "yes"),
    503: StatusInfo("Service Unavailable",
                    "The provider is overloaded or briefly down - a problem on *their* side, not "
                    "your rate limit.",
                    "Retry with exponential backoff and jitter (1, 2, 4, 8 s...), honour "
                    "`Retry-After` if present, and show a graceful fallback if it lasts.",
                    "yes"),
    504: StatusInfo("Gateway Timeout", "The model took too long to answer behind a gateway.",
                    "Retry with backoff; stream long replies or lower max_tokens.", "yes"),
    520: StatusInfo("Unknown Error (Cloudflare)",
                    "Cloudflare, in front of the API or a proxy, got an empty or invalid "
                    "answer from the server behind it.",
                    "Retry with backoff; if it persists, the service behind Cloudflare is "
                    "failing (check its status page).", "yes"),
    521: StatusInfo("Web Server Is Down (Cloudflare)",
                    "Cloudflare could not connect to the server behind it: that server is down "
                    "or refusing connections.",
                    "Retry with backoff; if it persists, the service or your proxy is down.",
                    "yes"),
    522: StatusInfo("Connection Timed Out (Cloudflare)",
                    "Cloudflare could not open a connection to the server behind it in time.",
                    "Retry with backoff; check the service's status page.", "yes"),
    523: StatusInfo("Origin Is Unreachable (Cloudflare)",
                    "Cloudflare could not reach the server behind it (DNS or routing).",
                    "Retry later; for your own proxy, check its address and DNS.", "yes"),
    524: StatusInfo("A Timeout Occurred (Cloudflare)",
                    "The server behind Cloudflare accepted the request but did not answer within "
                    "Cloudflare's limit (about 100 s, reported): a long generation without "
                    "streaming.",
                    "Stream the reply (the first bytes arrive early) or ask for less "
                    "(`max_tokens`), then retry with backoff.", "yes"),
    529: StatusInfo("Overloaded (Anthropic)",
                    "Anthropic's API is overloaded (`overloaded_error`) - like a 503.",
                    "Retry with exponential backoff and jitter; fall back to another model if "
                    "it lasts.", "yes"),
}

# Provider error codes / types that refine the status. (provider, meaning, action, retry)
ERROR_TYPES: dict[str, tuple[str, str, str, str]] = {
    "insufficient_quota": ("OpenAI", "Your credit or monthly spending limit is used up - not a "
                           "rate limit, even though it arrives as a 429.",
                           "Add credit or raise the limit in the billing settings.",
                           "no - retrying cannot help"),
    "credit_balance_exhausted": ("OpenAI", "Your organisation has no prepaid credit left - a "
                                 "billing error that arrives as a 429.",
                                 "Add credit in the billing settings.",
                                 "no - retrying cannot help"),
    "organization_spend_limit_exceeded": ("OpenAI", "The organisation reached the hard monthly "
                                          "spend limit you set - a 429, not a rate limit.",
                                          "Raise or remove the limit (Organization limits), "
                                          "or wait for the monthly reset.",
                                          "no - retrying cannot help"),
    "project_spend_limit_exceeded": ("OpenAI", "This project reached its hard monthly spend "
                                     "limit; other projects still work.",
                                     "Raise the project's limit (Project settings > Limits), "
                                     "or wait for the monthly reset.",
                                     "no - retrying cannot help"),
    "organization_usage_limit_exceeded": ("OpenAI", "The organisation reached the monthly "
                                          "usage limit OpenAI approved for its tier (not one "
                                          "you set).",
                                          "Request a higher approved limit on the Limits "
                                          "page, or contact support.",
                                          "no - retrying cannot help"),
    "rate_limit_exceeded": ("OpenAI", "You sent more requests or tokens per minute than your "
                            "tier allows.",
                            "Wait as the headers say, then back off with jitter.",
                            "yes, after the wait"),
    "invalid_api_key": ("OpenAI", "The key is wrong, revoked or truncated.",
                        "Load the right key from the environment; rotate it if it leaked.", "no"),
    "model_not_found": ("OpenAI", "The model does not exist or your key/project cannot use it.",
                        "Check the model id and the project's model allow-list.", "no"),
    "context_length_exceeded": ("OpenAI", "Prompt plus max_tokens is more than the model's "
                                "context window.",
                                "Trim the history or documents, or lower max_tokens.", "no"),
    "invalid_request_error": ("OpenAI/Anthropic", "The request is malformed or a parameter is "
                              "invalid.", "Fix the field named in the message.", "no"),
    "rate_limit_error": ("Anthropic", "Over your organisation's requests or tokens per minute.",
                         "Wait for `retry-after`, then back off with jitter.", "yes, after the "
                         "wait"),
    "overloaded_error": ("Anthropic", "Anthropic's servers are overloaded (HTTP 529).",
                         "Back off with jitter and retry; fall back if it lasts.", "yes"),
    "authentication_error": ("Anthropic", "The `x-api-key` is missing or invalid.",
                             "Send a valid key in `x-api-key`.", "no"),
    "permission_error": ("Anthropic", "The key may not use this resource or model.",
                         "Check the workspace and key permissions.", "no"),
    "not_found_error": ("Anthropic", "Unknown model or endpoint.", "Check the model id and URL.",
                        "no"),
    "request_too_large": ("Anthropic", "The request body is too big.", "Send less.", "no"),
    "api_error": ("Anthropic", "An internal error on Anthropic's side.", "Retry with backoff.",
                  "yes"),
    "RESOURCE_EXHAUSTED": ("Gemini", "Quota or rate limit exceeded (requests or tokens per "
                           "minute, or a daily quota).",
                           "Wait and back off with jitter; check quotas in the console.",
                           "yes, after the wait (not if a daily quota is used up)"),
    "INVALID_ARGUMENT": ("Gemini", "The request is malformed or a field is invalid.",
                         "Fix the request.", "no"),
    "FAILED_PRECONDITION": ("Gemini", "The request cannot run in this state - often billing not "
                            "enabled or an unsupported region.",
                            "Enable billing / check the region.", "no"),
    "PERMISSION_DENIED": ("Gemini", "The key lacks permission (or is restricted to other APIs).",
                          "Check the key's API restrictions.", "no"),
    "UNAUTHENTICATED": ("Gemini", "The key is missing or invalid.", "Send a valid key.", "no"),
    "NOT_FOUND": ("Gemini", "Unknown model or resource.", "Check the model name.", "no"),
    "UNAVAILABLE": ("Gemini", "The service is temporarily overloaded or down.",
                    "Retry with backoff and jitter.", "yes"),
    "INTERNAL": ("Gemini", "An internal error.", "Retry with backoff.", "yes"),
    "DEADLINE_EXCEEDED": ("Gemini", "The request took too long.",
                          "Retry; shorten the request or stream.", "yes"),
}

# The reason phrase is words only: in a log line ('"HTTP/1.1 200 OK" elapsed=2.10s') the
# rest of the line is not part of the status.
_STATUS_LINE = re.compile(r"HTTP/\d(?:\.\d)?\s+(\d{3})(?:[ \t]+([A-Za-z][A-Za-z' -]{0,39}))?",
                          re.I)
# Codes of an OpenAI `invalid_request_error` that are always a 400 (the body of a 401/404
# has the same type, with code invalid_api_key / model_not_found).
_BAD_REQUEST_CODES = frozenset({"invalid_type", "invalid_value", "missing_required_parameter",
                                "unknown_parameter", "unsupported_parameter",
                                "unsupported_value", "context_length_exceeded",
                                "string_above_max_length", "array_above_max_length",
                                "integer_below_min_value", "integer_above_max_value",
                                "decimal_below_min_value", "decimal_above_max_value",
                                "invalid_json", "invalid_prompt"})
# Usage in a pasted log: prompt_tokens=1200, "input_tokens": 1200.
_PROMPT_TOKENS = re.compile(r"\b(?:prompt|input)_tokens[\"']?\s{0,3}[=:]\s{0,3}(\d{1,9})\b")
_SDK_CODE = re.compile(r"(?:error code|status(?: code)?|status_code|code)\W{0,3}(\d{3})\b", re.I)
# "429s", "503's": the plural of a status learners meet often (not "500s", which can be a
# duration).
_BARE_CODE = re.compile(
    r"(?<![\w.$/,-])(?:(40[134]|429|50[23]|529)'?s(?![\w.%,])|"
    r"([45]\d\d)(?![\w.%,])(?!\s*(?:k\b|m\b|words?|tokens?|ms\b|milli|seconds?|"
    r"secs?\b|s\b|minutes?|requests?|calls?|chars?|characters?|documents?|docs?|users?|"
    r"dollars?|usd|per\b|rpm|tpm|times|lines?|pages?|messages?|items?|rows?|\$)))", re.I)
_HEADER = re.compile(r"^\s*([A-Za-z][A-Za-z0-9-]{1,60})\s*:\s*(.+?)\s*$", re.M)
# A header whose value is a number of something (limits, lengths), up to that value.
_COUNT_HEADER = re.compile(r"\s{0,8}(?:x-|anthropic-ratelimit|retry-after|content-length)"
                           r"[A-Za-z0-9-]{0,60}\s{0,3}:\s{0,3}$", re.I)
_INTERESTING_HEADERS = (
    "retry-after", "retry-after-ms", "x-ratelimit-limit-requests", "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-requests", "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-requests", "x-ratelimit-reset-tokens",
    "anthropic-ratelimit-requests-remaining", "anthropic-ratelimit-tokens-remaining",
    "anthropic-ratelimit-requests-reset", "anthropic-ratelimit-tokens-reset",
    "anthropic-ratelimit-requests-limit", "anthropic-ratelimit-tokens-limit",
    # Anthropic meters input and output tokens per minute separately.
    "anthropic-ratelimit-input-tokens-limit", "anthropic-ratelimit-input-tokens-remaining",
    "anthropic-ratelimit-input-tokens-reset", "anthropic-ratelimit-output-tokens-limit",
    "anthropic-ratelimit-output-tokens-remaining", "anthropic-ratelimit-output-tokens-reset",
    "x-request-id", "request-id", "content-type",
)


@dataclasses.dataclass
class Parsed:
    """What was recognised in the pasted text."""

    status: int | None = None
    reason: str | None = None
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    body: dict[str, Any] | None = None
    error_type: str | None = None  # provider code/type/status string
    error_message: str | None = None
    provider: str | None = None
    error_kind: str | None = None  # OpenAI's `type` when `code` is more specific


def _load_body(text: str) -> dict[str, Any] | None:
    """The first balanced ``{...}`` that parses as JSON or a Python dict (SDK errors print
    dicts). Regions are found in one linear pass; huge ones are not parsed."""
    for start, end in balanced_regions(text, limit=8):
        chunk = text[start:end]
        if chunk[0] != "{" or len(chunk) > _MAX_BODY:
            continue
        for loader in (json.loads, ast.literal_eval):
            try:
                value = loader(chunk)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                continue
            if isinstance(value, dict):
                return value
    return None


_MAX_BODY = 20_000


def parse(text: str) -> Parsed:
    """Recognise status, headers and provider error body in pasted text."""
    out = Parsed()
    m = _STATUS_LINE.search(text)
    if m:
        out.status = int(m.group(1))
        out.reason = (m.group(2) or "").strip() or None
    for hm in _HEADER.finditer(text):
        name = hm.group(1).lower()
        if name in _INTERESTING_HEADERS:
            out.headers[name] = hm.group(2)
    body = _load_body(text)
    if body is not None:
        out.body = body
        err = body.get("error")
        if isinstance(err, dict):
            if body.get("type") == "error":
                out.provider = "Anthropic"
                out.error_type = str(err.get("type") or "") or None
            elif "status" in err and isinstance(err.get("status"), str):
                out.provider = "Gemini"
                out.error_type = err["status"]
                if isinstance(err.get("code"), int) and out.status is None:
                    out.status = err["code"]
            else:
                out.provider = "OpenAI"
                code = err.get("code")
                out.error_type = str(code) if code else (str(err.get("type") or "") or None)
                kind = str(err.get("type") or "")
                if kind and kind != out.error_type:
                    out.error_kind = kind
            msg = err.get("message")
            out.error_message = str(msg)[:300] if msg else None
        elif isinstance(err, str):
            out.error_message = err[:300]
    if out.status is None:
        m2 = _SDK_CODE.search(text)
        if m2 and 100 <= int(m2.group(1)) <= 599:
            out.status = int(m2.group(1))
    if out.status is None and out.error_type in ERROR_TYPES:
        out.status = {"insufficient_quota": 429, "rate_limit_exceeded": 429,
                      "credit_balance_exhausted": 429, "organization_spend_limit_exceeded": 429,
                      "project_spend_limit_exceeded": 429,
                      "organization_usage_limit_exceeded": 429,
                      "rate_limit_error": 429, "overloaded_error": 529,
                      "RESOURCE_EXHAUSTED": 429, "UNAVAILABLE": 503}.get(out.error_type)
    if out.status is None and out.provider == "OpenAI" and (
            out.error_type in _BAD_REQUEST_CODES or out.error_type == "invalid_request_error"
            or (out.error_kind == "invalid_request_error"
                and out.error_type not in ERROR_TYPES)):
        out.status = 400  # the request is wrong: the only status that body comes with
    if out.provider is None:
        low = text.lower()
        # Gateways and clouds that speak OpenAI's format first: their errors quote "OpenAI".
        if "azure" in low:
            out.provider = "Azure OpenAI"
        elif "openrouter" in low:
            out.provider = "OpenRouter"
        elif "anthropic" in low or "x-api-key" in low:
            out.provider = "Anthropic"
        elif "gemini" in low or "googleapis" in low:
            out.provider = "Gemini"
        elif "openai" in low:
            out.provider = "OpenAI"
    else:
        out.provider = _sender(out.provider, text)
    return out


def _sender(provider: str | None, text: str) -> str | None:
    """An OpenAI-shaped error body from Azure or OpenRouter names who sent it, when the
    text around it says so."""
    if provider != "OpenAI":
        return provider
    low = text[:20000].lower()
    if "azure" in low:
        return "Azure OpenAI"
    if "openrouter" in low:
        return "OpenRouter"
    return provider


def bare_codes(text: str) -> list[int]:
    """4xx/5xx codes mentioned in prose ("a 429 and a 503"), in order, without repeats."""
    codes: list[int] = []
    for m in _BARE_CODE.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        if _COUNT_HEADER.match(text, line_start, m.start()):
            continue  # "x-ratelimit-limit-requests: 500" is a limit, not a 500 error
        code = int(m.group(1) or m.group(2))
        if code in STATUSES and code not in codes:
            codes.append(code)
    return codes


def explain_codes(codes: list[int]) -> str:
    """Short explanations of status codes named in a question, with the key contrast."""
    lines = []
    for code in codes:
        info = STATUSES[code]
        lines.append(f"- **{code} {info.name}:** {info.meaning} *Do:* {info.action} "
                     f"*Retry:* {info.retry}.")
    if 429 in codes and (503 in codes or 529 in codes or 500 in codes):
        lines.append("")
        lines.append("In short: **429 means you** are over your rate limit (slow down and "
                     "honour `Retry-After`); **503/529 means the provider** is overloaded "
                     "(back off and retry). Both get exponential backoff with jitter, but only "
                     "a 429 tells you to change your own sending rate.")
    return "\n".join(lines)


def _retry_after_seconds(headers: dict[str, str]) -> float | None:
    if "retry-after-ms" in headers:
        try:
            return float(headers["retry-after-ms"]) / 1000
        except ValueError:
            return None
    if "retry-after" in headers:
        try:
            return float(headers["retry-after"])
        except ValueError:
            return None  # an HTTP date; shown as-is below
    return None


def explain(text: str, context: str = "") -> str | None:
    """Markdown explanation of a pasted response, or ``None`` if nothing was recognised.
    ``context``: the learner's words around it (they may say who sent it: "OpenRouter")."""
    p = parse(text)
    p.provider = _sender(p.provider, context)
    if p.status is None and p.error_type is None:
        return None
    if p.status is not None and 200 <= p.status < 300:
        return _success(p, text)
    info = STATUSES.get(p.status or 0)
    detail = ERROR_TYPES.get(p.error_type or "") or ERROR_TYPES.get(p.error_kind or "")
    title = f"HTTP {p.status}" if p.status else "Error"
    if info:
        title += f" {info.name}"
    elif p.reason:
        title += f" {p.reason}"
    if p.provider:
        title += f" from {p.provider}"
    if p.error_type:
        title += f" (`{p.error_type}`)"
    lines = [f"**{title}**"]
    meaning = detail[1] if detail else (info.meaning if info else None)
    action = detail[2] if detail else (info.action if info else None)
    retry = detail[3] if detail else (info.retry if info else None)
    if meaning is None and p.status:
        kind = "your request" if 400 <= p.status < 500 else "the provider's side"
        meaning = f"An unusual status; {p.status // 100}xx codes point at {kind}."
        action = "Read the error message and the provider's error reference."
        retry = "yes, with backoff" if p.status >= 500 else "no, until you change the request"
    # A line with nothing known is left out, never printed as "None".
    if meaning:
        lines.append(f"**What happened:** {meaning}")
    if p.error_message:
        lines.append(f"**The provider says:** \"{p.error_message}\"")
    if action:
        lines.append(f"**What to do:** {action}")
    wait = _retry_after_seconds(p.headers)
    if retry:
        retry_line = f"**Retry?** {retry}"
        if wait is not None and not retry.startswith("no"):
            retry_line += f" - the response says wait **{wait:g} s** before the next request"
        elif "retry-after" in p.headers and not retry.startswith("no"):
            retry_line += f" - the response says wait until {p.headers['retry-after']}"
        lines.append(retry_line + ".")
    limit_bits = [f"`{k}: {v}`" for k, v in p.headers.items()
                  if k.startswith(("x-ratelimit", "anthropic-ratelimit"))]
    if limit_bits:
        lines.append("**Rate-limit headers:** " + ", ".join(limit_bits)
                     + " - `remaining` at 0 tells you which limit (requests = RPM, tokens = TPM) "
                       "you hit, `reset` when it refills.")
        spent = [k for k, v in p.headers.items()
                 if "remaining" in k and k.startswith(("x-ratelimit", "anthropic-ratelimit"))
                 and v.strip() in ("0", "0.0")]
        if spent:
            lines.append("**The exhausted limit:** " + ", ".join(
                f"`{k}` is 0 ({_LIMIT_NAME.get(k.split('-ratelimit-')[-1], 'this limit')})"
                for k in spent) + ": that is the one to slow down for, whatever the other "
                "`remaining` values say.")
    rid = p.headers.get("x-request-id") or p.headers.get("request-id")
    if rid:
        lines.append(f"Keep the request id `{rid}` - support needs it.")
    return "\n\n".join(lines)


_LIMIT_NAME = {
    "requests-remaining": "requests per minute", "remaining-requests": "requests per minute",
    "tokens-remaining": "tokens per minute", "remaining-tokens": "tokens per minute",
    "input-tokens-remaining": "input tokens per minute",
    "output-tokens-remaining": "output tokens per minute",
}


def _success(p: Parsed, text: str) -> str:
    """A 2xx: the call worked. In a log of calls, say how the prompt size moves."""
    title = f"HTTP {p.status}" + (f" {p.reason}" if p.reason else "")
    if p.provider:
        title += f" from {p.provider}"
    lines = [f"**{title}**",
             f"**What happened:** success - a {p.status // 100}xx status means the request "
             "worked; there is no error to fix here."]
    sizes = [int(m.group(1)) for m in _PROMPT_TOKENS.finditer(text[:200_000])]
    if len(sizes) >= 3 and sizes[-1] > sizes[0] and all(
            b >= a for a, b in zip(sizes, sizes[1:], strict=False)):
        step = (sizes[-1] - sizes[0]) / (len(sizes) - 1)
        lines.append(
            f"**In your log:** the prompt grows from {sizes[0]:,} to {sizes[-1]:,} tokens over "
            f"{len(sizes)} calls (about {step:,.0f} more per call): the whole conversation is "
            "resent each time, so every call is slower and costs more than the last. Trim or "
            "summarise old turns, or keep only the last few.")
    return "\n\n".join(lines)
