"""Tools the offline tutor runs when the question calls for them, and only then.

The question decides; pasted material is evidence. A cost is computed when a cost is
asked (with every number given); a pasted JSON document is checked when the question is
about it (or nothing else was said); code is reviewed when the learner asks for a review
or asks about the code; a pasted error is explained in terms of the question. Numbers
inside pasted material ("Limit 200000" in a rate-limit error) never become tool
arguments. Each tool appends its Markdown to the draft and records what it ran.
"""

from __future__ import annotations

import dataclasses
import re
import time
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from apilab.assistant import httpinfo, tools
from apilab.assistant.jsoncheck import (
    JsonCheck,
    broken_rules,
    enforce_example,
    looks_like_template,
    next_checks,
    stated_rules,
)
from apilab.assistant.offline import intents, review
from apilab.assistant.offline.draft import Draft
from apilab.assistant.offline.read import Reading, is_question
from apilab.assistant.offline.workload import (
    PEOPLE_NOUNS,
    Workload,
    apply_change,
    history_growth,
    input_parts,
    is_change,
    looks_like_sizes,
    monthly_budget,
    parse_quantities,
    parse_workload,
    price_model_split,
    price_workload,
    rate_arithmetic,
)
from apilab.errors import ApilabError

if TYPE_CHECKING:
    from apilab.assistant.offline.signals import ModelMention

__all__ = ["PREFERRED_MODELS", "run_tools"]

PREFERRED_MODELS = ("gpt-4o-mini", "gpt-4o", "claude-3-5-haiku", "gemini-2.0-flash")

_COST_ASK = re.compile(r"\b(?:cost|costs|costing|price|priced|pricing|how much|spend|spending|"
                       r"bill|billed|charge|charged|dollars?|usd|expensive|cheap|cheaper|"
                       r"budget|afford|estimate)\b|\$", re.I)
# The learner has a prompt of their own to show ("my prompt", "this system prompt").
_THEIR_PROMPT = re.compile(r"\b(?:my|our|this|the following)\s+(?:\w+\s+)?prompt\b", re.I)
# Asking for a review of it, not for advice ("how do I structure my prompt for cache hits?").
_REVIEW_REQUEST = re.compile(r"\b(?:review|check|look at|feedback|critique|rate|improve|"
                             r"what(?:'s| is) wrong with|is (?:this|it|my \w+(?: \w+)?) "
                             r"(?:ok|okay|right|correct|good|fine|safe|secure))\b", re.I)
_REVIEW_ASK = re.compile(
    r"\b(?:review|check|look at|looks? (?:ok|okay|right|good|correct)|"
    r"is (?:this|it|my \w+|this \w+) "
    r"(?:ok|okay|right|correct|good|fine|safe|secure)|correct\??|feedback|improve|better|"
    r"wrong|mistake|bug|fix|problem with|what(?:'s| is) wrong|why (?:does|doesn't|is|isn't|"
    r"won't|do|am)|doesn'?t work|not working|fails?|error|how (?:should|do) i (?:structure|"
    r"write|improve)|any (?:issues|problems|suggestions)|secure|safe)\b", re.I)
# About the JSON itself; "missing" or "check" alone ("retry-after header missing") is not.
_JSON_ASK = re.compile(r"\b(?:json|valid|validate|parse|parsing|parsed|schema|decode|decoding|"
                       r"malformed|syntax)\b", re.I)
_EXPLAIN_ASK = re.compile(r"\b(?:what does|what is|what's|mean|means|meaning|why|explain|"
                          r"how do i fix|how to fix|fix|help|what (?:should|do) i do|"
                          r"getting|got|get|error|keeps?)\b", re.I)


def run_tools(w: Draft) -> None:
    """Run what the learner's question calls for; results go into ``w.parts``."""
    reading = w.reading
    if reading is None:
        return
    prose = reading.prose
    _model_problems(w, reading)
    _header_values(w, reading.text)
    asked_now = _cost_asked(prose)
    chain = _changed_workload(w, reading)
    if chain is not None:
        _reprice(w, chain, reading)
    elif asked_now or _cost_asked_before(w, prose):
        workload, earlier = _message_workload(prose, _learner_messages(w), asked_now)
        if workload is not None and (workload.has_tokens or workload.rates):
            run_cost(w, workload, reading, earlier)
        else:
            models = [m.resolved for m in reading.signals.models if m.resolved]
            if models and (not _COUNT_DIGIT.search(prose) or _BUDGET_ASK.search(prose)) and \
                    re.search(r"\b(?:price|pricing|cost|how much|cheaper|cheapest|"
                              r"expensive)\b", prose, re.I) and not _how_to_only(prose):
                _say_assumed(w, list(reading.signals.models), models)
                run_price(w, list(dict.fromkeys(models)), budget=bool(_BUDGET_ASK.search(prose)))
    elif w.follows and not w.answering and reading.signals.models:
        # "what about on gpt-4o?" after a workload the tutor did not price: its numbers.
        earlier_workload = parse_workload(w.follows)
        models = [m.resolved for m in reading.signals.models if m.resolved]
        if earlier_workload is not None and earlier_workload.has_tokens:
            run_cost(w, earlier_workload, reading)
        elif models and _PRICE_LINE in w.last_reply() and not _COUNT_DIGIT.search(prose):
            # "how much does gpt-4o-mini cost?" ... "and claude haiku?": the same look-up.
            _say_assumed(w, list(reading.signals.models), models)
            run_price(w, list(dict.fromkeys(models)))
    count = intents.detect_token_count(reading.text if "token" in prose.lower() else "")
    if count:
        run_count(w, count)
    growth = history_growth(prose)
    if growth:
        started = time.perf_counter()
        w.parts.append(growth)
        w.ran("history_growth", {"chars": len(prose)}, started)
        w.hints += ["conversation history", "prompt_tokens keep going up"]
    _capacity(w, reading)
    backoff = intents.detect_backoff(prose)
    if w.last_reply().startswith("**Backoff schedule:") or "\n**Backoff schedule:" in \
            w.last_reply():
        # "start at 2 seconds and 6 retries pls", then "with jitter please, in tenacity":
        # a change to the schedule just shown keeps the numbers said before it.
        earlier = _previous_learner(w)[:_CHAIN_CHARS]
        again = intents.detect_backoff(f"{prose[:_CHAIN_CHARS]}\n{earlier}")
        if again is not None and (backoff is not None or _SCHEDULE_CHANGE.search(prose)):
            backoff = again
    if backoff:
        started = time.perf_counter()
        w.parts.append(tools.render_backoff(backoff.attempts, backoff.base, backoff.cap,
                                            backoff.jitter))
        w.ran("backoff_schedule", dataclasses.asdict(backoff), started)
    _requests(w, reading)
    _reviews(w, reading)
    _errors(w, reading)
    _json(w, reading)


# "how do i count tokens ... so i know what it will cost?": a how-to whose only cost word is
# its purpose; the price list would push the card's code out.
_HOW_TO = re.compile(r"\bhow\s{1,3}(?:do|can|should|would)\s{1,3}(?:i|we|you)\b|\bhow\s{1,3}to\b",
                     re.I)
_PRICE_WORDS = re.compile(r"\b(?:price|prices|pricing|how much|cheaper|cheapest|expensive|"
                          r"per (?:1m|million|1k|token))\b", re.I)


def _how_to_only(prose: str) -> bool:
    head = prose[:600]
    return bool(_HOW_TO.search(head)) and not _PRICE_WORDS.search(head)


# A question about what the limits allow: "how many requests per minute can I do with 90k
# TPM if each request is 3k tokens?", "I only send 10 requests a minute of 20k tokens, why
# 429?".
_CAPACITY_WORDS = re.compile(r"\b(?:tpm|rpm|tokens? (?:per|a|/) ?min(?:ute)?|requests? (?:per|a|/)"
                             r" ?min(?:ute)?|calls? (?:per|a|/) ?min(?:ute)?)\b", re.I)


_CAPACITY_ASK = re.compile(
    r"\bhow many (?:requests|calls|messages|prompts|reqs?)\b|\b(?:can|could) (?:i|we) "
    r"(?:actually |really )?(?:do|send|make|run)\b|\b(?:even though|although|only)\b[^.?!\n]{0,80}"
    r"\b(?:requests|calls|messages) (?:a|per|/) ?min", re.I)


_THOSE_NUMBERS = re.compile(r"\b(?:those|these|my|our|the same|that)\s{1,3}(?:numbers|limits|"
                            r"figures)\b|\bwith (?:that|those|this)\b", re.I)


def _capacity(w: Draft, reading: Reading) -> None:
    """The RPM/TPM arithmetic the retry guide does, for a question asked on its own."""
    prose = reading.prose[:2000]
    # A pasted 429 that names a tokens-per-minute limit asks it too ("... exceed the rate
    # limit for your organization of 50,000 input tokens per minute" + "4000 tokens each").
    limited = 429 in reading.signals.statuses or "RateLimitError" in reading.signals.exceptions
    text = reading.text[:4000] if limited else prose
    if (_CAPACITY_ASK.search(prose) and not _TOKEN_NUMBER.search(prose)
            and _THOSE_NUMBERS.search(prose)):
        # "so with those numbers, how many requests per minute should my 4 workers send?":
        # the numbers are in the learner's last few messages.
        earlier = _learner_messages(w)[-3:]
        text = "\n".join([*(m[:1500] for m in earlier), prose])
        if not _TOKEN_NUMBER.search(text):
            return
    elif not (_CAPACITY_WORDS.search(text) and (_CAPACITY_ASK.search(prose) or limited)
              and _TOKEN_NUMBER.search(prose)):
        return
    started = time.perf_counter()
    worked = rate_arithmetic(text)
    if worked:
        w.parts.append(worked)
        w.ran("rate_capacity", {"chars": len(text)}, started)
        w.hints += ["tokens per minute limit", "rpm tpm"]


