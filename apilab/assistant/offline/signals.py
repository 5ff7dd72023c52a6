"""Strong signals in a learner's message: statuses, error codes, exceptions, headers, models.

A pasted traceback says more than the learner's words around it: ``openai.RateLimitError:
Error code: 429 - {... 'code': 'insufficient_quota' ...}`` names the problem exactly. This
module pulls those signals out of the whole message (pasted material included) so the
tutor can answer *that* problem, explained in terms of the learner's question. The
tables of what each signal means live in ``rules/signals.yaml``; nothing here composes
replies.

All patterns are linear (no nested quantifiers); they run on untrusted text.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from importlib import resources
from typing import Any

import yaml

from apilab.assistant import httpinfo

__all__ = ["ModelMention", "Signals", "read_signals", "signal_table"]


def _safe_load(text: str) -> Any:
    """``yaml.safe_load`` through libyaml when PyYAML has it (about 10x faster, same
    safe constructors): loading this package's data is on the CLI's start-up path."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@dataclasses.dataclass(frozen=True)
class ModelMention:
    """A model name as the learner wrote it, and what it resolves to."""

    written: str
    resolved: str | None  # canonical id in the price table, if it resolves
    suggestions: tuple[str, ...] = ()  # close known names when it does not
    retired: str | None = None  # why it no longer works, if it is a retired model
    typo: bool = False  # a recognisable misspelling ("gtp-4", "gpt4-o")
    assumed: bool = False  # resolved from a family name ("claude haiku"): say which one


@dataclasses.dataclass(frozen=True)
class Signals:
    """What the message (prose and pastes) says in machine terms."""

    statuses: tuple[int, ...] = ()
    error_codes: tuple[str, ...] = ()  # provider codes/types: context_length_exceeded, ...
    exceptions: tuple[str, ...] = ()  # SDK exception class names: RateLimitError, ...
    headers: tuple[str, ...] = ()  # lower-case header names mentioned
    finish_reasons: tuple[str, ...] = ()  # finish_reason / stop_reason values
    models: tuple[ModelMention, ...] = ()
    provider: str | None = None  # OpenAI / Anthropic / Gemini when the message says
    # The status of an error report ("status code 401", "HTTP/1.1 429"), not one named in
    # passing: the report is what the learner is stuck on.
    reported: int | None = None

    @property
    def any(self) -> bool:
        return bool(self.statuses or self.error_codes or self.exceptions
                    or self.finish_reasons or self.headers)

    @property
    def model_not_found(self) -> bool:
        """Whether the message reports a model the API could not find (404, model_not_found)."""
        return (404 in self.statuses or "model_not_found" in self.error_codes
                or "NotFoundError" in self.exceptions)

    def model_problems(self) -> list[ModelMention]:
        """Model names that are a problem: retired, misspelt, or unknown to the price table
        in a message about a model not found. A name apilab merely does not price
        ("claude-3-7-sonnet-20250219", "gemini") is not called wrong: the table is not a
        list of every model that exists."""
        return [m for m in self.models if m.retired or m.typo or (
            m.resolved is None and m.suggestions and self.model_not_found)]

    def terms(self) -> list[str]:
        """Search words the signals stand for (from ``rules/signals.yaml``)."""
        table = signal_table()
        words: list[str] = []
        for code in self.error_codes:
            words += table["error_codes"].get(code, {}).get("terms", [])
        for name in self.exceptions:
            words += table["exceptions"].get(name, {}).get("terms", [])
        for reason in self.finish_reasons:
            words += table["finish_reasons"].get(reason, {}).get("terms", [])
        for header in self.headers:
            for prefix, entry in table["headers"].items():
                if header.startswith(prefix):
                    words += entry.get("terms", [])
        if self.model_problems():
            words += table["model_problems"]["terms"]
        return list(dict.fromkeys(str(w) for w in words))

    def cards(self) -> list[str]:
        """Answer cards written for exactly these errors (``cards:`` in signals.yaml)."""
        table = signal_table()
        ids: list[str] = []
        for code in self.error_codes:
            ids += table["error_codes"].get(code, {}).get("cards", [])
        for name in self.exceptions:
            ids += table["exceptions"].get(name, {}).get("cards", [])
        for status in self.statuses:
            ids += table.get("statuses", {}).get(status, {}).get("cards", [])
        for reason in self.finish_reasons:
            ids += table.get("finish_reasons", {}).get(reason, {}).get("cards", [])
        if self.reported and not ids:
            ids.append(f"ab-status-{self.reported}")
        return list(dict.fromkeys(ids))


