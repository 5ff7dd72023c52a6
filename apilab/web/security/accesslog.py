"""Keep one-use secrets that travel in URLs out of the server's access log.

A few links carry a secret in their query string by design: the OIDC callback
(``code``, ``state``), a reset link (``token``), the local-token link ``apilab serve``
prints (``local``). uvicorn's access log writes the full path of every request; this
filter, on the ``uvicorn.access`` logger, replaces those values with ``***`` before
any handler sees the record.
"""

from __future__ import annotations

import logging
import re

__all__ = ["SECRET_PARAMS", "RedactSecrets", "install", "redact"]

SECRET_PARAMS = ("code", "state", "token", "local", "id_token", "access_token", "session_state")
_PARAM = re.compile(r"([?&](?:" + "|".join(SECRET_PARAMS) + r")=)[^&#\s\"]*")


def redact(path: str) -> str:
    """``path`` with the values of secret query parameters replaced by ``***``."""
    return _PARAM.sub(r"\1***", path)


class RedactSecrets(logging.Filter):
    """Redacts secret query values in an access-log record's arguments (never drops it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) and "=" in a else a
                                for a in record.args)
        return True


def install(logger_name: str = "uvicorn.access") -> None:
    """Add the filter to the access logger once (idempotent)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())
