"""Synthetic test keys, generated at run time (TEST FIXTURES: none of these is a real key).

Keys are built from random characters at their real lengths so no literal key is
ever committed (the repo's own scan and other scanners stay quiet). Every
generator takes a ``random.Random`` so a corpus is reproducible from its seed.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable

from apilab.secretscan.filters import is_placeholder

__all__ = ["AI_FORMATS", "FORMATS", "OTHER_FORMATS", "KeyFormat", "make_key", "rules_found",
           "seeded_text"]

ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "_-"
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
LOWER36 = string.ascii_lowercase + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits

# The OpenAI marker is base64 for "OpenAI"; kept split so this file scans clean.
OPENAI_MARKER = "T3Blbk" + "FJ"


def _r(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def seeded_text(alphabet: str, n: int, seed: int) -> str:
    """``n`` characters of ``alphabet``, the same for the same seed: a rule test's key body."""
    return _r(random.Random(f"{seed}{alphabet}{n}"), alphabet, n)


def rules_found(text: str, path: str = "app.py") -> list[str]:
    """The rule ids of what the scanner finds in ``text`` (as file ``path``), in order."""
    from apilab.secretscan import find_secrets

    return [f.rule for f in find_secrets(text, path)]


def _openai(prefix: str, side: int) -> Callable[[random.Random], str]:
    return lambda rng: prefix + _r(rng, URLSAFE, side) + OPENAI_MARKER + _r(rng, URLSAFE, side)


def _mixed(rng: random.Random, n: int) -> str:
    """``n`` alphanumerics with at least one upper-case letter, lower-case letter and digit."""
    while True:
        body = _r(rng, ALNUM, n)
        if any(c.isupper() for c in body) and any(c.islower() for c in body) and any(
                c.isdigit() for c in body):
            return body


def _clean(rng: random.Random, alphabet: str, n: int) -> str:
    """``n`` random characters holding no placeholder marker ("abcdef" turns up in hex)."""
    while True:
        body = _r(rng, alphabet, n)
        if not is_placeholder(body):
            return body


def _uuid(rng: random.Random) -> str:
    return "-".join(_r(rng, HEX, n) for n in (8, 4, 4, 4, 12))


def _private_key(rng: random.Random) -> str:
    header = "-----BEGIN " + "RSA PRIVATE" + " KEY-----"
    footer = "-----END " + "RSA PRIVATE" + " KEY-----"
    body = "\n".join(_r(rng, B64, 64) for _ in range(6))
    return f"{header}\n{body}\n{footer}"


class KeyFormat:
    """A key type: the rule that must find it, a generator, and the env var apps use."""

    def __init__(
        self, rule: str, make: Callable[[random.Random], str], env: str, length: int | None = None
    ) -> None:
        self.rule = rule
        self.make = make
        self.env = env
        self.length = length

    def __repr__(self) -> str:
        return f"KeyFormat({self.rule})"