@functools.cache
def signal_table() -> dict[str, Any]:
    """The signal meanings: error codes, exceptions, finish reasons, headers (data file)."""
    path = resources.files("apilab.assistant.offline") / "rules" / "signals.yaml"
    data: dict[str, Any] = _safe_load(path.read_text(encoding="utf-8"))
    return data


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,60}")
_EXCEPTION = re.compile(r"\b(?:[a-z_]{1,30}\.){0,3}([A-Z][A-Za-z0-9]{1,50}(?:Error|Exception|"
                        r"InV1))\b")
_FINISH = re.compile(r"\b(?:finish_reason|stop_reason|finishReason)\b[\"'\]\s]{0,3}[:=]{1,2}"
                     r"\s{0,3}[\"']?([a-z_]{3,20})", re.I)
_FINISH_PROSE = re.compile(r"\b(?:finish|stop)[ _]reason\b[^.?!\n]{0,30}?[\"'`]([a-z_]{3,20})"
                           r"[\"'`]", re.I)
_HEADER_NAMES = re.compile(
    r"\b(retry-after(?:-ms)?|x-ratelimit-[a-z-]{3,40}|anthropic-ratelimit-[a-z-]{3,40}|"
    r"anthropic-version|x-api-key|openai-organization|openai-project|x-request-id|"
    r"request-id|x-should-retry)\b", re.I)
_PROVIDERS = (("anthropic", "Anthropic"), ("claude", "Anthropic"), ("gemini", "Gemini"),
              ("googleapis", "Gemini"), ("openai", "OpenAI"), ("gpt", "OpenAI"),
              ("chatgpt", "OpenAI"))


_SYSTEM_ROLE = re.compile(r"[\"']role[\"']\s{0,3}:\s{0,3}[\"']system[\"']")
_BARE_FAMILIES = frozenset({"claude", "gemini", "gpt", "chatgpt", "llama", "mistral"})


def _models(text: str) -> tuple[ModelMention, ...]:
    from apilab.assistant.offline.intents import model_candidates
    from apilab.errors import ApilabError, UnknownModelError
    from apilab.pricing import resolve_model

    retired = signal_table()["retired_models"]
    out: list[ModelMention] = []
    seen: set[str] = set()
    candidates = model_candidates(text)
    for written in candidates:
        # model_candidates lists "gpt-4o-mini" then "gpt-4o" then "gpt": keep the longest
        # spelling that is a prefix of nothing already kept.
        if any(s.startswith(written) for s in seen):
            continue
        if written.lower() in _BARE_FAMILIES and not re.search(
                rf"\bmodel\W{{0,6}}{re.escape(written)}(?![\w.-])", text[:4000], re.I):
            # "use claude api from python": the provider, not a model id (model="claude" is).
            continue
        if written not in retired and _unknown(written) and any(
                written.startswith(shorter + "-") and not _unknown(shorter)
                for shorter in candidates):
            # "gpt-3.5-turbo-please" is the real gpt-3.5-turbo followed by a word, not a
            # misspelt model: the longest spelling that IS a model wins.
            continue
        seen.add(written)
        if written in retired:
            out.append(ModelMention(written, None, (), retired[written]))
            continue
        try:
            out.append(ModelMention(written, resolve_model(written)))
        except UnknownModelError as exc:
            if family := _family_model(written):
                out.append(ModelMention(written, family, assumed=True))
            elif exc.suggestions:
                out.append(ModelMention(written, None, tuple(exc.suggestions[:3])))
        except ApilabError:
            continue
        if len(out) >= 4:
            break
    return tuple(out)


# "claude haiku", "claude sonnet 4.5": a family, with or without a dotted version.
_FAMILY = re.compile(r"^claude-(haiku|sonnet|opus)(?:-(\d)(?:[.-](\d))?)?$")


