"""The apilab error hierarchy.

Every error a user can meet is an ``ApilabError`` whose message says what
happened and what to do next. Errors are translated at the edge (provider
adapters, the sandbox, the CLI) and chained with ``from exc``.

    ApilabError
    ├── ConfigError                 bad or obsolete setting
    ├── NotFoundError               unknown lab, lesson, conversation ...
    ├── InvalidInputError           a request the user must fix (too long, empty, malformed)
    ├── IdentityRequiredError       no learner identity where the deployment requires one (401)
    ├── ForbiddenError              the caller may not do this (wrong origin, token, peer) (403)
    ├── TooBusyError                the caller already has as much running as allowed (429)
    ├── UnknownModelError           model not in the price/encoding tables (names close matches)
    ├── PriceNotFoundError          model known, but no price for that date
    ├── StorageError                database unreachable or migration failure
    └── CallError                   an outbound AI call failed (``retryable``: can a retry help)
        ├── NeedsKeyError           no API key configured; names the variable to set
        ├── AuthError               401/403: key invalid, revoked, or model not allowed
        ├── BadRequestError         400/404/422: the request itself is wrong
        ├── QuotaExhaustedError     insufficient_quota / spending cap: never retried
        ├── BudgetExceededError     our own budget refused the call
        ├── RateLimitedError        429 rate limit (retryable; carries ``retry_after``)
        ├── ProviderUnavailableError 5xx / 529 overloaded (retryable)
        ├── ProviderTimeoutError    connect/read timeout (retryable)
        ├── ProviderConnectionError connection refused/reset (retryable)
        ├── StreamInterruptedError  the stream broke after output reached the learner
        └── DeadlineExceededError   the total deadline across attempts ran out
"""

from __future__ import annotations

__all__ = [
    "ApilabError",
    "AuthError",
    "BadRequestError",
    "BudgetExceededError",
    "CallError",
    "ConfigError",
    "DeadlineExceededError",
    "ForbiddenError",
    "IdentityRequiredError",
    "InvalidInputError",
    "NeedsKeyError",
    "NotFoundError",
    "PriceNotFoundError",
    "ProviderConnectionError",
    "ProviderTimeoutError",
    "ProviderUnavailableError",
    "QuotaExhaustedError",
    "RateLimitedError",
    "StorageError",
    "StreamInterruptedError",
    "TooBusyError",
    "UnknownModelError",
]


class ApilabError(Exception):
    """Base class: the message says what happened and what to do."""


class ConfigError(ApilabError):
    """A setting is missing, malformed or obsolete."""


class NotFoundError(ApilabError):
    """A named thing (lab, lesson, model, record) does not exist."""


class InvalidInputError(ApilabError):
    """Input the user must change before trying again."""


class IdentityRequiredError(ApilabError):
    """The deployment names learners by a proxy header and this request carries none."""


class ForbiddenError(ApilabError):
    """The caller may not do this: wrong origin, missing token, untrusted peer."""


class TooBusyError(ApilabError):
    """The caller already has as much work running as allowed; retry when it finishes."""


class UnknownModelError(NotFoundError):
    """A model name is not in the tables; ``suggestions`` lists close matches."""

    def __init__(self, model: str, suggestions: list[str] | None = None) -> None:
        self.model = model
        self.suggestions = suggestions or []
        hint = f" Did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(
            f"Unknown model {model!r}.{hint} Run `apilab prices` to list known models."
        )
        # The same fact for a web page, which has its own model list and no terminal.
        self.web_message = f"Unknown model {model!r}.{hint}"


class PriceNotFoundError(NotFoundError):
    """The model is known but has no price in force on the requested date.

    ``str()`` advises the command line; ``web_message`` says the same for a page.
    """

    def __init__(self, message: str, *, web_message: str | None = None) -> None:
        super().__init__(message)
        self.web_message = web_message or message


class StorageError(ApilabError):
    """The database could not be reached or migrated."""


class CallError(ApilabError):
    """An outbound AI call failed. Subclasses declare whether a retry can help."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        provider: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.provider = provider
        self.request_id = request_id


class NeedsKeyError(CallError):
    """No API key is configured for a provider."""


class AuthError(CallError):
    """The key was refused (invalid, revoked) or lacks access to the model."""


class BadRequestError(CallError):
    """The request is malformed or names something that does not exist."""


class QuotaExhaustedError(CallError):
    """A spending cap or quota is exhausted; waiting a few seconds will not help."""


class BudgetExceededError(CallError):
    """apilab's own budget refused the call before it was sent."""

    def __init__(self, message: str, *, scope: str = "", limit: str = "", spent: str = "") -> None:
        super().__init__(message)
        self.scope = scope
        self.limit = limit
        self.spent = spent


class RateLimitedError(CallError):
    """A 429 rate limit; ``retry_after`` is the server's hint in seconds, if any."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ProviderUnavailableError(CallError):
    """The provider is failing or overloaded (5xx, 529)."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ProviderTimeoutError(CallError):
    """A connect or read timeout."""

    retryable = True


class ProviderConnectionError(CallError):
    """The connection was refused or reset before a response arrived."""

    retryable = True


class StreamInterruptedError(CallError):
    """The stream broke after output reached the learner; never retried."""


class DeadlineExceededError(CallError):
    """The total deadline across all attempts ran out."""