# A follow-up to a backoff table that changes it ("with jitter please", "no jitter",
# "make it 6 retries", "start at 2 seconds").
_SCHEDULE_CHANGE = re.compile(r"\b(?:jitter|retries|attempts|start(?:ing)?|cap|base|"
                              r"seconds?|secs?|tenacity)\b", re.I)


# A digit that can be a count, not part of a model name ("gpt-4o-mini", "claude haiku 4.5").
_COUNT_DIGIT = re.compile(r"(?<![\w.-])(?<!haiku )(?<!sonnet )(?<!opus )(?<!gemini )(?<!llama )"
                          r"(?<!gpt )\d")


# A cost word alone ("how are stored tokens billed?", "the footer said 1269 tokens ~= $0.04,
# why is the reply empty?", "it says I can only afford 2000 tokens") asks how billing works,
# or reports a figure or an error: the notes answer that. The calculator runs when a
# sentence with a cost word asks for an amount.
_AMOUNT_ASK = re.compile(
    r"\b(?:how much|what(?:'s| is| would| will| does| do)? (?:\w+ ){0,4}(?:cost|costs|price|"
    r"bill|charge|spend)|cost of|costs? me(?!\s{0,3}(?:about|around|like|~)?\s{0,3}[$£€\d])|"
    r"price (?:of|for)|pricing for|estimate|estimated|"
    r"calculate|calculation|compute|work out|total|per (?:month|day|year|week|hour|request|call|"
    r"user)|a (?:month|day|year)|monthly|daily|yearly|(?:can|could) (?:i|we) afford|"
    r"afford to|budget (?:for|of)|am i right|"
    r"is (?:it|that) (?:about|around|really|correct|right)|cheaper|more expensive|"
    r"expensive (?:is|would|will)|worth|cover|covers|enough|fits? (?:in|into|within)|"
    # "with $3/M in ... how many calls can i make?" (the money is in the sentence)
    r"how many (?:calls|requests|chats|messages|queries|prompts|runs|times|summaries)"
    r"(?: \w+){0,2} (?:can|could|will|would|do|does|is|are))\b",
    re.I)


# Telegraphic asks: "cost for 10k requests, 500 tokens in 200 out, gpt-4o", "... i mean.
# total?" (with token numbers somewhere in the message).
_TERSE_HEAD = re.compile(r"^\W{0,3}(?:(?:and|so|ok)\W+)?(?:the\s+)?(?:cost|price|total|bill)"
                         r"(?:\s+(?:for|of)\b|\s*\?\s*$)"
                         r"|[.,;:!]\s{0,3}(?:(?:and|so)\s+)?(?:the\s+)?(?:cost|price|total|bill)"
                         r"\s*\?\s*$", re.I)


# "whats the monthly number?", "what's the total per day?" after counts.
_NUMBER_ASK = re.compile(r"\bwhat(?:'s| is|s)?\s{1,3}(?:the\s{1,3})?(?:monthly|daily|weekly|"
                         r"yearly|total|final)?\s{0,3}(?:number|total|figure|damage)\b"
                         # "can you just do the math with my numbers?", "crunch the numbers"
                         r"|\b(?:do|run|work out|crunch)\s{1,3}the\s{1,3}(?:math|maths|numbers|"
                         r"calculation|arithmetic)\b|\bcalculate\s{1,3}(?:it|that|this)\b",
                         re.I)


def _asks_total(prose: str) -> bool:
    """"... i mean. total?", "cost for 50k of them": a total asked in a telegraphic sentence."""
    from apilab.assistant.offline.read import sentences

    return any(_terse_total(s) for s in sentences(prose[:2000]))


def _terse_total(sentence: str) -> bool:
    """A sentence opening "cost for ..." or ending "... total?"."""
    return bool(_TERSE_HEAD.search(sentence[:60]) or _TERSE_HEAD.search(sentence[-30:]))


# "how can i make my app cheaper?", "how do I reduce the cost": how to save, not what it costs.
_SAVING_ASK = re.compile(r"\bhow\s{1,3}(?:can|do|could|should)\s{1,3}(?:i|we)\s{1,3}(?:make|get|"
                         r"keep)\b[^.?!\n]{0,30}\bcheaper\b|\b(?:reduce|lower|cut|save on|bring "
                         r"down)\b[^.?!\n]{0,20}\b(?:cost|costs|bill|spend|spending)\b", re.I)
_TOTAL_WORDS = re.compile(r"\bhow much\b|\btotal\b|\bcost me\b|\bper (?:month|day|year)\b",
                          re.I)


def _cost_asked(prose: str) -> bool:
    from apilab.assistant.offline.read import sentences

    return any(not (_SAVING_ASK.search(s) and not _TOTAL_WORDS.search(s)) and (
               (_COST_ASK.search(s) and (_AMOUNT_ASK.search(s) or _terse_cost(s)))
               or _terse_period(s, prose)
               or (_terse_total(s) and bool(_TOKEN_NUMBER.search(prose)))
               or (_NUMBER_ASK.search(s) and any(c.isdigit() for c in prose[:2000]))
               # "is the batch api worth it? comparing gpt-4o-mini vs gemini flash"
               or (_WORTH_ASK.search(s) and bool(_TOKEN_NUMBER.search(prose)))
               # "ok i added 10 dollars. how long will that last?"
               or (_LASTS_ASK.search(s) and _names_money(prose)))
               for s in sentences(prose))


_WORTH_ASK = re.compile(r"\bworth\s{1,3}it\b|\bis\s{1,3}it\s{1,3}worth\b|\bcompar(?:e|ing)\b",
                        re.I)
# "batch api", "batch mode", "message batches": priced at half with the totals.
_BATCH_SAID = re.compile(r"\bbatch(?:es)?\s{0,3}(?:api|mode|job)?\b", re.I)
_LASTS_ASK = re.compile(r"\bhow\s{1,3}long\s{1,3}(?:will|would|does|do|is|can)\b[^.?!\n]{0,30}"
                        r"\blast\b", re.I)
def _names_money(prose: str) -> bool:
    """An amount of money ("$10", "10 dollars") or the learner's credit in ``prose``."""
    head = prose[:2000]
    return any(q.money for q in parse_quantities(head)) or "credit" in head.lower()


# How long money lasts: "I added $10 credit, how much will that last me?"
_BUDGET_ASK = re.compile(r"\blast(?:s)?\b|\bcredits?\b|\bbudget\b|\bbalance\b", re.I)


def _previous_learner(w: Draft) -> str:
    return w.last_learner_message()


# How far back a cost question's numbers, and the workload being discussed, are looked for:
# the learner's last few messages, each cut short (a follow-up leans on the last priced one).
_CHAIN_MESSAGES = 4
_CHAIN_CHARS = 2000
_PRICED = ("**Workload:**", "**Tokens:**")  # the calculator's first line in a reply
_PRICE_LINE = " per 1M input tokens, "  # a model's prices, as ``tools.render_price`` writes
# "each student", "per user": the counts are per person, and the people were counted before.
_PER_PERSON = re.compile(r"\b(?:each|every|per|a)\s{1,3}(" + "|".join(
    sorted(n.rstrip("s") for n in PEOPLE_NOUNS)) + r")\b", re.I)


def _exchanges(w: Draft) -> list[tuple[str, str]]:
    """The learner's last few messages, each with the reply that followed it."""
    out: list[tuple[str, str]] = []
    for role, content in w.turn.history[-2 * _CHAIN_MESSAGES - 2:]:
        if role in ("learner", "user"):
            out.append((content[:_CHAIN_CHARS], ""))
        elif out and not out[-1][1]:
            out[-1] = (out[-1][0], content)
    return out[-_CHAIN_MESSAGES:]


def _learner_messages(w: Draft) -> list[str]:
    return [message for message, _ in _exchanges(w)]


# "users send maybe 10 messages a day each": the people named before do the counting.
_PEOPLE_DO = re.compile(r"\b(?:" + "|".join(sorted(PEOPLE_NOUNS)) + r")\s{1,3}(?:\w+\s{1,3}){0,2}?"
                        r"(?:send|sends|ask|asks|make|makes|post|posts|type|types|write|writes|"
                        r"use|uses|do|does)\b|\b(?:a|per|each|every)\s{1,3}(?:day|week|month)"
                        r"\s{1,3}each\b", re.I)