@functools.cache
def _family_model(written: str) -> str | None:
    """The price-table id a Claude family name means: "claude-haiku-4.5" is
    claude-haiku-4-5; a bare "claude haiku" is the newest Haiku in the table (the id is
    printed with every price, so the learner sees which one was taken)."""
    from apilab.errors import ApilabError
    from apilab.pricing import all_prices, resolve_model

    m = _FAMILY.match(written)
    if m is None:
        return None
    family, major, minor = m.groups()
    if major:
        try:
            return resolve_model(f"claude-{family}-{major}" + (f"-{minor}" if minor else ""))
        except ApilabError:
            return None
    first_priced: dict[str, object] = {}
    for entry in all_prices():
        if entry.provider == "anthropic" and family in entry.model:
            first_priced[entry.model] = min(first_priced.get(entry.model, entry.valid_from),
                                            entry.valid_from)
    return max(first_priced, key=first_priced.__getitem__) if first_priced else None


def _unknown(name: str) -> bool:
    """Whether the price table does not know ``name`` (nor an alias of it)."""
    from apilab.errors import ApilabError
    from apilab.pricing import resolve_model

    try:
        resolve_model(name)
    except ApilabError:
        return True
    return False


def _misspelt_models(text: str) -> tuple[ModelMention, ...]:
    """Names like ``gtp-4`` or ``gpt4-o``: not found as models, but clearly meant as one."""
    out = []
    for m in re.finditer(r"\b(gtp[-\s]?[\w.]{1,12}|gpt-?4-?0\b|gpt4-o\b|chat-?gpt-?4o?\b)",
                         text, re.I):
        written = m.group(1)
        guess = re.sub(r"^gtp", "gpt", written, flags=re.I).replace(" ", "-").lower()
        guess = re.sub(r"^gpt(?=\d)", "gpt-", guess)
        guess = {"gpt-4-0": "gpt-4o", "gpt40": "gpt-4o", "gpt4-o": "gpt-4o",
                 "chatgpt-4": "gpt-4o", "chatgpt-4o": "gpt-4o", "chat-gpt-4": "gpt-4o",
                 "chat-gpt-4o": "gpt-4o"}.get(guess, guess)
        if all(m.suggestions[0] != guess for m in out):  # "GTP4" and "GTP 4": one note
            out.append(ModelMention(written, None, (guess,), typo=True))
    return tuple(out)


# Around a model name in the learner's words, signs that they call it, ask about it or it
# fails: "switched to gpt-4", "price of gpt-4", "gpt-4 does not exist", "is text-davinci-003
# still available?". Without one ("before gpt-4 came out", "some gpt-4 calls at 3am that
# weren't me") a retired name is only mentioned: no retirement note, no model-not-found words.
_CALLS_BEFORE = re.compile(r"\b(?:use|uses|using|used|call|calls|calling|called|switch|switched|"
                           r"change|changed|changing|try|tried|trying|set|setting|with|on|to|"
                           r"via|through|upgrade|upgraded|migrate|migrating|model|of|for|about|"
                           r"is|does|can)\W{0,4}$", re.I)
_CALLS_AFTER = re.compile(r"^\W{0,3}(?:\w+\W{1,3}){0,6}?(?:error|errors|404|400|not found|"
                          r"does not exist|doesn'?t exist|deprecated|retired|shut|fail\w*|"
                          r"not work\w*|doesn'?t work|stopped|model_not_found|available|"
                          r"replac\w*|sunset|discontinued|removed|gone)\b", re.I)


def called_models(text: str, prose: str, mentions: tuple[ModelMention, ...]
                  ) -> tuple[ModelMention, ...]:
    """``mentions`` with a retired one dropped when the message only mentions it: outside
    ``prose`` (pasted code, an error) a name is always in use."""
    kept = []
    for mention in mentions:
        if not mention.retired or _calls(text, prose, mention.written):
            kept.append(mention)
    return tuple(kept)


def _calls(text: str, prose: str, written: str) -> bool:
    pattern = re.compile(r"\b" + r"[\s_-]?".join(
        re.escape(p) for p in re.split(r"[\s_-]", written) if p) + r"\b", re.I)
    prose = prose[:4000]
    if not prose.strip():
        return True
    # Pasted material: the message beyond its prose.
    if len(pattern.findall(text[:20000])) > len(pattern.findall(prose)):
        return True
    for m in pattern.finditer(prose):
        if _SOMEONE_ELSE.search(prose[max(0, m.start() - 80):m.end() + 80]):
            continue  # "requests to gpt-4 at 3am that weren't me": an attacker's calls
        if (_CALLS_BEFORE.search(prose[max(0, m.start() - 30):m.start()])
                or _CALLS_AFTER.search(prose[m.end():m.end() + 80])):
            return True
    return False


