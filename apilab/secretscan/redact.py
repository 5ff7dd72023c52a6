"""Redaction: how a secret may be shown anywhere (terminal, JSON, SARIF, logs, DB, pages).

The rule is "a known non-secret prefix and the last few characters at most":
``sk-proj-…9f2a``. The prefix names the key type so a human can act on it; the
suffix lets them match it against the provider console. Short values show less
(or nothing), so a redacted form can never help brute-force the rest.
"""

from __future__ import annotations

import re

__all__ = ["ELLIPSIS", "KNOWN_PREFIXES", "redact"]

ELLIPSIS = "…"

# Non-secret key-type prefixes, longest first so the most specific wins.
KNOWN_PREFIXES: tuple[str, ...] = tuple(
    sorted(
        {
            "sk-proj-", "sk-svcacct-", "sk-admin-", "sk-ant-api03-", "sk-ant-admin01-",
            "sk-ant-oat01-", "sk-ant-ort01-", "sk-or-v1-", "sk-", "AIza", "hf_", "api_org_",
            "pplx-", "gsk_", "xai-", "r8_", "lsv2_pt_", "lsv2_sk_", "AKIA", "ASIA", "ABIA",
            "ACCA", "ABSK", "bedrock-api-key-", "ghp_", "gho_", "ghu_", "ghs_", "ghr_",
            "github_pat_", "sk_live_", "rk_live_", "sk_test_", "sk-sbx-",
            # AI platforms (rules/ai_platforms.py)
            "fw_", "csk-", "nvapi-", "esecret_", "rpa_", "sk-api-", "vck_", "pa-", "jina_",
            "pcsk_", "fc-", "m0-", "sk-lf-", "sk-helicone-", "pk-helicone-", "wandb_v1_",
            "apk_user_", "apk_", "cog_", "tgp_v1_", "llx-", "tvly-", "app-", "dataset-",
            "bce-v3/ALTAK-",
        },
        key=len,
        reverse=True,
    )
)

_PEM_HEADER = re.compile(r"-----BEGIN[ A-Z0-9]{0,30}-----")


def redact(secret: str) -> str:
    """The displayable form of a secret: known prefix + ``…`` + last 4 characters at most.

    >>> redact("sk-proj-" + "x" * 150 + "9f2a")
    'sk-proj-…9f2a'
    """
    header = _PEM_HEADER.match(secret)
    if header:
        return header.group(0) + ELLIPSIS
    prefix = next((p for p in KNOWN_PREFIXES if secret.startswith(p)), "")
    rest = len(secret) - len(prefix)
    # Show less of short secrets: 4 chars of a 20+ char body is ~20% at most.
    if rest >= 20:
        suffix = secret[-4:]
    elif rest >= 12:
        suffix = secret[-2:]
    else:
        suffix = ""
    return f"{prefix}{ELLIPSIS}{suffix}"
