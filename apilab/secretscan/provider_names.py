"""A generic hit whose name names an AI provider must hold that provider's key format.

``OPENAI_API_KEY = ...`` or ``deepgram_key = ...`` says which provider the value is for, and
the provider rules know that provider's formats. When the value has one, the provider's rule
reports it (at a higher confidence than the name rule); when the name rule is the only one
that fires, the value is off the provider's format: too short ("sk-" and 20 characters for
a 48-character key), the wrong alphabet, a hash of the wrong length. Other tools' test
suites are full of such near misses, and in code they are truncated or made-up keys.

A value still counts as the provider's when

- a provider rule accepts it written as ``<name> = "<value>"`` (the hit's own syntax may be
  one the provider rule does not read, such as ``<add key=... value=...>``);
- it starts with a prefix only that provider uses (``sk-ant-``, ``gsk_``) and 32 more
  characters: a key in a layout newer than the rule's is still that provider's key;
- it is a random (version 4) UUID, a key format many services use.

AI providers are checked (their rules cover every documented key format, issue 6), and
GitHub under a name that can only mean its token (``GITHUB_TOKEN``, ``github_api_key``).
A value off the format is still reported when no provider is named (``service_token``).
Pure functions over strings; no I/O.
"""

from __future__ import annotations

import functools
import re

from apilab.secretscan.rules import RULES, Rule
from apilab.secretscan.tokens import reserved_prefixes

__all__ = ["near_miss", "off_format"]

# Provider names that are also common words in identifiers ("cursor", "modal", "together",
# "voyage", "stability", "devin", "exa"): a name holding one says nothing about a provider.
# "openai" too: OPENAI_API_KEY holds the key of any OpenAI-compatible service (a proxy's,
# a local server's), whatever its layout.
_AMBIGUOUS = frozenset({"openai", "cursor", "modal", "together", "voyage", "stability",
                        "devin", "exa",
                        "jina", "upstage", "private", "google", "azure", "aws", "meta",
                        "llama", "ai", "labs", "fal", "z", "authorization"})
# A name that is only a provider's name and key words (TOGETHER_API_KEY, exa_key, HF_TOKEN,
# GEMINI_API_KEY, GROK_API_KEY, modal_token_secret) can only mean that provider, so the
# value must hold one of its formats: the common-word names above, and the short or
# alternative names the vendors' own docs and SDKs read keys from (HF_TOKEN and
# HUGGINGFACEHUB_API_TOKEN in huggingface_hub, GEMINI_API_KEY / GOOGLE_API_KEY in the
# Gemini SDKs, GOOGLE_GENERATIVE_AI_API_KEY in the AI SDK, CO_API_KEY in Cohere's,
# PPLX_API_KEY in Perplexity's examples, ZHIPUAI_API_KEY in zhipuai's, ELEVEN_API_KEY and
# the xi-api-key header for ElevenLabs). Key: the name's words other than key words
# (_KEY_WORDS), sorted and joined by spaces. Not "openai" alone: OPENAI_API_KEY holds any
# OpenAI-compatible service's key; not "cursor": cursor_secret is as often a paging cursor.
_ALONE: dict[str, str] = {
    "modal": "Modal", "together": "Together AI", "voyage": "Voyage AI",
    "stability": "Stability AI", "devin": "Devin", "exa": "Exa", "jina": "Jina AI",
    "upstage": "Upstage", "fal": "fal.ai",
    "hf": "Hugging Face", "huggingfacehub": "Hugging Face", "face hugging": "Hugging Face",
    "face hub hugging": "Hugging Face",
    "gemini": "Google", "google": "Google", "generative google": "Google",
    "grok": "xAI", "pplx": "Perplexity", "co": "Cohere", "eleven": "ElevenLabs",
    "xi": "ElevenLabs", "zhipuai": "Z.ai", "glm": "Z.ai", "claude": "Anthropic",
    "azure openai": "Azure OpenAI", "azure open": "Azure OpenAI",  # azureOpenAIKey
}
# Names that name other credentials beside a key word other than "api key": GOOGLE_TOKEN
# may be an OAuth token, CO_SECRET anything. These count only as <name>_API_KEY.
_API_KEY_ONLY = frozenset({"google", "generative google", "co", "xi"})
_KEY_WORDS = frozenset({"api", "key", "keys", "apikey", "token", "secret", "access", "ai",
                        "x"})
# Services outside AI whose every documented token format has a rule, by the name that
# can only mean their token: GitHub's ghp_/gho_/ghu_/ghs_/ghr_ + 36, github_pat_ + 82 and
# the pre-2021 40 hex ("Behind GitHub's new authentication token formats", GitHub blog,
# 2021). Only with these key words: GITHUB_WEBHOOK_SECRET or GITHUB_CLIENT_SECRET is a
# secret of another kind, whose value any layout may have.
_TOKEN_ONLY: dict[str, str] = {"github": "GitHub", "gh": "GitHub"}
_TOKEN_WORDS = frozenset({"api", "key", "apikey", "token", "access", "pat", "personal",
                          "auth", "oauth"})
_UUID4 = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}"
                    r"-[0-9a-fA-F]{12}")
# A value under a provider's own prefix is a key in a newer layout only with a long body
# after it ("gsk_abc123" is a truncated or made-up key).
_NEWER_LAYOUT_MIN = 32
_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+[0-9]*|[0-9]+")