def _message_workload(prose: str, before: list[str],
                      asked_now: bool = False) -> tuple[Workload | None, str | None]:
    """The workload one message gives, with what it leans on from the learner's messages
    ``before`` it (oldest first); the earlier text it used, if any."""
    workload = parse_workload(prose) or (
        parse_workload(prose, assume_chat_size=True) if asked_now else None)
    person = _PER_PERSON.search(prose) or _PEOPLE_DO.search(prose)
    if workload is not None and workload.has_tokens and person and \
            workload.item_noun not in PEOPLE_NOUNS:
        # "each student maybe 50 questions a week" after "our class of 30 students": the
        # people counted before multiply the per-person numbers.
        for earlier in reversed(before):
            combined = parse_workload(f"{earlier}\n{prose}")
            if combined is not None and combined.item_noun in PEOPLE_NOUNS and \
                    combined.has_tokens:
                return combined, earlier
    if not asked_now and before and (workload is None or not workload.has_tokens
                                     or workload.assumed_size):
        # "its like 200 messages a day, short ones" after "I added $10 credit, how much
        # will that last on gpt-4o-mini?": the numbers and the question before together.
        earlier = before[-1]
        # The new counts first ("no, it's 500 users EACH sending 10 messages a day" after
        # the sizes): the parser takes the first count as the one that holds.
        first = parse_workload(f"{prose}\n{earlier}") if workload is None else None
        if first is not None and first.has_tokens:
            return first, earlier
        return parse_workload(f"{earlier}\n{prose}"), earlier
    if before and workload is not None and not _full(workload) and not _total(workload):
        # "about 800 tokens each, summary maybe 100" after "how much would it cost to
        # summarize 50k support tickets with gpt-4o-mini?": the sizes complete the count.
        combined = parse_workload(f"{before[-1]}\n{prose}")
        if _full(combined):
            return combined, before[-1]
    return workload, None


@dataclasses.dataclass
class _Chain:
    """The workload being discussed: the last one priced, with the changes since."""

    workload: Workload
    text: str  # the message(s) it was read from
    models: list[str]
    applied: list[str] = dataclasses.field(default_factory=list)


def _total(workload: Workload | None) -> bool:
    """A total for a period ("90 million input tokens a day"), or a total that big no
    request holds ("60M input and 9M output tokens"): complete with no count."""
    return workload is not None and workload.has_tokens and not workload.item_noun and \
        workload.items <= 1 and (bool(workload.frequency) or max(
            workload.input_tokens, workload.output_tokens) >= TOTAL_TOKENS)


TOTAL_TOKENS = 2_000_000  # more than any model's context: a total, not one request's size


def _full(workload: Workload | None) -> bool:
    """A workload of its own (counts and sizes), not a change to the one before."""
    return workload is not None and workload.has_tokens and (
        workload.items > 1 or bool(workload.item_noun))


def _earlier_workload(w: Draft) -> _Chain | None:
    """The last workload priced in this conversation, with the changes asked since."""
    pairs = _exchanges(w)
    chain: _Chain | None = None
    for i, (message, reply) in enumerate(pairs):
        if not any(mark in reply for mark in _PRICED):
            continue
        if chain is not None and is_change(message):
            change = apply_change(chain.workload, message)
            if change.share is None:  # a share on another model is priced, not kept
                chain.workload = change.workload
                chain.applied += change.applied
                chain.models = _named_models(message) or chain.models
            continue
        before = [m for m, _ in pairs[:i]]
        found, earlier = _message_workload(message, before, asked_now=_cost_asked(message))
        if found is not None and found.has_tokens:
            text = f"{earlier}\n{message}" if earlier else message
            chain = _Chain(found, text, _named_models(text))
    return chain


def _changed_workload(w: Draft, reading: Reading) -> _Chain | None:
    """The earlier workload, when this message changes it ("what if half of them are long,
    like 3000 tokens?", "and on gpt-4o instead?") rather than asking afresh."""
    prose = reading.prose
    if not w.turn.history or w.answering or not prose.strip():
        return None
    change = is_change(prose) or _asks_total(prose)
    if not change and not w.follows:
        return None  # the common case, before reading model names (a signals pass)
    own = parse_workload(prose)
    if not is_change(prose) and (_full(own) or _total(own)):
        # "how much do 90 million input tokens a day cost on gemini-2.5-flash?": a workload
        # of its own, not a change to the one priced before (7,500 x 90M tokens).
        return None
    named = bool(_named_models(prose))
    if not (change or (w.follows and named and not _full(parse_workload(prose)))):
        return None
    chain = _earlier_workload(w)
    if chain is None or named:
        return chain
    # "what if the key leaks?", "how about caching?" after a priced workload change none of
    # its numbers: the notes answer those.
    change = apply_change(chain.workload, prose)
    if not change.applied and change.share is None and not _cost_asked(prose[:600]) and \
            not looks_like_sizes(prose):
        # "if a job fails halfway through the 6 retries, could it be translated twice?": a
        # number and an "if", but no cost asked; the notes answer it.
        return None
    return chain if change.applied or change.unapplied or change.share is not None else None


def _reprice(w: Draft, chain: _Chain, reading: Reading) -> None:
    """Price the earlier workload with this message's change (or say what it could not
    apply); never a card's worked example in its place."""
    change = apply_change(chain.workload, reading.prose)
    named = _named_models(reading.prose)
    workload_noun = chain.workload.item_noun or "requests"
    applied = [*chain.applied, *change.applied]
    lead = ""
    if applied:
        lead = f"_Your earlier workload, with {'; '.join(applied)}._"
    if change.share is not None and named and chain.models and named[0] != chain.models[0]:
        started = time.perf_counter()
        text, figures = price_model_split(change.workload, change.share, named[0],
                                          chain.models[0], intents.price_date(reading.prose))
        w.parts.append("\n\n".join(p for p in (lead, text) if p))
        w.ran("estimate_cost", {"models": [named[0], chain.models[0]],
                                "share": str(change.share),
                                "totals": [f["total_usd"] for f in figures]}, started)
        w.kind = w.kind or "tool"
        return
    if change.share is not None:
        change.unapplied = (f"{change.share_text} of the {workload_noun}: say what changes for "
                            "them (a size in tokens, or a model)")
    if change.unapplied:
        lead = (f"I couldn't apply \u201c{change.unapplied}\u201d to your earlier workload. Say "
                f"which number changes (\"half of them at 3000 input tokens\", \"50k "
                f"{workload_noun}\", \"300 output tokens each\"); here it is "
                + ("with the changes so far:" if chain.applied else "unchanged:"))
    if not named and chain.models and _BARE_MINI.search(reading.prose[:300]):
        # "redo it for mini please" after pricing gpt-4o: that family's mini.
        mini = _mini_of(chain.models[0])
        named = [mini] if mini else named
    # (none named in either: the model said earlier in the conversation, run_cost finds it)
    models: list[str] | None = named or chain.models or None
    if named and chain.models and _INSTEAD.search(reading.prose[:300]):
        # "what if i used claude haiku instead": the new model beside the one it replaces.
        models = list(dict.fromkeys([*named, *chain.models]))
    run_cost(w, change.workload, reading, chain.text, models=models, lead=lead,
             args={"changed": change.applied, "unapplied": change.unapplied})


_INSTEAD = re.compile(r"\b(?:instead|rather than|switch(?:ed)? to|compared? (?:to|with))\b", re.I)
_BARE_MINI = re.compile(r"\b(?:for|on|with|use|using|to|back to)\s{1,3}(?:the\s{1,3})?mini\b",
                        re.I)


def _mini_of(model: str) -> str | None:
    """The price table's mini of ``model``'s family ("gpt-4o" -> "gpt-4o-mini"), if any."""
    from apilab.errors import ApilabError
    from apilab.pricing import resolve_model

    for candidate in (f"{model}-mini", re.sub(r"-mini$", "", model) + "-mini", "gpt-4o-mini"):
        try:
            return resolve_model(candidate)
        except ApilabError:
            continue
    return None


# Model names side by side ("gpt-4o-mini vs claude-sonnet-4"): each part is read on its own,
# so the second name is not lost in the first one's match.
_MODEL_SEPARATORS = re.compile(r"\s(?:vs\.?|versus|or|and|against|compared (?:to|with))\s"
                               r"|[,;/]|\bthen\b", re.I)
_MAX_MODELS = 4
_MENTION_CHARS = 2000  # a cost question names its models early; a paste is not read


def _mentions(text: str) -> list[ModelMention]:
    """Every model named in ``text`` (a ``ModelMention`` each), in order, at most four."""
    from apilab.assistant.offline.signals import read_signals

    found = list(read_signals(text[:_MENTION_CHARS]).models)
    parts = _MODEL_SEPARATORS.split(text[:_MENTION_CHARS], maxsplit=8)
    if len(parts) > 1:
        for part in parts:
            for mention in read_signals(part).models:
                if all(m.written != mention.written and (m.resolved is None
                                                         or m.resolved != mention.resolved)
                       for m in found):
                    found.append(mention)
    order = {m.written: text.lower().find(m.written.split("-")[0]) for m in found}
    return sorted(found, key=lambda m: order[m.written])[:_MAX_MODELS]


def _last_priced(written: str) -> str | None:
    """The price table's id for a retired model's name, if the table still has it."""
    from apilab.errors import ApilabError
    from apilab.pricing import resolve_model

    try:
        return resolve_model(written)
    except ApilabError:
        return None


def _named_models(text: str) -> list[str]:
    """The price-table ids of the models ``text`` names."""
    return list(dict.fromkeys(m.resolved for m in _mentions(text) if m.resolved))