_SOMEONE_ELSE = re.compile(r"\b(?:weren'?t me|wasn'?t me|not me|someone|somebody|attacker|"
                           r"stolen|leak|leaks|leaked|hacked|unauthori[sz]ed|revoked|refund|"
                           r"i (?:never|don'?t) use)\b", re.I)


def read_signals(text: str, prose: str = "") -> Signals:
    """All the signals in ``text`` (the whole message); ``prose`` for codes said in words."""
    parsed = httpinfo.parse(text)
    statuses: list[int] = []
    if parsed.status:
        statuses.append(parsed.status)
    for code in httpinfo.bare_codes(prose or text):
        if code not in statuses:
            statuses.append(code)
    table = signal_table()
    known_codes = set(httpinfo.ERROR_TYPES) | set(table["error_codes"])
    codes: list[str] = []
    if parsed.error_type and parsed.error_type in known_codes:
        codes.append(parsed.error_type)
    low = text.lower()
    for ident in _IDENT.findall(text):
        if ident in known_codes and ident not in codes and (ident.islower() or ident.isupper()):
            codes.append(ident)
    for phrase, code in table["error_phrases"].items():
        if phrase in low and code not in codes:
            codes.append(code)
    if "RESOURCE_EXHAUSTED" in codes and "insufficient_quota" in codes:
        # Gemini's 429 says "You exceeded your current quota ... plan and billing details"
        # too: a free-tier rate or daily limit, not OpenAI's out-of-credit error.
        codes.remove("insufficient_quota")
    if ("anthropic_system_role" not in codes and _SYSTEM_ROLE.search(text[:8000])
            and re.search(r"\b(?:anthropic|claude)\b", low[:8000])
            and not re.search(r"\b(?:openai|gpt|chat\.completions)\b", low[:8000])):
        # Claude named and a "system" message in the list: the system prompt goes in the
        # top-level ``system`` parameter (the 400 the learner gets, or will).
        codes.append("anthropic_system_role")
    if ("```json" in low[:8000] and ("jsondecodeerror" in low[:8000] or "json.loads" in low[:8000]
                                     or "json.parse" in low[:8000])):
        # "it starts with ```json and ends with ``` ... JSONDecodeError": the fences the
        # model wrapped its JSON in, not a malformed object.
        codes.append("json_in_fences")
    exceptions = []
    for m in _EXCEPTION.finditer(text):
        name = m.group(1)
        if name in table["exceptions"] and name not in exceptions:
            exceptions.append(name)
            status = table["exceptions"][name].get("status")
            if status and status not in statuses:
                statuses.append(int(status))
    reasons = []
    for m in (*_FINISH.finditer(text), *_FINISH_PROSE.finditer(text)):
        value = m.group(1).lower()
        if value in table["finish_reasons"] and value not in reasons:
            reasons.append(value)
    headers = list(dict.fromkeys(h.lower() for h in _HEADER_NAMES.findall(text)))
    provider = parsed.provider
    if provider is None:
        provider = next((name for word, name in _PROVIDERS if word in low), None)
    models = called_models(text, prose, _models(text)) + _misspelt_models(text)
    return Signals(tuple(statuses), tuple(codes), tuple(exceptions), tuple(headers),
                   tuple(reasons), models, provider, parsed.status or _said_report(prose))


# "my app gets 401", "keep getting a 429 back": one status said as what the learner gets is
# the report they are stuck on, as much as a pasted one.
_GETS_STATUS = re.compile(r"\b(?:gets?|getting|got|gives?|giving|returns?|returning|throws?|"
                          r"throwing|hitting|receiv(?:e|es|ed|ing))\s{1,3}(?:an?\s{1,3}|the\s{1,3}|"
                          r"back\s{1,3}(?:an?\s{1,3})?)?(?:https?\s{1,3})?(?:error\s{1,3})?"
                          r"(?:status\s{1,3})?(?:code\s{1,3})?(?P<code>[45]\d\d)\b", re.I)


def _said_report(prose: str) -> int | None:
    codes = httpinfo.bare_codes(prose[:2000])
    if len(codes) != 1:
        return None
    m = _GETS_STATUS.search(prose[:2000])
    return codes[0] if m and int(m.group("code")) == codes[0] else None
