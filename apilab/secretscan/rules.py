"""Secret-detection rules, kept as data.

Each ``Rule`` is a regular expression plus the checks that turn a regex hit into
a finding: literal keywords that must appear in the text before the regex runs
(a cheap pre-filter, as gitleaks does), a minimum Shannon entropy, known example
values to ignore, and the fix to show. The scanner owns the logic; this module
owns only the table, so adding a provider is adding one entry.

Key layouts follow the public rules cited in docs/secretscan.md (gitleaks,
TruffleHog, git-secrets, CredSweeper): OpenAI project/service-account/admin keys
carry the base64 marker ``T3BlbkFJ`` ("OpenAI") between two bodies of 74 (or 58)
characters, Anthropic keys are 93 characters followed by a literal ``AA``.
Lengths are exact on purpose: truncated or over-long strings are not keys.

No pattern here may itself look like a key: every body is a character class,
so this file scans clean.
"""

from __future__ import annotations

import dataclasses
import re

__all__ = ["RULES", "RULES_BY_ID", "Rule"]

# A key must not be glued to other key characters on either side; an escaped
# \n, \r or \t just before it (JSON strings, notebooks) still counts as a boundary.
_B = r"(?:(?<![A-Za-z0-9_-])|(?<=\\[nrt]))"
_E = r"(?![A-Za-z0-9_-])"
# name, optional closing quote/bracket, an assignment operator, optional opening quote.
# (A "," is not an operator: in lists of strings it made every neighbour a "value".)
_ASSIGN = r"""\\?["'`]?\]?\s{0,3}(?:=|:=|:|=>)\s{0,3}\\?["'`]?"""

_ROTATE = (
    "Revoke this key now in {console}, then read its usage log for calls you did not make, "
    "create a new key, load it from the environment ({env}) or a secret manager, and remove "
    "the old one from the code and the git history."
)


@dataclasses.dataclass(frozen=True)
class Rule:
    """One detector: a pattern and the checks a hit must pass to become a finding.

    The secret is the first capturing group that matched, or the whole match when
    the pattern has no groups.
    """

    id: str
    description: str
    pattern: str
    keywords: tuple[str, ...]  # lowercase literals; the regex runs only if one is present
    confidence: float
    fix: str
    provider: str = ""
    ai_provider: bool = False  # an AI-provider key format (recall bar: 100%)
    min_entropy: float = 0.0  # Shannon bits/char of the secret, below which it is a placeholder
    prefix: str = ""  # the non-secret prefix shown when redacting
    show_suffix: bool = True  # whether redaction may show the last characters
    allow: tuple[str, ...] = ()  # documented example values that are not secrets
    generic: bool = False  # name-anchored rule: extra filters for identifiers and hashes
    # Optional speed-up: a case-sensitive regex run over the *lowercased* text to find
    # where ``pattern`` can start; the full pattern is then only tried at those points.
    # (Python's re is slow at case-insensitive alternations scanned over every position.)
    anchor: str = ""
    flags: int = 0

    @property
    def regex(self) -> re.Pattern[str]:
        return _compiled(self.pattern, self.flags)

    @property
    def anchor_regex(self) -> re.Pattern[str] | None:
        return _compiled(self.anchor, 0) if self.anchor else None


_CACHE: dict[tuple[str, int], re.Pattern[str]] = {}


def _compiled(pattern: str, flags: int) -> re.Pattern[str]:
    key = (pattern, flags)
    if key not in _CACHE:
        _CACHE[key] = re.compile(pattern, flags)
    return _CACHE[key]


def _fix(console: str, env: str) -> str:
    return _ROTATE.format(console=console, env=env)


