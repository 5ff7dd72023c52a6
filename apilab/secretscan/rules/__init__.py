"""Secret-detection rules, kept as data: one ``Rule`` per key type.

Each rule is a regular expression plus the checks that turn a regex hit into a
finding (see ``base.Rule``). The scanner owns the logic; this package owns only
the tables, so adding a provider is adding one entry:

- ``ai``: AI-provider keys (the recall bar is 100% on these);
- ``ai_platforms``: the AI platforms around them (inference hosts, embeddings, speech,
  observability, agents);
- ``services``: cloud, code hosting, chat, payments, private keys, JWTs;
- ``platforms``: more developer platforms, CI, SaaS APIs, payments and clouds (issue 16);
- ``generic``: name-anchored rules (``password = ...`` in any common syntax);
- ``prefixed``: a vendor-prefixed random token of a service no rule knows;
- ``TYPED_TEXT_RULES`` below: looser shapes used only on text people type.

Confidence reflects how the rule knows (``base.HIGH``/``MEDIUM``/``LOW``): a
fixed marker or checksum in the key, a provider's layout, or a name and entropy.
"""

from __future__ import annotations

from apilab.secretscan.rules.ai import AI_RULES
from apilab.secretscan.rules.ai_platforms import AI_PLATFORM_RULES
from apilab.secretscan.rules.base import B, E, Rule
from apilab.secretscan.rules.generic import GENERIC_RULES, GENERIC_VARIANTS
from apilab.secretscan.rules.platforms import PLATFORM_RULES
from apilab.secretscan.rules.prefixed import PREFIXED_RULES
from apilab.secretscan.rules.services import SERVICE_RULES

__all__ = ["RULES", "RULES_BY_ID", "TYPED_TEXT_RULES", "Rule"]

RULES: tuple[Rule, ...] = (AI_RULES + AI_PLATFORM_RULES + SERVICE_RULES + PLATFORM_RULES
                          + GENERIC_RULES + PREFIXED_RULES)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES + GENERIC_VARIANTS}


# --- typed text ---------------------------------------------------------------------------
# What a learner types or pastes is redacted with RULES plus these looser shapes: a key
# that is truncated, mistyped or in a format we do not know yet must still never be echoed
# or stored. Scanning files uses RULES alone, where precision matters more.
_LOOSE_FIX = ("Treat it as leaked: revoke it in the provider's console first, then audit its "
              "usage, rotate, update your configuration, and find how it leaked.")
_LOOSE_BODY = r"[A-Za-z0-9_\-]{16,}"
TYPED_TEXT_RULES: tuple[Rule, ...] = (
    Rule(
        "key-like-prefixed", "Something shaped like an API key",
        B + r"((?:sk-(?:proj|svcacct|admin|ant-[a-z]{3,5}\d\d|or-v1)-|sk-|sk_live_|sk_test_|"
        r"rk_live_|AIza|hf_|api_org_|pplx-|gsk_|xai-|r8_|lsv2_(?:pt|sk)_|gh[pousr]_|"
        r"github_pat_|ABSK|bedrock-api-key-)" + _LOOSE_BODY + r")" + E,
        ("sk-", "sk_", "rk_", "aiza", "hf_", "api_org_", "pplx-", "gsk_", "xai-", "r8_",
         "lsv2_", "gh", "absk", "bedrock-api-key-"),
        0.6, _LOOSE_FIX, min_entropy=3.0,
    ),
    Rule(
        "key-like-token", "A long random token (possibly a key)",
        r"(?<![A-Za-z0-9_\-+/=])([A-Za-z0-9_\-+/]{32,}={0,2})(?![A-Za-z0-9_\-+/=])",
        (), 0.5, _LOOSE_FIX, min_entropy=4.2,
    ),
)
