"""Turning learner text into search terms: tokens, a light stemmer, stopwords, synonyms.

Learners write "forgets", "memory", "cut off", "too many requests" and "jiter";
the course says "stateless", "max_tokens", "429" and "jitter". This module
bridges that gap with a small suffix-stripping stemmer (no NLP library is
installed, and Porter-class accuracy is not needed for a vocabulary of a few
thousand course words), a synonym table written for this course, and typo
correction against the course's own vocabulary.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable

__all__ = [
    "STOPWORDS",
    "SYNONYMS",
    "content_terms",
    "correct",
    "expand",
    "has_synonyms",
    "stem",
    "tokenize",
]

# Words carrying no topic: question words, chat filler, pronouns, auxiliaries.
_STOP_TEXT = """
a about above after again against all am an and any are aren't as at be because been before
being below between both but by can can't cannot could couldn't did didn't do does doesn't doing
don't during each few for from further had hadn't has hasn't have haven't having he her here
hers herself him himself his how i i'd i'll i'm i've if in into is isn't it it's its itself
let's me more most mustn't my myself no nor not of off on once only or other ought our ours
ourselves out over own same she should shouldn't so some such than that that's the their theirs
them themselves then there there's these they this those through to too under until up very was
wasn't we were weren't what what's when where which while who whom why with won't would wouldn't
you your yours yourself yourselves hi hello hey thanks thank please pls plz ok okay yes yeah
tell explain know want wanted need needs get got gets give show just really actually also
something anything thing things way ways like go going mean means one two lot lots much many
would will shall may might must im ive dont doesnt cant whats hows does vs versus difference
question questions help quick sure kind sort bit anyone someone use using used make makes made
stuff guys bro dude folks basically exactly simply literally anyway maybe probably happen
happened happens work works working best good great nice cool
wat wats wut wht whta ur dis dat abt
time times today now day days flight flights
"""
STOPWORDS = frozenset(_STOP_TEXT.split())

# Learner phrasing -> course vocabulary (both sides are stemmed at build time).
# Multi-word keys are matched as phrases in the raw text.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "forget": ("stateless", "history", "memory", "context"),
    "forgot": ("stateless", "history", "memory"),
    "remember": ("stateless", "history", "memory"),
    "memory": ("stateless", "history", "context"),
    "amnesia": ("stateless", "history"),
    "previous message": ("history", "stateless"),
    "conversation": ("history", "messages"),
    "auth": ("authorization", "bearer"),
    "authenticate": ("authorization", "bearer", "key"),
    "authentication": ("authorization", "bearer", "key"),
    "cut off": ("length", "max_tokens", "truncated"),
    "cutoff": ("length", "max_tokens", "truncated"),
    "truncated": ("length", "max_tokens"),
    "incomplete": ("length", "truncated", "max_tokens"),
    "stops mid": ("length", "truncated", "max_tokens"),
    "too many requests": ("429", "rate", "limit"),
    "throttled": ("429", "rate", "limit"),
    "throttling": ("429", "rate", "limit"),
    "overloaded": ("503", "overload"),
    "outage": ("503", "unavailable", "fallback"),
    "down": ("outage", "unavailable", "fallback", "degrade"),
    "unavailable": ("503", "fallback", "degrade"),
    "while it's being generated": ("stream", "streaming", "sse"),
    "being generated": ("stream", "streaming", "sse"),
    "as it generates": ("stream", "streaming"),
    "word by word": ("stream", "streaming", "sse"),
    "token by token": ("stream", "streaming", "sse"),
    "chunk by chunk": ("stream", "streaming", "sse"),
    "typing effect": ("stream", "streaming"),
    "real time": ("stream", "streaming"),
    "realtime": ("stream", "streaming"),
    "live": ("stream", "streaming"),
    "progressively": ("stream", "streaming"),
    "server-sent": ("sse", "stream"),
    "pushed": ("leak", "commit", "revoke", "leaked"),
    "committed": ("commit", "leak"),
    "exposed": ("leak", "leaked", "revoke"),
    "compromised": ("leak", "revoke", "rotate"),
    "stolen": ("leak", "revoke", "rotate"),
    "stole": ("leak", "revoke", "rotate", "stolen"),
    "steal": ("leak", "revoke", "stolen"),
    "stealing": ("leak", "revoke", "stolen"),
    "hacked": ("leak", "revoke", "compromised"),
    "posted": ("pasted", "leak", "shared", "chat"),
    "shared": ("pasted", "leak", "share"),
    "discord": ("slack", "chat", "pasted"),
    "teams": ("slack", "chat", "pasted"),
    "screenshot": ("pasted", "leak", "chat"),
    "uses my key": ("abuse", "stolen", "charges", "usage", "spend"),
    "someone else": ("abuse", "stolen", "leak"),
    "accidentally": ("leak", "revoke"),
    "accidently": ("leak", "revoke"),
    "abuse": ("leak", "revoke", "usage"),
    "public repo": ("leak", "github", "commit"),
    "credential": ("key", "secret"),
    "credentials": ("key", "secret"),
    "password": ("key", "secret"),
    "token": ("tokens",),
    "hardcode": ("hardcoded", "environment", "variable"),
    "hardcoded": ("environment", "variable"),
    "store": ("environment", "variable", "secret"),
    "keep": ("environment", "variable", "store"),
    "scoped": ("project", "scope", "least", "privilege"),
    "restrict": ("scope", "permission", "least", "privilege"),
    "price": ("cost", "pricing"),
    "prices": ("cost", "pricing"),
    "expensive": ("cost", "pricing", "cheaper"),
    "cheap": ("cost", "cheaper", "mini"),
    "bill": ("cost", "spending", "cap"),
    "invoice": ("cost", "spending", "cap"),
    "spend": ("cost", "spending"),
    "money": ("cost", "spending"),
    "dollars": ("cost",),
    "back off": ("backoff", "retry"),
    "back-off": ("backoff", "retry"),
    "wait": ("backoff", "retry"),
    "random": ("jitter", "temperature"),
    "randomness": ("jitter", "temperature"),
    "different answer": ("temperature", "seed", "deterministic"),
    "same answer": ("temperature", "seed", "deterministic"),
    "each time": ("temperature", "seed"),
    "every time": ("temperature", "seed"),
    "reproducible": ("temperature", "seed"),
    "reduce": ("cheaper", "save", "cost"),
    "save money": ("cost", "cheaper", "cache", "max_tokens"),
    "cut costs": ("cost", "cheaper", "cache", "max_tokens"),
    "token usage": ("tokens", "cost", "max_tokens"),
    "fewer tokens": ("tokens", "cost", "max_tokens"),
    "stampede": ("thundering", "herd", "jitter"),
    "synchronized": ("thundering", "herd", "jitter"),
    "all at once": ("thundering", "herd", "jitter"),
    "at the same time": ("thundering", "herd", "jitter"),
    "parse": ("json", "structured"),
    "parseable": ("json", "structured", "schema"),
    "machine-readable": ("json", "structured"),
    "structured": ("json", "schema"),
    "reliably": ("structured", "schema"),
    "attack": ("injection", "malicious"),
    "hack": ("injection", "malicious"),
    "hijack": ("injection",),
    "jailbreak": ("injection",),
    "malicious": ("injection",),
    "hidden text": ("injection", "indirect"),
    "web page": ("indirect", "injection", "untrusted"),
    "webpage": ("indirect", "injection", "untrusted"),
    "regression": ("eval", "evals", "test"),
    "didn't break": ("eval", "evals", "regression"),
    "break anything": ("eval", "evals", "regression"),
    "broke": ("eval", "regression"),
    "unit test": ("eval", "evals"),
    "instructions": ("system", "prompt"),
    "persona": ("system", "prompt", "role"),
    "off topic": ("scope", "topic", "guardrail", "decline", "system"),
    "off-topic": ("scope", "topic", "guardrail", "decline", "system"),
    "refuse": ("decline", "scope", "guardrail"),
    "chatbot": ("assistant", "chat", "bot"),
    "preflight": ("pre-flight", "checklist"),
    "synchronous": ("stream", "streaming", "wait", "latency"),
    "blocking": ("stream", "streaming", "wait", "latency"),
    "async": ("stream", "streaming", "asyncopenai"),
    "who is talking": ("role", "roles", "user", "assistant"),
    "who said": ("role", "roles", "user", "assistant"),
    "speaker": ("role", "roles"),
    "slow": ("timeout", "latency", "streaming"),
    "hangs": ("timeout",),
    "tokenizer": ("tiktoken", "count"),
    "count tokens": ("tiktoken", "count"),
    "caching": ("cache",),
    "cached": ("cache",),
    "requests per minute": ("rpm",),
    "tokens per minute": ("tpm",),
    "per minute": ("rpm", "tpm"),
    "gitignore": ("ignore", "gitignore", "env"),
    "pre commit": ("pre-commit", "hook", "scan"),
    "precommit": ("pre-commit", "hook", "scan"),
    "hook": ("pre-commit", "scan"),
    "first place": ("prevent", "pre-commit", "gitignore"),
    "stop keys": ("prevent", "pre-commit"),
    "dotenv": ("env", "environment"),
    ".env": ("env", "dotenv", "environment"),
    "env var": ("environment", "variable"),
    "envvar": ("environment", "variable"),
    "cap": ("spending", "limit", "budget"),
    "loop": ("runaway", "cap"),
    "runaway": ("cap", "budget", "loop"),
    "hallucinate": ("validate", "hallucination"),
    "made up": ("hallucination", "validate"),
    "validate": ("validation", "schema"),
    "fallback": ("degrade", "graceful"),
    "hyperparameter": ("temperature",),
    "creative": ("temperature",),
    "deterministic": ("temperature",),
    "randomly different": ("temperature",),
    # Everyday words from real learners' questions (round 3) the course words differently.
    "session": ("stateless", "history", "conversation"),
    "keep context": ("history", "stateless", "context"),
    "follow-up question": ("history", "stateless"),
    "quota": ("insufficient_quota", "billing", "credits"),
    "credits": ("billing", "prepaid", "quota"),
    "credit balance": ("billing", "prepaid", "quota"),
    "free tier": ("billing", "quota", "credits"),
    "free trial": ("billing", "quota", "credits"),
    "charged": ("cost", "billing", "usage"),
    "concurrent": ("rate", "limit", "parallel"),
    "in parallel": ("rate", "limit", "concurrency"),
    "frontend": ("client-side", "browser", "exposed"),
    "front-end": ("client-side", "browser", "exposed"),
    "client side": ("client-side", "browser", "exposed"),
    "mobile app": ("client-side", "exposed", "backend"),
    "secret manager": ("secrets", "manager", "vault"),
    "xss": ("sanitize", "html", "escape"),
}

_TOKEN = re.compile(r"[a-z0-9][a-z0-9_\-\.']*[a-z0-9]|[a-z0-9]")
# Names whose symbols the token pattern would drop ("C#" -> "c", ".NET" -> "net"), spelled
# as words first so a question about the C# client meets the card about it.
_SYMBOL_NAMES = re.compile(r"(?<![a-z0-9.])(?:(c|f)#|c\+\+|\.net\b)")
_SYMBOL_WORDS = {"c#": " csharp", "f#": " fsharp", "c++": " cplusplus", ".net": " dotnet"}


# Chat shorthand for course words: "the convo is long", "2 msgs", "the resp object".
_CHAT_WORDS = {"convo": "conversation", "convos": "conversations", "msg": "message",
               "msgs": "messages", "resp": "response", "req": "request", "reqs": "requests",
               "img": "image", "imgs": "images", "pic": "image", "pics": "images",
               "txt": "text", "prod": "production", "db": "database", "cfg": "config"}


def tokenize(text: str) -> list[str]:
    """Lowercase word tokens; keeps ``max_tokens``, ``gpt-4o-mini``, ``429`` whole."""
    lowered = text.lower().replace("’", "'")
    if "#" in lowered or "+" in lowered or ".net" in lowered:
        lowered = _SYMBOL_NAMES.sub(lambda m: _SYMBOL_WORDS[m.group(0)], lowered)
    raw = _TOKEN.findall(lowered)
    out: list[str] = []
    for tok in raw:
        tok = tok.strip(".'-")
        if not tok:
            continue
        tok = _CHAT_WORDS.get(tok, tok)
        out.append(tok)
        # Also index the parts of compound tokens so "finish_reason" meets "finish reason".
        if any(c in tok for c in "_-.") and not tok.replace(".", "").isdigit():
            out.extend(p for p in re.split(r"[_\-.]", tok) if p and p != tok)
    return out


_VOWELS = set("aeiouy")


@functools.lru_cache(maxsize=20000)
def stem(word: str) -> str:
    """A light English suffix stripper: plurals, -ing, -ed, -ly, -ation/-ize endings."""
    w = word
    if len(w) <= 3 or not w.isalpha():
        return w
    for suffix, repl in (("ational", "ate"), ("ization", "ize"), ("isation", "ize"),
                         ("ations", "ate"), ("ation", "ate"), ("ities", "ity"), ("iness", "y")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)] + repl
            break
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith(("sses", "xes", "ches", "shes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        w = w[:-1]
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            base = w[: -len(suffix)]
            if not (_VOWELS & set(base)):
                break
            if len(base) >= 2 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]  # getting -> get, committed -> commit
            w = base
            break
    if w.endswith("ly") and len(w) > 5:
        w = w[:-2]
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]  # "cache"/"caching" and "rotate"/"rotating" meet at one stem
    return w


_KEYLIKE = re.compile(r"^(sk|pk|rk|hf|ghp|gho|ghs|xox[bp]|aiza|akia|api_org)[-_]", re.I)
_STEMMED_STOPWORDS = frozenset(stem(w) for w in STOPWORDS if len(w) > 3)


def content_terms(text: str) -> list[str]:
    """Stemmed, stopword-free terms of a text, in order (duplicates kept).

    Numbers are kept only from three digits up (status codes, "500 words"): "2" or
    "10" alone says nothing about the topic.
    """
    out = []
    skip_parts: set[str] = set()
    for t in tokenize(text):
        if t in skip_parts:
            continue
        if _KEYLIKE.match(t) or (len(t) >= 20 and any(c.isdigit() for c in t)):
            # A (redacted or placeholder) key or hash says nothing about the question.
            skip_parts.update(p for p in re.split(r"[_\-.]", t) if p)
            continue
        if t.isdigit():
            if len(t) >= 3:
                out.append(t)
            continue
        if len(t) < 2 or t in STOPWORDS:
            continue
        s = stem(t)
        if s not in _STEMMED_STOPWORDS:
            out.append(s)
    return out


_Targets = tuple[str, ...]


@functools.cache
def _stemmed_synonyms() -> tuple[dict[str, _Targets], tuple[tuple[str, _Targets], ...]]:
    single: dict[str, tuple[str, ...]] = {}
    phrases: list[tuple[str, tuple[str, ...]]] = []
    for key, values in SYNONYMS.items():
        targets = tuple(dict.fromkeys(stem(v) for value in values for v in tokenize(value)))
        if " " in key or not key.replace("-", "").replace(".", "").isalnum():
            phrases.append((key, targets))
        else:
            single[stem(key)] = targets
    return single, tuple(phrases)


def has_synonyms(term: str) -> bool:
    """Is ``term`` (stemmed) a learner word the synonym table knows?"""
    return term in _stemmed_synonyms()[0]


def expand(text: str, terms: Iterable[str]) -> tuple[dict[str, float], dict[str, _Targets]]:
    """Synonym expansions: ``(term -> weight, learner term -> its synonym targets)``.

    Phrase synonyms ("cut off", "too many requests") are credited to the learner
    words inside the phrase, so coverage can count them.
    """
    single, phrases = _stemmed_synonyms()
    low = text.lower()
    extra: dict[str, float] = {}
    by_term: dict[str, _Targets] = {}
    terms = list(terms)
    for term in terms:
        targets = single.get(term, ())
        if targets:
            by_term[term] = targets
        for target in targets:
            extra.setdefault(target, 0.5)
    for phrase, targets in phrases:
        if phrase in low:
            for target in targets:
                extra.setdefault(target, 0.6)
            for word in content_terms(phrase):
                if word in terms:
                    by_term[word] = tuple(dict.fromkeys((*by_term.get(word, ()), *targets)))
    return extra, by_term


def correct(term: str, vocabulary_by_initial: dict[str, list[str]]) -> str | None:
    """The closest course word to a misspelt term (same first two letters), if close enough."""
    if len(term) < 5 or not term.isalpha():
        return None
    candidates = [w for w in vocabulary_by_initial.get(term[0], ())
                  if abs(len(w) - len(term)) <= 2 and w[:2] == term[:2]]
    match = difflib.get_close_matches(term, candidates, n=1, cutoff=0.84)
    return match[0] if match else None