_OPENAI_FIX = _fix("the OpenAI dashboard (API keys page)", "OPENAI_API_KEY")
_ANTHROPIC_FIX = _fix("the Anthropic Console (API keys page)", "ANTHROPIC_API_KEY")
_OAI_BODY = (
    r"(?:[A-Za-z0-9_-]{74}T3BlbkFJ[A-Za-z0-9_-]{74}|[A-Za-z0-9_-]{58}T3BlbkFJ[A-Za-z0-9_-]{58})"
)

RULES: tuple[Rule, ...] = (
    # --- OpenAI -------------------------------------------------------------------------
    Rule(
        "openai-project-key", "OpenAI project API key",
        _B + r"sk-proj-" + _OAI_BODY + _E, ("sk-proj-",), 0.99, _OPENAI_FIX,
        provider="OpenAI", ai_provider=True, min_entropy=4.0, prefix="sk-proj-",
    ),
    Rule(
        "openai-service-account-key", "OpenAI service-account API key",
        _B + r"sk-svcacct-" + _OAI_BODY + _E, ("sk-svcacct-",), 0.99, _OPENAI_FIX,
        provider="OpenAI", ai_provider=True, min_entropy=4.0, prefix="sk-svcacct-",
    ),
    Rule(
        "openai-admin-key", "OpenAI admin API key (manages the whole organisation)",
        _B + r"sk-admin-" + _OAI_BODY + _E, ("sk-admin-",), 0.99,
        _fix("the OpenAI dashboard (Admin keys page)", "OPENAI_ADMIN_KEY"),
        provider="OpenAI", ai_provider=True, min_entropy=4.0, prefix="sk-admin-",
    ),
    Rule(
        "openai-legacy-key", "OpenAI user API key (legacy sk- format)",
        _B + r"sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}" + _E, ("t3blbkfj",), 0.99,
        _OPENAI_FIX, provider="OpenAI", ai_provider=True, min_entropy=3.5, prefix="sk-",
    ),
    # --- Anthropic ----------------------------------------------------------------------
    Rule(
        "anthropic-api-key", "Anthropic API key",
        _B + r"sk-ant-api03-[A-Za-z0-9_-]{93}AA" + _E, ("sk-ant-api03-",), 0.99, _ANTHROPIC_FIX,
        provider="Anthropic", ai_provider=True, min_entropy=4.0, prefix="sk-ant-api03-",
    ),
    Rule(
        "anthropic-admin-key", "Anthropic Admin API key (manages the whole organisation)",
        _B + r"sk-ant-admin01-[A-Za-z0-9_-]{93}AA" + _E, ("sk-ant-admin01-",), 0.99,
        _fix("the Anthropic Console (Admin keys page)", "ANTHROPIC_ADMIN_KEY"),
        provider="Anthropic", ai_provider=True, min_entropy=4.0, prefix="sk-ant-admin01-",
    ),
    Rule(
        "anthropic-oauth-token", "Anthropic OAuth token",
        _B + r"sk-ant-o[ar]t01-[A-Za-z0-9_-]{40,200}" + _E, ("sk-ant-oat01-", "sk-ant-ort01-"),
        0.95, _fix("claude.ai account settings (sign out other sessions)", "a credential store"),
        provider="Anthropic", ai_provider=True, min_entropy=3.5, prefix="sk-ant-oat01-",
    ),
    # --- Google -------------------------------------------------------------------------
    Rule(
        "google-api-key", "Google API key (Gemini / Google Cloud)",
        _B + r"AIza[A-Za-z0-9_-]{35}" + _E, ("aiza",), 0.95,
        _fix("Google Cloud console > APIs & Services > Credentials (or AI Studio)",
             "GEMINI_API_KEY") + " Restrict the new key to the APIs it needs.",
        provider="Google", ai_provider=True, min_entropy=3.5, prefix="AIza",
    ),
    # --- Hugging Face -------------------------------------------------------------------
    Rule(
        "huggingface-token", "Hugging Face access token",
        _B + r"hf_[A-Za-z0-9]{34}" + _E, ("hf_",), 0.95,
        _fix("huggingface.co > Settings > Access Tokens", "HF_TOKEN"),
        provider="Hugging Face", ai_provider=True, min_entropy=3.5, prefix="hf_",
    ),
    Rule(
        "huggingface-org-token", "Hugging Face organisation API token",
        _B + r"api_org_[A-Za-z0-9]{34}" + _E, ("api_org_",), 0.95,
        _fix("the Hugging Face organisation settings", "HF_TOKEN"),
        provider="Hugging Face", ai_provider=True, min_entropy=3.5, prefix="api_org_",
    ),
    # --- other AI providers -------------------------------------------------------------
    Rule(
        "perplexity-api-key", "Perplexity API key",
        _B + r"pplx-[A-Za-z0-9]{48}" + _E, ("pplx-",), 0.95,
        _fix("Perplexity settings > API", "PERPLEXITY_API_KEY"),
        provider="Perplexity", ai_provider=True, min_entropy=3.5, prefix="pplx-",
    ),
    Rule(
        "groq-api-key", "Groq API key",
        _B + r"gsk_[A-Za-z0-9]{52}" + _E, ("gsk_",), 0.95,
        _fix("the GroqCloud console > API Keys", "GROQ_API_KEY"),
        provider="Groq", ai_provider=True, min_entropy=3.5, prefix="gsk_",
    ),
    Rule(
        "openrouter-api-key", "OpenRouter API key",
        _B + r"sk-or-v1-[a-f0-9]{64}" + _E, ("sk-or-v1-",), 0.97,
        _fix("openrouter.ai > Keys", "OPENROUTER_API_KEY"),
        provider="OpenRouter", ai_provider=True, min_entropy=3.0, prefix="sk-or-v1-",
    ),
    Rule(
        "xai-api-key", "xAI (Grok) API key",
        _B + r"xai-[A-Za-z0-9]{80}" + _E, ("xai-",), 0.95,
        _fix("the xAI console > API Keys", "XAI_API_KEY"),
        provider="xAI", ai_provider=True, min_entropy=3.5, prefix="xai-",
    ),
    Rule(
        "replicate-api-token", "Replicate API token",
        _B + r"r8_[A-Za-z0-9]{37}" + _E, ("r8_",), 0.9,
        _fix("replicate.com > Account > API tokens", "REPLICATE_API_TOKEN"),
        provider="Replicate", ai_provider=True, min_entropy=3.5, prefix="r8_",
    ),
    Rule(
        "langsmith-api-key", "LangSmith API key",
        _B + r"lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}" + _E, ("lsv2_",), 0.95,
        _fix("LangSmith settings > API Keys", "LANGSMITH_API_KEY"),
        provider="LangSmith", ai_provider=True, min_entropy=3.0, prefix="lsv2_",
    ),
    Rule(
        "cohere-api-key", "Cohere API key",
        r"(?i:cohere|co_api_key)[A-Za-z0-9_.-]{0,20}" + _ASSIGN + r"([A-Za-z0-9]{40})" + _E,
        ("cohere", "co_api_key"), 0.85, _fix("the Cohere dashboard > API keys", "CO_API_KEY"),
        provider="Cohere", ai_provider=True, min_entropy=3.5,
    ),
    Rule(
        "mistral-api-key", "Mistral API key",
        r"(?i:mistral)[A-Za-z0-9_.-]{0,20}" + _ASSIGN + r"([A-Za-z0-9]{32})" + _E,
        ("mistral",), 0.85, _fix("the Mistral console > API Keys", "MISTRAL_API_KEY"),
        provider="Mistral", ai_provider=True, min_entropy=3.5,
    ),
    Rule(
        "deepseek-api-key", "DeepSeek API key",
        r"(?i:deepseek)[A-Za-z0-9_.-]{0,20}" + _ASSIGN + r"(sk-[a-f0-9]{32})" + _E,
        ("deepseek",), 0.85, _fix("the DeepSeek platform > API keys", "DEEPSEEK_API_KEY"),
        provider="DeepSeek", ai_provider=True, min_entropy=3.0, prefix="sk-",
    ),
    Rule(
        "apilab-sandbox-key", "apilab sandbox API key",
        _B + r"sk-sbx-[A-Za-z0-9]{40}" + _E, ("sk-sbx-",), 0.95,
        "Revoke it (`apilab sandbox keys revoke KEY_ID`, or the Key security lab), read its "
        "audit log (`apilab sandbox keys usage KEY_ID`), rotate, and load the new key from "
        "the environment (OPENAI_API_KEY with OPENAI_BASE_URL pointing at the sandbox).",
        provider="apilab sandbox", min_entropy=3.5, prefix="sk-sbx-",
    ),
    # --- cloud and code hosting ---------------------------------------------------------
    Rule(
        "aws-access-key-id", "AWS access key ID",
        r"(?<![A-Z0-9])(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])",
        ("akia", "asia", "abia", "acca", "a3t"), 0.9,
        _fix("the AWS IAM console (deactivate, then delete the access key)",
             "AWS_ACCESS_KEY_ID / an IAM role"),
        provider="AWS", min_entropy=2.5, prefix="AKIA",
        allow=("AKIA" + "IOSFODNN7EXAMPLE",),  # AWS docs' example (split for key greps)
    ),
    Rule(
        "aws-secret-access-key", "AWS secret access key",
        r"(?i:aws_?secret_?access_?key|aws_?secret_?key|secretaccesskey)[A-Za-z0-9_.-]{0,10}"
        + _ASSIGN + r"([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
        ("secret",), 0.9,
        _fix("the AWS IAM console (deactivate, then delete the access key)",
             "AWS_SECRET_ACCESS_KEY / an IAM role"),
        provider="AWS", min_entropy=3.5,
        allow=("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",),
    ),
    Rule(
        "aws-bedrock-api-key", "Amazon Bedrock API key",
        r"(?:(?<![A-Za-z0-9+/])|(?<=\\[nrt]))(?:ABSK[A-Za-z0-9+/]{109,400}={0,2}"
        r"|bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/=%&?._-]{20,2000})",
        ("absk", "bedrock-api-key-"), 0.95,
        _fix("the Amazon Bedrock console > API keys", "AWS_BEARER_TOKEN_BEDROCK"),
        provider="AWS", ai_provider=True, min_entropy=3.5, prefix="ABSK",
    ),
    Rule(
        "github-token", "GitHub token",
        _B + r"gh[pousr]_[A-Za-z0-9]{36}" + _E, ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), 0.95,
        _fix("GitHub Settings > Developer settings > Tokens", "GITHUB_TOKEN"),
        provider="GitHub", min_entropy=3.5, prefix="gh",
    ),
    Rule(
        "github-fine-grained-token", "GitHub fine-grained personal access token",
        _B + r"github_pat_[A-Za-z0-9_]{82}" + _E, ("github_pat_",), 0.95,
        _fix("GitHub Settings > Developer settings > Fine-grained tokens", "GITHUB_TOKEN"),
        provider="GitHub", min_entropy=3.5, prefix="github_pat_",
    ),
    Rule(
        "stripe-secret-key", "Stripe live secret key",
        _B + r"(?:sk|rk)_live_[A-Za-z0-9]{24,99}" + _E, ("_live_",), 0.95,
        _fix("the Stripe dashboard > Developers > API keys (roll key)", "STRIPE_SECRET_KEY"),
        provider="Stripe", min_entropy=3.5, prefix="sk_live_",
    ),
    Rule(
        "private-key", "Private key block",
        # Header lines ("Proc-Type: 4,ENCRYPTED") sit in an atomic group repeated
        # possessively: a line that could be split two ways is split once, so a run of
        # "a: a: a: " is linear instead of exponential (issue 10).
        r"-----BEGIN[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----(?:\\[rn]|\s)++"
        r"(?>[A-Za-z][A-Za-z-]{0,40}: [^\n]{0,200}?(?:\\[rn]|\n)(?:\\[rn]|\s)*+)*+"
        r"[A-Za-z0-9+/=]{40,}+"
        r"(?:[\s\S]{0,12000}?-----END[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----)?",
        ("private key",), 0.97,
        "Treat the key pair as compromised: revoke or replace it wherever it is trusted "
        "(servers' authorized_keys, certificates, deploy keys), generate a new pair, keep "
        "the private half out of the repository and purge it from the git history.",
        provider="", min_entropy=0.0, prefix="-----BEGIN PRIVATE KEY-----", show_suffix=False,
    ),
    # --- name-anchored generic rules (lower confidence) -------------------------------
    Rule(
        "generic-secret", "Secret-like name assigned a high-entropy value",
        r"(?i:api[_.-]?key|apikey|secret|token|auth[_.-]?key|access[_.-]?key"
        r"|private[_.-]?key|credentials?)"
        r"[A-Za-z0-9_.-]{0,24}" + _ASSIGN
        + r"""(?:"([^"\s\\]{12,200})\\?"|'([^'\s\\]{12,200})'|`([^`\s]{12,200})`"""
        # unquoted: not followed by "(" or "[" (a call or an index, not a value)
        r"|([A-Za-z0-9+/=_~-]{16,200})(?![A-Za-z0-9+/=_~.(\[-]))",
        ("key", "secret", "token", "credential"), 0.6,
        "Move this value out of the code into the environment or a secret manager, rotate it "
        "(it is in the history now), and add the file it came from to .gitignore if it is "
        "configuration.",
        min_entropy=3.5, generic=True,
        anchor=r"api[_.-]?key|apikey|secret|token|auth[_.-]?key|access[_.-]?key"
        r"|private[_.-]?key|credential",
    ),
    Rule(
        "generic-password", "Password assigned in code or configuration",
        r"(?i:passw(?:or)?d|passwd|pwd|passphrase)[A-Za-z0-9_.-]{0,16}" + _ASSIGN
        + r"""(?:"([^"\s\\]{8,200})\\?"|'([^'\s\\]{8,200})')""",
        ("pass", "pwd"), 0.5,
        "Move the password out of the code into the environment or a secret manager, change "
        "it (it is in the history now), and never reuse it.",
        min_entropy=2.8, generic=True, anchor=r"passw|pwd|passphrase",
    ),
    Rule(
        "bearer-token", "Bearer token in an Authorization header",
        r"(?i:bearer)\s{1,3}([A-Za-z0-9._~+/-]{24,500}=*)(?![A-Za-z0-9._~+/=-])",
        ("bearer",), 0.6,
        "Do not hard-code Authorization headers: read the token from the environment at run "
        "time, and revoke this one.",
        min_entropy=3.5, generic=True,
    ),
    Rule(
        "url-credentials", "Password embedded in a URL",
        r"://(?:[^\s/:@'\"]{1,64}):([^\s/:@'\"<>{}$]{6,128})@"
        r"[A-Za-z0-9.-]+",
        ("://",), 0.6,
        "Take the password out of the URL: pass it separately from the environment or a "
        "secret manager (e.g. DATABASE_URL set outside the repo), and change it.",
        min_entropy=2.5, generic=True,
    ),
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


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
        _B + r"((?:sk-(?:proj|svcacct|admin|ant-[a-z]{3,5}\d\d|or-v1)-|sk-|sk_live_|sk_test_|"
        r"rk_live_|AIza|hf_|api_org_|pplx-|gsk_|xai-|r8_|lsv2_(?:pt|sk)_|gh[pousr]_|"
        r"github_pat_|ABSK|bedrock-api-key-)" + _LOOSE_BODY + r")" + _E,
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