def _cost_asked_before(w: Draft, prose: str) -> bool:
    """The learner's previous message asked for a cost, and this one gives the numbers
    ("estimate costs for my email classifier" ... "about 20k emails, each maybe 600 tokens")."""
    if not re.search(r"\d", prose) or is_question(prose):
        return False
    if any(mark in w.last_reply() for mark in _PRICED) and _TOKEN_NUMBER.search(prose):
        return True  # token numbers right after a priced workload: price these
    previous = _previous_learner(w)
    return bool(previous) and (_cost_asked(previous) or bool(
        re.search(r"\b(?:estimate|cost|costs|budget|price)\b", previous, re.I)))


_TERSE_COST = re.compile(r"\b(?:cost|price|bill|total)\s*\?$", re.I)


# "20k users, 5 messages a day, 600 tokens in 200 out, gpt-4o-mini, per month?": token
# numbers, then only the period asked for, set off from them ("... 200 out. Monthly?"); not
# "can I only do 90k tokens in a day?", which asks about a limit.
_TERSE_PERIOD = re.compile(r"(?:^|[,;:\u2013-])\s*(?:(?:cost|price|total|bill)\s+)?"
                           r"(?:(?:per|a|an|each|every)\s+|/\s*)(?:day|week|month|year)\s*\?$"
                           r"|(?:^|[,;:\u2013-])\s*(?:daily|weekly|monthly|yearly|annually)"
                           r"(?:\s+(?:cost|price|total|bill))?\s*\?$", re.I)
_TOKEN_NUMBER = re.compile(r"\d[\d,.]{0,12}\s?[km]?\s*(?:(?:input|output|prompt|completion)"
                           r"\s{1,2})?(?:tokens?\b|(?:in|out)\b)", re.I)


def _terse_period(sentence: str, prose: str) -> bool:
    tail = sentence.rstrip()[-24:]
    return bool(_TERSE_PERIOD.search(tail)) and bool(_TOKEN_NUMBER.search(prose))


def _terse_cost(sentence: str) -> bool:
    """"1,15,000 requests of 1k tokens at $2/M - cost?": numbers, then "cost?" at the end."""
    tail = sentence.rstrip()[-12:]
    return bool(_TERSE_COST.search(tail)) and any(c.isdigit() for c in sentence)


def _asked(reading: Reading, pattern: re.Pattern[str]) -> bool:
    return bool(pattern.search(reading.prose)) or not reading.prose.strip()


_PROMPT_AFTER = re.compile(r"[:\n?]\s*(.{12,})$", re.S)
_CLOSING = {"\u201c": "\u201d", "\u2018": "\u2019"}
_QUOTE_LEAD = re.compile(r"(?:it'?s|it is|here it is|here|this)\s{0,3}:?\s{0,3}"
                         r"[\"'`\u201c\u2018]", re.I)


_ROLE_START = re.compile(r"(?:^|[:.!?]\s{1,3}|\n)(?P<role>(?:You are|You're|Act as)\b)")


def _quoted_prompt(text: str) -> str | None:
    """The prompt after "my system prompt:" (or "...review my system prompt? it's: '...'"):
    inside its quotes when it is quoted, so "... any issues?" after the closing quote is not
    part of it."""
    found = _PROMPT_AFTER.search(text[:20000])
    if found is None:
        return None
    body = found.group(1).strip()
    lead = _QUOTE_LEAD.match(body)  # "it's: '...'", "here it is: \"...\""
    if lead:
        body = body[lead.end() - 1:]
    opening = body[:1]
    if opening in ("\"", "'", "`", "\u201c", "\u2018"):
        closing = re.escape(_CLOSING.get(opening, opening))
        # The first quote after a sentence's end, else the last one: "it's a bot" after
        # the closing quote has an apostrophe of its own.
        ends = re.search(r"[.!?)\]]\s?" + closing + r"(?=\s|$|[,.;:!?])", body[1:])
        end = ends.end() if ends else body.rfind(_CLOSING.get(opening, opening))
        if end > 12:
            return body[1:end].strip().rstrip(_CLOSING.get(opening, opening)).strip()
    # "review my system prompt? it's for a recipe app ...\n\n\"You are ChefBot. ...\"": the
    # quoted paragraph after the line about it.
    body = _quoted_paragraph(body)
    # "it's for a homework helper, using gpt-4o-mini: You are StudyBuddy, ...": the prompt
    # starts at its role sentence, not at the line about it.
    role = _ROLE_START.search(body[:400])
    return body[role.start("role"):] if role and role.start("role") > 0 else body


def _quoted_paragraph(text: str) -> str:
    """The prompt itself when the paste wraps it in quotes after a line about it ("it's for
    a recipe app ...\n\n\"You are ChefBot. ...\""): the quoted paragraph, not the intro."""
    for block in text.split("\n\n"):
        block = block.strip()
        closing = _CLOSING.get(block[:1], block[:1]) if block[:1] in "\"'\u201c" else ""
        if closing and len(block) > 40 and block.endswith(closing):
            return block[1:-1].strip()
    return text


def _reviews(w: Draft, reading: Reading) -> None:
    """A reviewer when the learner asks about what they pasted (or pasted only that)."""
    prompt_paste = [p for p in reading.pasted if p.kind in ("prompt", "text")
                    and review.looks_like_system_prompt(p.text)]
    # "here's my draft, review it: '...'" after talking about a prompt is the prompt too.
    asks_prompt = re.search(r"\bsystem prompt|\bmy prompt\b|\bprompt (?:is|below|here)|"
                            r"\b(?:my|this|the)\s{1,3}draft\b", reading.prose, re.I
                            ) or intents.asks_about_own_prompt(reading.prose)
    # "ok v2:" + a paste: the revised draft is reviewed like the first one was.
    revision = intents.detect_revision(reading.prose)
    if prompt_paste and (asks_prompt or revision or _asked(reading, _REVIEW_ASK)):
        _run_review(w, "review_prompt", review.review_prompt(_quoted_paragraph(
            prompt_paste[0].text)))
        return
    revised = None if prompt_paste or asks_prompt else _revised_prompt(reading.text)
    if revised:
        _run_review(w, "review_prompt", review.review_prompt(revised), asked=True)
        return
    rewritten = None if prompt_paste else _rewrite_with_specifics(w, reading.prose)
    if rewritten:
        started = time.perf_counter()
        result = review.review_prompt(rewritten)
        shown = "" if result.problems else f"```text\n{rewritten}\n```\n\n"  # else improved
        _show_review(w, "review_prompt",
                     "I added what you told me (topics, length, rules) to your prompt and "
                     f"reviewed it again:\n\n{shown}{result.render()}",
                     {"problems": [p for p, _ in result.problems], "passed": result.passed,
                      "rewritten": True}, started, asked=True)
        w.add_objectives(result.objectives)
        return
    pasted_other = any(p.kind in ("code", "traceback", "log", "curl", "http")
                       for p in reading.pasted)
    if asks_prompt and not prompt_paste and not pasted_other and \
            _REVIEW_ASK.search(reading.prose):
        # From the whole message: the prose has inline JSON lifted out of it ("Reply in
        # JSON: {...}" would come back as "Reply in JSON: ." and the review would drop it).
        quoted = _quoted_prompt(reading.text)
        # A short prompt is reviewed when the review was asked for in so many words ("review
        # my system prompt: You are a bot. Answer questions." is the weak prompt to improve).
        if quoted and (len(quoted) >= 40 or (
                _THEIR_PROMPT.search(reading.prose) and _REVIEW_REQUEST.search(reading.prose))
                ) and review.looks_like_system_prompt(quoted):
            _run_review(w, "review_prompt", review.review_prompt(quoted))
            return
        if (len(reading.prose.split()) <= 12 and _THEIR_PROMPT.search(reading.prose)
                and _REVIEW_REQUEST.search(reading.prose)):
            # "review my system prompt" with no prompt: ask for it (this does not count).
            # Not "how do I write a system prompt for a support bot?": that asks for advice.
            w.parts.append("Paste your system prompt (in a ``` block, or after a colon) and "
                           "I'll review it against the checklist: role, task, scope, output "
                           "format, what to do when unsure, refusals, untrusted input kept "
                           "apart, and examples - and suggest an improved version.")
            w.kind = "clarify"
            return
    code = _pasted_code(reading)
    if not code.strip():
        return
    if not (_asked(reading, _REVIEW_ASK) or revision) and w.turn.lab.id != "key-security":
        return
    if review.looks_like_retry_code(code) and re.search(
            r"\bretr|\bbackoff|\b429\b|rate.?limit|jitter", reading.text, re.I):
        _run_review(w, "review_retries", review.review_retries(code))
    elif review.uses_keys(code) and (w.turn.lab.id == "key-security" or _ABOUT_KEY_HANDLING.search(
            reading.prose) or _EXPLICIT_REVIEW.search(reading.prose) or revision):
        if reading.pasted_text("code").strip():
            _run_review(w, "review_keys", review.review_keys(reading.text))
        else:
            # Only a .env: it *is* where the key should live, so a code review ("the key's
            # source is unclear") would be wrong; say what makes a .env safe instead.
            _show_review(w, "review_env", _ENV_FILE_NOTE, {}, time.perf_counter())
    elif any(t["name"] == "review_request" and t["args"]["source"] == "python"
             for t in w.tools):
        return  # the request check has the code review's findings in it already
    elif _asked(reading, _REVIEW_ASK) or revision:
        result = review.review_code(code)
        if result.passed or result.problems:
            _run_review(w, "review_code", result)