AI_FORMATS: tuple[KeyFormat, ...] = (
    KeyFormat("openai-project-key", _openai("sk-" + "proj-", 74), "OPENAI_API_KEY", 164),
    KeyFormat("openai-service-account-key", _openai("sk-" + "svcacct-", 74), "OPENAI_API_KEY",
              167),
    KeyFormat("openai-admin-key", _openai("sk-" + "admin-", 58), "OPENAI_ADMIN_KEY", 133),
    KeyFormat(
        "openai-legacy-key",
        lambda rng: "sk-" + _r(rng, ALNUM, 20) + OPENAI_MARKER + _r(rng, ALNUM, 20),
        "OPENAI_API_KEY", 51,
    ),
    KeyFormat("anthropic-api-key", lambda rng: "sk-ant-" + "api03-" + _r(rng, URLSAFE, 93) + "AA",
              "ANTHROPIC_API_KEY", 108),
    KeyFormat("anthropic-admin-key",
              lambda rng: "sk-ant-" + "admin01-" + _r(rng, URLSAFE, 93) + "AA",
              "ANTHROPIC_ADMIN_KEY", 110),
    KeyFormat("anthropic-oauth-token",
              lambda rng: "sk-ant-" + "oat01-" + _r(rng, URLSAFE, 95), "CLAUDE_CODE_OAUTH_TOKEN"),
    KeyFormat("google-api-key", lambda rng: "AIza" + "Sy" + _r(rng, URLSAFE, 33),
              "GEMINI_API_KEY", 39),
    KeyFormat("huggingface-token", lambda rng: "hf" + "_" + _r(rng, string.ascii_letters, 34),
              "HF_TOKEN", 37),
    KeyFormat("huggingface-org-token",
              lambda rng: "api_" + "org_" + _r(rng, string.ascii_letters, 34), "HF_TOKEN", 42),
    KeyFormat("perplexity-api-key", lambda rng: "pplx" + "-" + _r(rng, ALNUM, 48),
              "PERPLEXITY_API_KEY", 53),
    KeyFormat("groq-api-key", lambda rng: "gsk" + "_" + _r(rng, ALNUM, 52), "GROQ_API_KEY", 56),
    KeyFormat("openrouter-api-key", lambda rng: "sk-or-" + "v1-" + _r(rng, HEX, 64),
              "OPENROUTER_API_KEY", 73),
    KeyFormat("xai-api-key", lambda rng: "xai" + "-" + _r(rng, ALNUM, 80), "XAI_API_KEY", 84),
    KeyFormat("replicate-api-token", lambda rng: "r8" + "_" + _r(rng, ALNUM, 37),
              "REPLICATE_API_TOKEN", 40),
    KeyFormat("langsmith-api-key",
              lambda rng: "lsv2" + "_pt_" + _r(rng, HEX, 32) + "_" + _r(rng, HEX, 10),
              "LANGSMITH_API_KEY"),
    KeyFormat("cohere-api-key", lambda rng: _r(rng, ALNUM, 40), "COHERE_API_KEY", 40),
    KeyFormat("mistral-api-key", lambda rng: _r(rng, ALNUM, 32), "MISTRAL_API_KEY", 32),
    KeyFormat("deepseek-api-key", lambda rng: "sk-" + _r(rng, HEX, 32), "DEEPSEEK_API_KEY", 35),
    KeyFormat("aws-bedrock-api-key", lambda rng: "AB" + "SK" + _r(rng, B64, 128) + "=",
              "AWS_BEARER_TOKEN_BEDROCK"),
    # AI platforms (rules/ai_platforms.py); mixed-case bodies where the rule requires them
    KeyFormat("fireworks-api-key", lambda rng: "fw" + "_" + _mixed(rng, 24),
              "FIREWORKS_API_KEY", 27),
    KeyFormat("cerebras-api-key", lambda rng: "csk" + "-" + _clean(rng, LOWER36, 48),
              "CEREBRAS_API_KEY", 52),
    KeyFormat("nvidia-api-key", lambda rng: "nvapi" + "-" + _r(rng, URLSAFE, 64),
              "NVIDIA_API_KEY", 70),
    KeyFormat("voyage-api-key", lambda rng: "pa" + "-" + _mixed(rng, 43), "VOYAGE_API_KEY", 46),
    KeyFormat("jina-api-key", lambda rng: "jina" + "_" + _mixed(rng, 60), "JINA_API_KEY", 65),
    KeyFormat("pinecone-api-key",
              lambda rng: "pcsk" + "_" + _r(rng, ALNUM, 5) + "_" + _r(rng, ALNUM, 63),
              "PINECONE_API_KEY", 74),
    KeyFormat("langfuse-secret-key", lambda rng: "sk-" + "lf-" + _uuid(rng),
              "LANGFUSE_SECRET_KEY", 42),
    KeyFormat("firecrawl-api-key", lambda rng: "fc" + "-" + _clean(rng, HEX, 32),
              "FIRECRAWL_API_KEY", 35),
    KeyFormat("elevenlabs-api-key", lambda rng: "sk" + "_" + _clean(rng, HEX, 48),
              "ELEVENLABS_API_KEY", 51),
    KeyFormat("minimax-api-key", lambda rng: "sk-" + "api-" + _r(rng, URLSAFE, 119),
              "MINIMAX_API_KEY", 126),
    KeyFormat("deepgram-api-key", lambda rng: _clean(rng, HEX, 40), "DEEPGRAM_API_KEY", 40),
    KeyFormat("assemblyai-api-key", lambda rng: _clean(rng, HEX, 32), "ASSEMBLYAI_API_KEY", 32),
)

OTHER_FORMATS: tuple[KeyFormat, ...] = (
    KeyFormat("aws-access-key-id", lambda rng: "AK" + "IA" + _r(rng, UPPER_DIGITS, 16),
              "AWS_ACCESS_KEY_ID", 20),
    KeyFormat("aws-secret-access-key", lambda rng: _r(rng, B64, 40), "AWS_SECRET_ACCESS_KEY", 40),
    KeyFormat("github-token", lambda rng: "gh" + "p_" + _r(rng, ALNUM, 36), "GITHUB_TOKEN", 40),
    KeyFormat("github-fine-grained-token",
              lambda rng: "github" + "_pat_" + _r(rng, ALNUM + "_", 82), "GITHUB_TOKEN", 93),
    KeyFormat("apilab-sandbox-key", lambda rng: "sk-" + "sbx-" + _r(rng, ALNUM, 40),
              "OPENAI_API_KEY", 47),
    KeyFormat("stripe-secret-key", lambda rng: "sk" + "_live_" + _r(rng, ALNUM, 32),
              "STRIPE_SECRET_KEY"),
    KeyFormat("generic-secret", lambda rng: _r(rng, ALNUM, 6) + _r(rng, string.digits, 2)
              + _r(rng, ALNUM, 24), "SECRET_KEY"),
)

FORMATS: tuple[KeyFormat, ...] = AI_FORMATS + OTHER_FORMATS
BY_RULE = {f.rule: f for f in FORMATS}


def make_key(rule: str, rng: random.Random | None = None) -> str:
    """A fresh synthetic key for ``rule`` (a TEST FIXTURE, never a real key)."""
    return BY_RULE[rule].make(rng or random.Random())


def make_private_key(rng: random.Random | None = None) -> str:
    """A synthetic PEM private-key block (random body; not a usable key)."""
    return _private_key(rng or random.Random())