def _atoms(name: str) -> list[str]:
    """``name``'s words split at separators and case changes (togetherApiKey -> 3 words)."""
    return [m.lower() for part in re.split(r"[^A-Za-z0-9]+", name)
            for m in _CAMEL.findall(part)]


def _words(name: str) -> set[str]:
    """``name``'s words, with digits kept on the word they end ("ai21_key" -> ai21, key)."""
    return {w for w in (*_SPLIT.split(name.lower()),
                        *(m.lower() for m in _CAMEL.findall(name))) if w}


@functools.cache
def _providers() -> dict[str, tuple[Rule, ...]]:
    """Provider word -> the AI-provider rules of that provider."""
    by_provider: dict[str, list[Rule]] = {}
    for rule in RULES:
        if rule.ai_provider and rule.provider:
            by_provider.setdefault(rule.provider, []).append(rule)
    out: dict[str, tuple[Rule, ...]] = {}
    for provider, rules in by_provider.items():
        # The provider's whole name ("Hugging Face" -> huggingface), not its single words
        # ("face", "gateway", "vercel" of "Vercel AI Gateway" name other things too).
        words = {_SPLIT.sub("", provider.lower())}
        # and the names its name-anchored rules look for (not key prefixes like "aiza")
        words |= {k for r in rules if not r.key_keywords for k in r.keywords
                  if k.isalnum() and len(k) >= 4}
        for word in words - _AMBIGUOUS:
            if len(word) >= 3 and not word.isdigit():
                out[word] = (*out.get(word, ()), *rules)
    return out


@functools.cache
def _rules_of(provider: str) -> tuple[Rule, ...]:
    """The AI-provider rules of ``provider``."""
    return tuple(r for r in RULES if r.ai_provider and r.provider == provider)


def _named_rules(name: str) -> set[Rule]:
    """The AI rules of the providers ``name`` names."""
    table = _providers()
    rules = {r for w in _words(name) for r in table.get(w, ())}
    atoms = _atoms(name)
    rest = " ".join(sorted({w for w in atoms if w not in _KEY_WORDS}))
    provider = _ALONE.get(rest)
    if provider and (rest not in _API_KEY_ONLY
                     or {w for w in atoms if w in _KEY_WORDS} <= {"api", "key", "apikey", "ai"}):
        rules |= set(_rules_of(provider))
    others = [w for w in atoms if w not in _TOKEN_WORDS]
    if len(others) == 1 and others[0] in _TOKEN_ONLY and len(atoms) > 1:
        rules |= set(_service_rules(_TOKEN_ONLY[others[0]]))
    return rules


@functools.cache
def _service_rules(provider: str) -> tuple[Rule, ...]:
    """The rules of ``provider`` (AI or not) that read a value by its format."""
    return tuple(r for r in RULES if r.provider == provider)


@functools.cache
def _owned_prefixes() -> dict[str, frozenset[str]]:
    """Provider -> prefixes of 4+ characters that only its rules use (``sk-ant-``, ``gsk_``)."""
    owners: dict[str, set[str]] = {}
    for rule in RULES:
        for prefix in reserved_prefixes(rule.keywords):
            if len(prefix) >= 4:
                owners.setdefault(prefix, set()).add(rule.provider)
    out: dict[str, set[str]] = {}
    for prefix, providers in owners.items():
        if len(providers) == 1:
            out.setdefault(next(iter(providers)), set()).add(prefix)
    return {p: frozenset(v) for p, v in out.items()}


@functools.cache
def _ai_prefixes() -> tuple[str, ...]:
    """The prefixes AI-provider keys start with (``sk-ant-``, ``gsk_``, ``hf_``, ``AIza``):
    4+ characters, or 3 ending in "_"; not the ones many services share (``sk-``, ``sk_``) or
    a common word (``app-``). ``pa-`` or ``fc-`` may start a password."""
    found = {r.prefix for r in RULES if r.ai_provider and not r.generic
             and (len(r.prefix) >= 4 or (len(r.prefix) == 3 and r.prefix.endswith("_")))}
    return tuple(sorted((found | {"sk-ant-"}) - {"sk-", "sk_", "app-"}))


def near_miss(value: str) -> bool:
    """Whether ``value`` starts with an AI provider's own prefix and too little after it
    for a key in any layout (``gsk_abc123``, ``sk-proj-`` and 20): a truncated or made-up
    key, which the provider's rules judge alone, as they do keys a character short."""
    if not value.startswith(_ai_prefixes()):
        return False
    prefix = max((p for p in _ai_prefixes() if value.startswith(p)), key=len)
    return len(value) - len(prefix) < _NEWER_LAYOUT_MIN


def _accepted(rule: Rule, text: str) -> bool:
    from apilab.secretscan import filters  # filters imports the rules, as this module does

    for match in rule.regex.finditer(text):
        _group, index = filters.secret_group(match)
        start, end = match.span(index)
        if filters.accept(rule, text, match, start, end) is not None:
            return True
    return False


def off_format(name: str, value: str) -> bool:
    """Whether ``name`` names an AI provider whose key formats ``value`` does not have.

    Not cached across calls: ``value`` is a secret, and a process-wide cache would keep
    every one a server was shown. A scan already judges each repeated hit once.
    """
    rules = _named_rules(name)
    if not rules or _UUID4.fullmatch(value):
        return False
    owned = _owned_prefixes()
    if any(value.startswith(p) and len(value) - len(p) >= _NEWER_LAYOUT_MIN
           for r in rules for p in owned.get(r.provider, ())):
        return False
    text = f'{name} = "{value}"'
    return not any(_accepted(r, text) for r in rules)