# Indented source the reader took for a traceback: a function's last line after its loop
# ("    raise RuntimeError('failed')"). A real traceback has "Traceback", 'File "...", line'
# or an unindented "SomeError: ..." line.
_TRACEBACK_LINE = re.compile(r"^(?:Traceback\b|\s*File \"|\S)")


def _pasted_code(reading: Reading) -> str:
    """The pasted code (and .env), with any indented source lines cut off it as a
    "traceback" put back in place, so a reviewer sees the whole function."""
    parts: list[str] = []
    previous = ""
    for paste in reading.pasted:
        if paste.kind in ("code", "env") or (
                paste.kind == "traceback" and previous == "code" and not any(
                    _TRACEBACK_LINE.match(line) for line in paste.text.splitlines()
                    if line.strip())):
            parts.append(paste.text)
        previous = paste.kind
    return "\n".join(parts)


# Asking about the pasted call itself: a check that found nothing is shown only then.
_CALL_ASK = re.compile(
    r"\b(?:what(?:'s| is|s) wrong|wrong with|is (?:this|it|my|the)(?: \w+)? (?:right|correct|"
    r"ok|okay|valid|fine)|why (?:does|doesn'?t|won'?t|isn'?t|is|am i|do i)\b|doesn'?t work|"
    r"not working|won'?t work|review|check (?:this|my|it)|any (?:issues|problems|mistakes)|"
    r"(?:returns?|returning|gives?|giving|get|getting|got) (?:an? |the |this )?(?:error|40\d)|"
    r"fails?|failing|i (?:did|do|have|already) (?:provide|set|pass|add|include|send)\w*)\b"
    # "But I DID provide it??": frustration about a call that should have worked.
    r"|\?\?", re.I)


def _requests(w: Draft, reading: Reading) -> None:
    """A pasted curl command or Python ``requests``/``httpx`` call to an AI API, checked
    when the learner asks what is wrong with it (or pasted only it)."""
    from apilab.assistant.offline import reqcheck

    kinds = reading.pasted_kinds()
    code = reading.pasted_text("code")
    if not ("curl" in kinds or "curl" in code) and "post" not in code and "get" not in code:
        return
    asked_about_call = not reading.prose.strip() or bool(_CALL_ASK.search(reading.prose))
    if not (asked_about_call or _REVIEW_ASK.search(reading.prose)):
        return
    started = time.perf_counter()
    # "what's wrong?" is answered by the problems found; "why a 401?" also gets the notes on
    # that error (the problems found may not be what caused it).
    signals = reading.signals
    specific = bool(signals.statuses or signals.error_codes or signals.exceptions
                    or re.search(r"\b[45]\d\d\b", reading.prose))
    for call in reqcheck.find_calls(reading.text, [p.text for p in reading.pasted
                                                   if p.kind == "code"]):
        result = reqcheck.check_call(call)
        if result is None or not (result.problems or asked_about_call):
            continue
        if call.source == "python":
            result = _with_code_review(result, code)
        w.add_objectives(result.objectives)
        _show_review(w, "review_request", result.render(),
                     {"source": call.source, "problems": [p for p, _ in result.problems],
                      "passed": result.passed}, started,
                     asked=bool(result.problems) and not specific)
        return


def _with_code_review(result: review.Review, code: str) -> review.Review:
    """The request check of Python code, with the code review's other findings after it."""
    found = review.review_code(code)
    mine = " ".join(p for p, _ in result.problems)
    extra = [(p, fix) for p, fix in found.problems
             if not (p.startswith("`messages`") and "`messages`" in mine)]
    passed = [*result.passed, *(p for p in found.passed if p not in result.passed)]
    return dataclasses.replace(result, passed=passed, problems=[*result.problems, *extra],
                               objectives=(*result.objectives, *found.objectives))


# Where a lead-in ends: a colon, a line break, or a question ("ok is this better? '...'").
_LEAD_END = re.compile(r"[:\n]|\?(?=\s)")


# "can you rewrite it with that?", "redo my prompt with those": after a prompt review, the
# specifics the learner gives (topics, length, what never to do) go into the prompt.
_REWRITE_ASK = re.compile(r"\b(?:rewrite|re-write|redo|update|improve|fix|write)\b[^.?!\n]{0,40}"
                          r"\b(?:it|that|this|the prompt|my prompt|prompt|with)\b", re.I)
_TOPICS = re.compile(r"\b(?:topics?|scope|subjects?)\s{0,3}(?:is|are|:|=)?\s{0,3}(?:the\s{1,3})?"
                     r"([^.;\n]{3,120}?)(?=\s{0,3}(?:,\s{0,3}\d|,\s{0,3}(?:never|always|don'?t|"
                     r"do not|answers?|replies)\b|[.;\n]|$))", re.I)
_LENGTH = re.compile(r"\b(\d{1,2})\s{0,2}(?:-|to|or)\s{0,2}(\d{1,2})\s{1,3}sentences?\b|"
                     r"\b(?:under|at most|max(?:imum)?|no more than)\s{1,3}(\d{1,4})\s{1,3}"
                     r"(words|sentences)\b", re.I)
_RULE = re.compile(r"(?:^|[.;,]\s{0,3})(?:it\s{1,3}|the bot\s{1,3}|the model\s{1,3})?"
                   r"(?:should\s{1,3}|must\s{1,3})?"
                   r"((?:never|always|don'?t|do not)\s[^.;\n]{3,120})",
                   re.I)
_REVIEWED = "**Review of your system prompt**"


def _rewrite_with_specifics(w: Draft, prose: str) -> str | None:
    """The learner's last reviewed prompt with the specifics this message gives, when it
    asks for the rewrite; ``None`` otherwise."""
    if _REVIEWED not in w.last_reply() or not _REWRITE_ASK.search(prose[:600]):
        return None
    original = next((p for p in (_quoted_prompt(m) for m in reversed(_learner_messages(w)))
                     if p and review.looks_like_system_prompt(p)), None)
    if original is None:
        return None
    text = prose[:1000]
    lines = [original.strip()]
    topics = _TOPICS.search(text)
    if topics:
        lines.append(f"Only answer questions about {topics.group(1).strip(' ,')}. For anything "
                     "else, say briefly that you can't help with that here.")
    length = _LENGTH.search(text)
    if length:
        lines.append(f"Answer in {length.group(1)}-{length.group(2)} sentences." if length.group(1)
                     else f"Answer in at most {length.group(3)} {length.group(4).lower()}.")
    for rule in _RULE.finditer(text):
        said = rule.group(1).strip(" ,")
        lines.append(said[0].upper() + said[1:] + ".")
    return "\n".join(dict.fromkeys(lines)) if len(lines) > 1 else None


def _revised_prompt(text: str) -> str | None:
    """The prompt after a lead-in such as "ok here's v2:" or "how about now?" (a prompt
    written straight into the message, not in a block), when the rest is one."""
    end = _LEAD_END.search(text, 0, 120)
    if end is None:
        return None
    rest = text[end.end():].strip().strip("'\"\u201c\u201d").strip()
    if len(rest) >= 40 and intents.detect_revision(text[:end.start() + 1]) and (
            review.looks_like_system_prompt(rest)):
        return rest
    return None


# Where a key lives and who can see it; a bare "API key" is not enough ("401 with Entra ID
# but not with the API key" asks about auth, and a key-handling review answered nothing).
_ABOUT_KEY_HANDLING = re.compile(
    r"secret|\.env\b|\bleak|\bsafe|\bsecur|hard-?cod|\bexpos|\bstor(?:e|ed|ing)\b.{0,30}\bkey|"
    r"\bkey\b.{0,30}\bstor(?:e|ed|ing)\b", re.I)

_ENV_FILE_NOTE = (
    "**Your `.env` file**: the right place for a key on your machine, as long as it is "
    "listed in `.gitignore` (`git check-ignore -v .env` says so), never committed, pasted or "
    "shared, and readable only by you. In production the same names come from your host's "
    "secret settings, not from a copied `.env`; commit a `.env.example` with the names and "
    "no values.")

# Asking for a review in so many words, as opposed to "why doesn't this work?" with code.
_EXPLICIT_REVIEW = re.compile(
    r"\b(?:review|check (?:my|this|the)|look (?:at|over)|"
    r"is (?:this|it|my \w+|this \w+) (?:ok|okay|right|correct|good|fine|safe|secure)|"
    r"looks? (?:ok|okay|right|good|correct)|feedback|improve|"
    r"any (?:issues|problems|suggestions)|best practice)\b", re.I)


def _review_asked(prose: str) -> bool:
    """A review asked for in so many words, or a revised draft offered for one ("ok v2:")."""
    return bool(_EXPLICIT_REVIEW.search(prose)) or intents.detect_revision(prose)


def _run_review(w: Draft, name: str, result: review.Review, *, asked: bool = False) -> None:
    if not result.problems and not (asked or _review_asked(w.reading.prose if w.reading
                                                            else "")):
        # "temperature=0 still varies, what could be the issue?" with code: a list of checks
        # that passed reads as "your code is fine" and answers nothing; the notes answer it.
        return
    started = time.perf_counter()
    _show_review(w, name, result.render(),
                 {"problems": [p for p, _ in result.problems], "passed": result.passed},
                 started, asked=asked)
    w.add_objectives(result.objectives)


