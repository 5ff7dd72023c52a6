"""The generic prefixed-token rule: a key of a service no other rule knows, by its shape.

Many services mint keys as a short lowercase vendor prefix, an ``_`` or ``-``, and a long
random body (``abc_`` + 32 random characters, ``abcd-live-`` + 40). Without a rule for
the service the only sign is that shape; ``secretscan.tokens`` checks the prefix (lowercase
segments, not a hash algorithm or a public-key marker, not inside a path or identifier)
and the body (random: mixed case with digits, or hex under a credential word). LOW
confidence: a provider rule reports the same key at its own confidence when there is one.

The regex starts at the separator before the body, because the keyword-free rule is
only tried where a cheap anchor finds a separator followed by 28 token characters; the
prefix before it is read by ``secretscan.tokens``.
"""

from __future__ import annotations

from apilab.secretscan.rules.base import LOW, Rule

__all__ = ["PREFIXED_RULES"]

PREFIXED_RULES: tuple[Rule, ...] = (
    Rule(
        "generic-prefixed-token", "Token with a vendor prefix and a random body (unknown service)",
        # The body is possessive: a longer run, or one glued to "/", "+", "=", "-", "_",
        # "@" or ".x" (a path, base64, an e-mail address, a file name), is not tried again
        # shorter.
        r"[_-]([A-Za-z0-9]{28,256}+)(?![A-Za-z0-9_+/=@-]|\.[A-Za-z0-9])",
        (), LOW,
        "If this is a key, revoke it in the service's console, audit its use, rotate, and "
        "load the new one from the environment or a secret manager. If it is not, add an "
        "`apilab: allow` comment on the line.",
        min_entropy=3.3, anchor=(r"_[a-z0-9]{28}", r"-[a-z0-9]{28}"),
    ),
)