def _show_review(w: Draft, name: str, text: str, args: dict[str, object],
                 started: float, *, asked: bool = False) -> None:
    """Add a review to the reply; a review that was all the learner asked for is the reply."""
    prose = w.reading.prose if w.reading else ""
    # Nothing but the request: "review my system prompt: ..." (one question at most, the
    # request itself). With another question beside it, the notes answer that one too.
    w.reviewed_as_asked = (asked or _review_asked(prose)) and len(
        w.reading.questions if w.reading else ()) <= 1
    w.parts.append(text)
    w.ran(name, args, started)
    w.kind = "review"


def _errors(w: Draft, reading: Reading) -> None:
    """Explain a pasted error or HTTP response; codes named in prose are left to the card."""
    signals = reading.signals
    pasted = reading.pasted_text("traceback", "http", "log", "json", "js-object", "text",
                                 "code", "curl")
    source = pasted if pasted.strip() else reading.text
    has_error = signals.error_codes or signals.exceptions or httpinfo.parse(source).status
    if not has_error:
        return
    if reading.prose.strip() and not _EXPLAIN_ASK.search(reading.prose) and not (
            reading.problems or reading.questions):
        return
    started = time.perf_counter()
    explained = (httpinfo.explain(source, context=reading.prose)
                 or httpinfo.explain(reading.text))
    if not explained and signals.exceptions:
        explained = _explain_exception(signals.exceptions[0])
    if not explained:
        return
    w.parts.append(explained)
    w.ran("explain_http_response", {"statuses": list(signals.statuses),
                                    "codes": list(signals.error_codes),
                                    "exceptions": list(signals.exceptions)}, started)
    w.kind = w.kind or "explain"


def _explain_exception(name: str) -> str | None:
    from apilab.assistant.offline.signals import signal_table

    entry = signal_table()["exceptions"].get(name)
    if not entry or not entry.get("status"):
        return None
    return httpinfo.explain(f"Error code: {entry['status']}")


# A response's own bookkeeping quoted as evidence (`usage {"prompt_tokens": 88, ...}`), not
# output the learner wants checked. Flat objects of these keys only; bounded.
_API_METADATA = re.compile(
    r"\{\s{0,20}(?:\"(?:prompt_tokens|completion_tokens|total_tokens|input_tokens|output_tokens|"
    r"cached_tokens|reasoning_tokens|finish_reason|stop_reason|index|id|object|created|model)\""
    # One whitespace run before an optional comma and one after it: two runs side by side
    # ("\s*,?\s*") could split the same spaces in many ways, which backtracked
    # exponentially on a 300-character object without its closing brace.
    r"\s{0,5}:\s{0,5}(?:\d{1,12}|\"[^\"\n]{0,80}\"|null)\s{0,20}(?:,\s{0,20})?){1,12}\}")


def _json(w: Draft, reading: Reading) -> None:
    """Check pasted JSON when the question is about it, or when nothing else was said."""
    docs = [p for p in reading.pasted if p.kind == "json" and p.text.strip()
            and not (len(p.text) <= 2000 and _API_METADATA.fullmatch(p.text.strip()))]
    if not docs or any(t["name"] in ("explain_http_response", "review_prompt")
                       for t in w.tools):
        return  # the JSON in a prompt under review is its output format, with placeholders
    if reading.prose.strip() and not _JSON_ASK.search(reading.prose):
        return
    schema = next((p.text for p in docs[1:] if re.search(r"\"(?:properties|\$schema)\"",
                                                         p.text)), None)
    doc = docs[0].text
    if re.search(r"\"(?:properties|\$schema)\"", doc) and len(docs) >= 2 and schema is None:
        doc, schema = docs[1].text, docs[0].text
    started = time.perf_counter()
    earlier: dict[str, object] | None = None
    if schema is None and _SCHEMA_REFERENCE.search(reading.prose):
        earlier = _earlier_schema(w)
    result = tools.json_check(doc, earlier if earlier is not None else schema)
    if not result.parsed and looks_like_template(doc):
        return  # `{"category": ..., "priority": 1-5}` describes the output wanted
    rendered = tools.render_json_check(result)
    if result.parsed:
        rendered = _with_rules(w, reading, result, rendered)
    if earlier is not None:
        rendered += ("\n\n_Checked against the JSON Schema from your earlier message in this "
                     "conversation._")
    elif _SCHEMA_REFERENCE.search(reading.prose):
        rendered += ("\n\n_I found no JSON Schema in your last few messages, so I could only "
                     "check the syntax: paste the schema with the output to check its fields._")
    w.parts.append(rendered)
    if result.parsed and _PARSE_FAILS.search(reading.prose):
        # The JSON shown parses, so what the code parsed was something else: most often the
        # ```json fence or a sentence the model put around it.
        w.parts.append(
            "This JSON parses, so your code was given something more than it: most often the "
            "```` ```json ```` fence the model wrapped around it, or a sentence before or after "
            "it. Print `repr(content)` to see exactly what arrived, and strip the fence (or "
            "ask for JSON mode / structured outputs) before parsing.")
        w.hints += ["markdown code fences", "backticks"]
    w.ran("check_json", {"schema": schema is not None or earlier is not None,
                         "schema_from_history": earlier is not None,
                         "parsed": result.parsed}, started)
    w.kind = w.kind or "tool"


def _with_rules(w: Draft, reading: Reading, result: JsonCheck, rendered: str) -> str:
    """The check, with the ranges and value sets the learner stated in their last few
    messages applied ("priority": 1-5 two turns back, then "priority": 9); without any, the
    next checks for this object's fields (parsing is only step one)."""
    texts = [m[:_SCHEMA_CHARS] for m in _learner_messages(w)[-_SCHEMA_MESSAGES:]]
    rules = stated_rules([*texts, reading.prose])
    broken = broken_rules(result.value, rules)
    head = rendered.split("\n\n", 1)[0].split(" Paste a JSON Schema", 1)[0]
    if broken:
        lines = [f"**It parses, but it breaks {'a rule' if len(broken) == 1 else 'rules'} you "
                 f"stated:** {'; '.join(text for _, text in broken)}.",
                 "Parsing is only step one: parse -> validate the schema -> check business "
                 "rules -> act. Reject this output (or send it back to the model with the "
                 "error); do not act on it. Enforce the rule in code: "
                 f"{enforce_example(broken[0][0])}."]
        if result.validated:
            lines.insert(0, rendered)
        return "\n\n".join(lines)
    if result.validated or result.schema_error:
        return rendered
    kept = [r.field + " " + r.describe() for r in rules.values()
            if any(str(k).lower() == r.field.lower() for k in _fields(result.value))]
    if kept:
        return (f"{head} It also keeps the rules you stated ({'; '.join(kept)}). Parsing is "
                "only step one: validate it against a schema too before acting on it.")
    return f"{head}\n\n{next_checks(result.value)}"


def _fields(value: object) -> list[str]:
    if isinstance(value, dict):
        return [str(k) for k in value]
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [str(k) for k in value[0]]
    return []


# "is it valid for my schema?", "does it match the schema I sent": a schema shown earlier.
_SCHEMA_REFERENCE = re.compile(
    r"\b(?:my|our|the|this|that|same|earlier|above)\s{1,3}(?:json\s{1,3})?schema\b"
    r"|\bschema\s{1,3}(?:above|earlier|from before|i (?:sent|pasted|gave|shared|posted))\b",
    re.I)
# How far back a schema is looked for: the learner's last few messages, each cut short.
_SCHEMA_MESSAGES = 4
_SCHEMA_CHARS = 8000


def _earlier_schema(w: Draft) -> dict[str, object] | None:
    """The JSON Schema in the learner's own recent messages (newest first), if any; the
    tutor's replies are skipped, their examples are not the learner's schema."""
    import json

    from apilab.assistant.jsoncheck import extract_json_blocks

    seen = 0
    for role, content in reversed(w.turn.history):
        if role not in ("learner", "user"):
            continue
        seen += 1
        if seen > _SCHEMA_MESSAGES:
            break
        for block in reversed(extract_json_blocks(content[:_SCHEMA_CHARS])):
            try:
                value = json.loads(block)
            except ValueError:
                continue
            found = _schema_in(value)
            if found is not None:
                return found
    return None


def _schema_in(value: object) -> dict[str, object] | None:
    """A JSON Schema, bare or wrapped as in ``response_format`` (``{"json_schema": {"schema":
    ...}}``); a document with a "properties" field of its own is not taken for one."""
    for _ in range(3):
        if not isinstance(value, dict):
            return None
        if "$schema" in value or (isinstance(value.get("properties"), dict)
                                  and value.get("type", "object") == "object"):
            return value
        value = value.get("json_schema", value.get("schema"))
    return None


# "json.loads fails", "JSON.parse throws", "can't parse it": the learner's parse failed.
_PARSE_FAILS = re.compile(
    r"\b(?:json\.loads?|json\.parse|loads|parse|parsing|decode|decoding)\b.{0,40}?"
    r"\b(?:fails?|failed|failing|errors?|throws?|crash(?:es)?|breaks?|doesn'?t work|won'?t work)\b"
    r"|\b(?:can'?t|cannot|couldn'?t|unable to|fails? to|failed to)\s+(?:\w+\s+)?"
    r"(?:parse|decode|load)\b", re.I)


# "the response headers had retry-after: 23", "x-ratelimit-remaining-tokens: 0": values the
# learner quotes, in prose or pasted (the error explainer reads them only from a parsed
# HTTP response).
_HEADER_VALUE = re.compile(r"\b(retry-after(?:-ms)?|(?:x|anthropic)-ratelimit-[a-z-]{0,40}?"
                           r"remaining(?:-[a-z]{1,20})?)\s{0,3}[:=]\s{0,3}[\"']?(\d{1,9})\b", re.I)


def _header_values(w: Draft, text: str) -> None:
    """What the header values the learner quotes say: how long to wait, which limit ran
    out."""
    started = time.perf_counter()
    values: dict[str, int] = {}
    for m in _HEADER_VALUE.finditer(text[:20000]):
        values.setdefault(m.group(1).lower(), int(m.group(2)))
    if not values:
        return
    lines = []
    if "retry-after" in values or "retry-after-ms" in values:
        seconds = (values["retry-after-ms"] / 1000 if "retry-after-ms" in values
                   else values["retry-after"])
        lines.append(f"**Your `retry-after`:** wait at least **{seconds:g} s** before the next "
                     "request (the official SDKs do that by themselves for short waits); if it "
                     "fails again, back off longer, with jitter.")
    remaining = {k: v for k, v in values.items() if "remaining" in k}
    spent = [k for k, v in remaining.items() if v == 0]
    if spent:
        left = [f"`{k}: {v:,}`" for k, v in remaining.items() if v > 0]
        names = ", ".join(f"`{k}: 0` ({_limit_name(k)})" for k in spent)
        lines.append(f"**Your headers:** {names} is the limit you hit"
                     + (f"; {', '.join(left)} still has room" if left else "")
                     + ". Slow down for that one: fewer or smaller requests until it resets.")
    if lines:
        w.parts.append("\n\n".join(lines))
        w.ran("read_headers", {"headers": sorted(values)}, started)


def _limit_name(header: str) -> str:
    if "input-tokens" in header:
        return "input tokens per minute"
    if "output-tokens" in header:
        return "output tokens per minute"
    return "tokens per minute, TPM" if "tokens" in header else "requests per minute, RPM"


def _model_problems(w: Draft, reading: Reading) -> None:
    """A misspelt or retired model name, or an unknown one behind a 404: say so first."""
    said = reading.text.lower()
    for mention in reading.signals.model_problems():
        squeezed = mention.written.replace("gpt-", "gpt", 1)
        if mention.retired and squeezed != mention.written and squeezed in said and (
                mention.written not in said):
            # "The model `gpt4` does not exist": the id was sent without its hyphen, and
            # the model it meant is retired as well.
            w.notes.append(f"**`{squeezed}` is not a model id: ids are exact, and this one "
                           f"is `{mention.written}` with a hyphen. Even spelt right, "
                           f"`{mention.written}` is {mention.retired}**")
        elif mention.retired:
            w.notes.append(f"**`{mention.written}` is {mention.retired}**")
        elif mention.typo:
            w.notes.append(
                f"**`{mention.written}` looks like a typo for `{mention.suggestions[0]}`.** "
                "A misspelt model id gets `404 model_not_found` (\u201cThe model ... does not "
                "exist or you do not have access to it\u201d); copy the exact id from "
                "`client.models.list()`.")
        else:
            w.notes.append(
                f"**Check the model id `{mention.written}`** - it is not one apilab's price "
                f"table knows (closest: `{mention.suggestions[0]}`). A `404 model_not_found` "
                "means the id is misspelt, retired, or not available to your key or project; "
                "list the ids your key can use with `client.models.list()`.")
        w.on_lab_topic = w.on_lab_topic or w.turn.lab.id == "api-basics"
        if len(w.notes) >= 2:
            break


def run_price(w: Draft, models: list[str], budget: bool = False) -> None:
    started = time.perf_counter()
    lines = []
    for model in models[:3]:
        try:
            lines.append(tools.render_price(model))
        except ApilabError:
            continue
    if not lines:
        return
    if budget:
        lines.append("Tell me roughly how many messages a day and how long they are (\"200 "
                     "short messages a day\") and I'll work out how long your money lasts.")
    else:
        lines.append("Give me token numbers (e.g. \"2M input and 500k output tokens\") and "
                     "I'll work out the exact cost.")
    w.parts.append("\n\n".join(lines))
    w.ran("estimate_cost", {"models": models, "prices_only": True}, started)
    w.kind = w.kind or "tool"


def _say_assumed(w: Draft, mentions: list[ModelMention], models: list[str]) -> None:
    for mention in mentions:
        if mention.assumed and mention.resolved in models:
            w.notes.append(f"_I took `{mention.written}` to mean `{mention.resolved}`, the "
                           "matching model in the price table._")


# "does $50 even cover it?", "is $20 a month enough?": a sum to compare the total with.
_COVER_ASK = re.compile(r"\b(?:cover|covers|enough|fits? (?:in|into|within)|afford|within|"
                        r"over|under)\b", re.I)
_SUM = re.compile(r"\$\s{0,2}(\d[\d,]{0,9}(?:\.\d{1,2})?)\s{0,2}(?:/|per|a|an)?\s{0,2}"
                  r"(day|week|month|year)?", re.I)
_PER_MONTH = {"day": Decimal(30), "week": Decimal("4.345"), "month": Decimal(1),
              "year": Decimal(1) / Decimal(12)}


def _against_budget(prose: str, workload: object, figures: list[dict[str, str]],
                    *, asked: bool = False) -> str:
    """The first model's total set against a monthly budget the learner states, or (not
    ``asked``) a sum they ask about beside "cover", "enough", "within" ... per month."""
    period = getattr(workload, "period", "") or getattr(workload, "frequency", "")
    if not figures or period not in _PER_MONTH:
        return ""
    budget_month = monthly_budget(prose)
    if budget_month is None and not asked:
        # "will $50 cover it?": a sum asked about, with the cover word in its own clause
        # (not "$0.03 is for one message ... over a month", a figure quoted back).
        for m in _SUM.finditer(prose[:2000]):
            clause = prose[max(0, m.start() - 40):m.end() + 40]
            if _COVER_ASK.search(clause) and not _QUOTED_BACK.search(clause):
                budget_month = (Decimal(m.group(1).replace(",", ""))
                                * _PER_MONTH[(m.group(2) or "month").lower()])
                break
    if budget_month is None:
        return ""
    try:
        total = Decimal(figures[0]["total_usd"])
    except (KeyError, ArithmeticError, ValueError):
        return ""
    month = (total * _PER_MONTH[period]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    verdict = ("**no**: that is over" if month > budget_month else "**yes**: that fits in")
    scaled = ("" if period == "month" else
              f" (x{_PER_MONTH[period].normalize():f} for a {period})")
    return (f"Per month{scaled} that is about **${month:,.2f}**, so {verdict} "
            f"${budget_month:,.2f} a month"
            + (" - the Batch API (half price for work that can wait a day), shorter inputs "
               "or a smaller model would close the gap." if month > budget_month else "."))


# "i was going to charge $8/mo", "the plan is $9 a month", "subscription of 12 dollars".
_PRICE_CHARGED = re.compile(
    r"\b(?:charge|charging|price|priced|plan|subscription|costs? (?:them|users|customers)|sell"
    r"(?:ing)?(?: it)? for|pay(?:s)?(?: me)?)\b[^.?!\n]{0,30}?\$\s{0,2}(\d{1,4}(?:\.\d{1,2})?)"
    r"\s{0,3}(?:/\s{0,2}mo(?:nth)?\b|(?:a|per|each)\s{1,3}month\b|monthly\b)", re.I)


def _per_person(workload: object, figures: list[dict[str, str]], prose: str) -> str:
    """A monthly total for N people shared out ("2,000 users": $7.38 a user), and set
    against the price the learner means to charge each of them, when they said one."""
    people = getattr(workload, "items", Decimal(0))
    noun = getattr(workload, "item_noun", "")
    period = getattr(workload, "period", "") or getattr(workload, "frequency", "")
    if noun not in PEOPLE_NOUNS or people <= 1 or not figures or period not in _PER_MONTH:
        return ""
    try:
        month = Decimal(figures[0]["total_usd"]) * _PER_MONTH[period]
    except (KeyError, ArithmeticError, ValueError):
        return ""
    each = (month / people).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    line = (f"**Per {noun.rstrip('s')}:** ${month:,.2f} / {people:,.0f} = **${each:,.2f} a "
            "month**")
    charged = _PRICE_CHARGED.search(prose[:2000])
    if charged:
        price = Decimal(charged.group(1))
        left = price - each
        line += (f"; against your ${price:,.2f} a month that leaves **${left:,.2f}** a "
                 f"{noun.rstrip('s')} ({left / price:.0%})" if left > 0 else
                 f", more than your ${price:,.2f} a month: each one loses you "
                 f"**${-left:,.2f}**")
        line += (" before payment fees, hosting and your heaviest users, so cap usage per "
                 f"{noun.rstrip('s')} or pick a cheaper model")
    return line + "."


# "$0.03 is for one message", "your $645": a figure of the reply before, said back.
_QUOTED_BACK = re.compile(r"\b(?:is for|was for|you said|your|that's only|thats only|only for)\b",
                          re.I)


_PEAK_RATE = re.compile(r"\d[\d,.]{0,9}\s{0,2}k?\s{0,2}(?:requests?|reqs?|calls?)?\s{0,2}"
                        r"(?:/|per|a)\s{0,2}(?:min(?:ute)?|sec(?:ond)?|s)\b|\d[\d,.]{0,9}\s{0,2}"
                        r"k?\s{0,2}(?:rpm|rps|tpm)\b", re.I)


def size_workload(told: str) -> str:
    """A guided plan's workload priced on the model the learner named, against the budget
    they gave ("" unless counts, sizes and a model were all said)."""
    # A peak rate ("300 requests/min") sizes the limits, not the bill: the counts a day or a
    # night do.
    workload = parse_workload(_PEAK_RATE.sub(" ", told[:6000]))
    models = _named_models(told[:6000])
    if workload is None or not _full(workload) or not models:
        return ""
    text, figures = price_workload(workload, models[:1])
    fits = _against_budget(told[:6000], workload, figures, asked=True)
    return "**Your workload, priced:** " + text + (f"\n\n{fits}" if fits else "")


def cost_levers(told: str) -> str:
    """Where a workload's input money goes, part by part ("system prompt 1.5k, 6 chunks of
    700, history up to 3k"), and what the usual levers save on it per month: caching the
    fixed prefix, half the chunks, half the history, the family's small model. "" unless
    the parts, a count per period and a priced model were all said."""
    from apilab.errors import ApilabError
    from apilab.pricing import format_usd, get_price

    parts = input_parts(told[:6000])
    workload = parse_workload(_PEAK_RATE.sub(" ", told[:6000]))
    models = _named_models(told[:6000])
    if len(parts) < 2 or workload is None or not models or workload.frequency not in _PER_MONTH:
        return ""
    try:
        price = get_price(models[0])
    except ApilabError:
        return ""
    requests = workload.items * workload.each * _PER_MONTH[workload.frequency]
    million = Decimal(1_000_000)

    def usd(tokens: Decimal | int, rate: Decimal) -> Decimal:
        return Decimal(tokens) * requests * rate / million

    lines = [f"**Where the input money goes** (`{price.model}`, {requests:,.0f} requests a "
             "month): " + "; ".join(f"{label} {format_usd(usd(n, price.input_per_m))}"
                                    for label, n in parts) + "."]
    levers = []
    fixed = next(((label, n) for label, n in parts
                  if re.search(r"system|instructions|catalog", label)), None)
    if fixed and price.cached_input_per_m is not None and fixed[1] >= 1024:
        save = usd(fixed[1], price.input_per_m - price.cached_input_per_m)
        levers.append(f"caching the {fixed[0]} ({fixed[1]:,} tokens, the same every call) "
                      f"saves about **{format_usd(save)}** at the cached rate")
    for label, n in parts:
        if re.search(r"chunk|passage|document|doc|snippet", label):
            levers.append(f"half the {label.split(' x ')[-1]} saves about "
                          f"**{format_usd(usd(n // 2, price.input_per_m))}**")
        elif "history" in label:
            levers.append(f"half the {label} (a window or a running summary) saves about "
                          f"**{format_usd(usd(n // 2, price.input_per_m))}**")
    small = _mini_of(price.model)
    if small and small != price.model:
        try:
            mini = get_price(small)
        except ApilabError:
            mini = None
        if mini is not None:
            now = usd(workload.input_tokens, price.input_per_m) + usd(
                workload.output_tokens, price.output_per_m)
            then = usd(workload.input_tokens, mini.input_per_m) + usd(
                workload.output_tokens, mini.output_per_m)
            levers.append(f"each 10% of requests moved to `{mini.model}` saves about "
                          f"**{format_usd((now - then) / 10)}**")
    if levers:
        lines.append("Per month, at these sizes: " + "; ".join(levers) + ". Measure answer "
                     "quality after each change (your evals), one lever at a time.")
    return "\n\n".join(lines)


# "what does that cost with and without caching?"
_CACHING_ASK = re.compile(r"\b(?:with|without|using|if (?:i|we) use|turn on|add)"
                          r"(?:\s{1,3}(?:and|or)\s{1,3}without)?\s{1,3}(?:the\s{1,3})?"
                          r"(?:prompt\s{1,3})?cach(?:e|ing)\b"
                          # "does prompt caching actually save money here?", "how much
                          # would caching save"
                          r"|\b(?:prompt\s{1,3})?caching\s{1,3}(?:\w{1,12}\s{1,3}){0,2}?"
                          r"(?:save|saves|help|worth|reduce|cut|lower)\b", re.I)


def run_cost(w: Draft, workload: object, reading: Reading, earlier: str | None = None, *,
             models: list[str] | None = None, lead: str = "",
             args: dict[str, object] | None = None) -> None:
    from apilab.pricing import list_models

    started = time.perf_counter()
    # Every model named, "gpt-4o-mini vs claude-sonnet-4" included; else the one named with
    # the question before.
    mentions = _mentions(reading.prose) or (_mentions(earlier) if earlier else [])
    said_before = ""
    if not mentions and models is None:
        # "budget is $50/month, model is gpt-4o-mini" one message, the numbers the next.
        for message in reversed(_learner_messages(w)):
            if found := [m for m in _mentions(message) if m.resolved]:
                mentions, said_before = found, found[0].resolved or ""
                break
    if models is None:
        models = list(dict.fromkeys(m.resolved for m in mentions if m.resolved))
        if not models:
            # A retired model still has its last list price: pricing it answers "what does
            # my current setup cost" (the retirement is said above the figures).
            models = [m for m in (_last_priced(m.written) for m in mentions if m.retired) if m]
    if said_before:
        w.notes.append(f"_On `{said_before}`, the model you named earlier._")
    _say_assumed(w, mentions, models)
    for mention in mentions:
        if mention.resolved or not mention.suggestions:
            continue  # priced, or retired (_model_problems says so)
        guess = mention.suggestions[0]
        if (mention.typo and models) or guess in models or len(models) >= _MAX_MODELS:
            continue
        models.append(guess)
        w.notes.append(f"_I took `{mention.written}` to mean `{guess}`, the closest name in "
                       "the price table._")
    rates = getattr(workload, "rates", {})
    compare = not models and not rates
    if compare:
        known = {p.model for p in list_models()}
        models = [m for m in PREFERRED_MODELS if m in known][:3]
    text, figures = price_workload(workload, models, intents.price_date(reading.prose),  # type: ignore[arg-type]
                                   caching=bool(_CACHING_ASK.search(reading.prose[:2000])))
    if compare:
        text = ("You didn't name a model, so here is the workload on three common ones (name "
                "one, e.g. \"on gpt-4o-mini\", for just that):\n\n" + text)
    if lead:
        text = f"{lead}\n\n{text}"
    if any(re.match(r"^(?:o\d|gpt-5)", m) for m in models) or re.search(
            r"\breasoning\b", reading.prose, re.I):
        text += ("\n\n_Reasoning models also bill their hidden reasoning tokens as **output** "
                 "(`usage.completion_tokens_details.reasoning_tokens`), so budget more output "
                 "than the visible answer._")
    # A monthly cap the learner set ("cap spending at $50/month") is checked unasked.
    fits = _against_budget(reading.prose, workload, figures,
                           asked=bool(getattr(workload, "budget_monthly", False)))
    if fits:
        text += "\n\n" + fits
    if share := _per_person(workload, figures, reading.prose):
        text += "\n\n" + share
    if _BATCH_SAID.search(reading.prose[:2000]) and figures:
        from apilab.pricing import format_usd

        # OpenAI's Batch API, Anthropic's Message Batches and Gemini's batch mode all bill
        # half the standard rate for results within 24 hours (see the batch cards' sources).
        halves = "; ".join(f"`{f['model']}` **{format_usd(Decimal(f['total_usd']) / 2)}**"
                           for f in figures if f.get("model"))
        if halves:
            text += (f"\n\n**With batch pricing** (half the standard rate, results within "
                     f"24 hours): {halves}. Worth it for a job nobody waits for.")
    w.parts.append(text)
    w.ran("estimate_cost", {"models": models, "rates": {k: str(v) for k, v in rates.items()},
                            "totals": [f["total_usd"] for f in figures], **(args or {})},
          started)
    w.kind = w.kind or "tool"


def run_count(w: Draft, req: tuple[str, str | None]) -> None:
    started = time.perf_counter()
    kind, payload = req
    if kind == "words" and payload:
        words = int(payload)
        w.parts.append(
            f"**{words:,} English words is roughly {round(words / 0.75):,} tokens** "
            "(rule of thumb: 1 token ~ 0.75 words, ~4 characters; code and non-English "
            "text use more). For an exact number, count the real text with tiktoken: "
            "`len(tiktoken.encoding_for_model(\"gpt-4o\").encode(text))`.")
        w.ran("count_tokens", {"words": words}, started)
        w.kind = w.kind or "tool"
        return
    model = "gpt-4o"
    reading = w.reading
    if reading is not None:
        model = next((m.resolved for m in reading.signals.models if m.resolved), model)
    w.parts.append(tools.TOOLS["count_tokens"].run(text=payload or "", model=model))
    w.ran("count_tokens", {"chars": len(payload or ""), "model": model}, started)
    w.kind = w.kind or "tool"
