"""Read a cost question's numbers the way a learner writes them, and price the workload.

"50k tickets x 800 in / 100 out on gpt-4o", "10,000 documents of 650 tokens with
65-token summaries", "3 requests per second for 48 hours", "1,15,000 calls a month",
"at $3 per million input and $15 per million output", "am I right that it's 8k?".
``parse_workload`` turns such a message into a ``Workload`` (items x per-item tokens x
frequency x duration, the learner's own rates, a figure they want checked);
``price_workload`` prices it with ``apilab.pricing`` (or their rates) and shows the
arithmetic, answering the question asked. Every number it uses is one the learner gave
or a price row it names; nothing is canned.

Quantities are found with one linear regex pass; the classification looks only at a
few words either side of each number.
"""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal, InvalidOperation

__all__ = ["PEOPLE_NOUNS", "Change", "Quantity", "Workload", "apply_change", "is_change",
           "input_parts", "monthly_budget", "parse_quantities", "parse_workload",
           "price_model_split", "price_workload", "rate_arithmetic"]

_MILLION = Decimal(1_000_000)
MAX_QUANTITIES = 60
_MULT = {"k": 1_000, "K": 1_000, "thousand": 1_000, "m": 1_000_000, "M": 1_000_000,
         "mn": 1_000_000, "mil": 1_000_000, "mio": 1_000_000, "million": 1_000_000,
         "millions": 1_000_000, "lakh": 100_000, "lakhs": 100_000, "lac": 100_000,
         "crore": 10_000_000, "b": 1_000_000_000, "bn": 1_000_000_000,
         "billion": 1_000_000_000}
_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
          "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
          "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100,
          "half a": Decimal("0.5"), "a couple of": 2, "a few": 3, "a dozen": 12}
# A number: "1,15,000" (Indian grouping), "50,000", "1_000_000", "1.5", ".5", "1e6"; then an
# optional multiplier word or letter. Each alternative is anchored by digits, so the scan
# is linear.
_NUMBER = re.compile(
    r"(?<![\w./-])(\d{1,3}(?:,\d{2,3})+(?:\.\d+)?|\d+(?:_\d{3})+|\d+(?:\.\d+)?(?:e\d{1,2})?"
    r"|\.\d+)(?:\s?(k|K|thousand|mn|mil|mio|millions?|m|M|lakhs?|lac|crore|bn|billion|b)"
    r"(?![A-Za-z]))?", re.I)
_WORD_NUMBER = re.compile(
    r"\b(half a|a couple of|a few|a dozen|an?|one|two|three|four|five|six|seven|eight|nine|"
    r"ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|hundred)\s+(thousand|million|"
    r"billion|hundred thousand|lakh|crore)\b", re.I)


@dataclasses.dataclass(frozen=True)
class Quantity:
    """A number in the text, with where it sits."""

    value: Decimal
    start: int
    end: int
    text: str
    money: bool = False  # "$3", "3 dollars", "USD 3"


def _to_decimal(raw: str, mult: str | None) -> Decimal | None:
    try:
        value = Decimal(raw.replace(",", "").replace("_", ""))
    except InvalidOperation:
        return None
    if mult:
        factor = _MULT.get(mult) or _MULT.get(mult.lower())
        if factor is None:
            return None
        value *= factor
    return value


def parse_quantities(text: str) -> list[Quantity]:
    """Every number in ``text`` ("50k", "1.5M", "1,15,000", "two million", "$3")."""
    out: list[Quantity] = []
    for m in _NUMBER.finditer(text):
        mult = m.group(2)
        # "5 m" is ambiguous (metres, minutes); only a glued "5m" or "5 million" counts.
        if mult and mult.lower() in ("m", "b") and " " in m.group(0):
            mult = None
        value = _to_decimal(m.group(1), mult)
        if value is None:
            continue
        before = text[max(0, m.start() - 4) : m.start()]
        after = text[m.end() : m.end() + 9].lower()
        money = "$" in before or after.lstrip().startswith(("dollar", "usd", "bucks"))
        end = m.end() if mult else m.start() + len(m.group(1))
        out.append(Quantity(value, m.start(), end, text[m.start():end], money))
    for m in _WORD_NUMBER.finditer(text):
        base = Decimal(str(_WORDS[m.group(1).lower()]))
        scale = m.group(2).lower()
        factor = Decimal(100_000 if scale == "hundred thousand" else _MULT[scale])
        out.append(Quantity(base * factor, m.start(), m.end(), m.group(0)))
    out.sort(key=lambda q: q.start)
    del out[MAX_QUANTITIES:]  # a cost question has a handful; a paste of thousands is not one
    # Drop numbers inside another (a word number overlapping a digit run cannot happen,
    # but "2 million" after "two million" etc. would): keep the first.
    kept: list[Quantity] = []
    for q in out:
        if kept and q.start < kept[-1].end:
            continue
        kept.append(_with_range(text, q))
    return kept


# "8k-15k tokens", "5-10/min", "3 to 5 calls": a range, taken at its upper end (the size the
# limits and the budget must hold).
_RANGE_TAIL = re.compile(r"\s{0,2}(?:-|\u2013|to)\s{0,2}(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
                         r"(?:\s?(k|thousand|m|million)(?![A-Za-z]))?", re.I)


def _with_range(text: str, q: Quantity) -> Quantity:
    tail = _RANGE_TAIL.match(text, q.end, q.end + 24)
    if tail is None:
        return q
    upper = _to_decimal(tail.group(1), tail.group(2))
    whole = q.value == q.value.to_integral_value()
    if upper is None or upper <= q.value or (not tail.group(2) and not whole):
        return q  # "2024-10-01" is a date, not a range down to 10
    return Quantity(upper, q.start, tail.end(), text[q.start:tail.end()], q.money)


# --- model names -----------------------------------------------------------------------------

# A model name's numbers are versions, never quantities: "claude haiku 4.5", "gpt 4.1 mini",
# "gpt-4o", "claude 3.5 sonnet", "gemini 2.5 flash", "llama 3 70b". A family word starts a
# name; a bounded walk over the next few parts takes model words, one version and one size.
_MODEL_FAMILY = re.compile(r"\b(?:chat-?gpt|gpt|claude|gemini|llama|mistral|mixtral|qwen|"
                           r"deepseek|grok|gemma|phi|haiku|sonnet|opus|o(?=\d))", re.I)
_MODEL_PART = re.compile(r"[ \t-]{0,2}([A-Za-z0-9]{1,12}(?:\.\d{1,2})?)\b")
_MODEL_PART_WORDS = frozenset({
    "haiku", "sonnet", "opus", "flash", "pro", "mini", "nano", "turbo", "lite", "instruct",
    "chat", "preview", "vision", "latest", "exp", "thinking", "coder", "large", "small",
    "medium", "ultra", "nemo", "maverick", "scout", "r", "v", "o"})
_VERSION = re.compile(r"\d(?:\.\d{1,2})?o?|\d{8}|\d{4}", re.I)  # 3, 4.5, 4o, 20241022
_PARAM_SIZE = re.compile(r"\d{1,3}b", re.I)  # "70b": parameters, not tokens
# "4o mini", "4.1 nano", "3.5 turbo": a version with a model word, the family left out.
_BARE_VERSION = re.compile(r"(?<![\w.$])(?:\d(?:\.\d{1,2})?o?(?=[ -](?:mini|nano|turbo|"
                           r"sonnet|haiku|opus|flash|pro)\b)|4o\b)", re.I)
_MODEL_PARTS_MAX = 5


def _mask_models(text: str) -> str:
    """``text`` with model names blanked (same length, so positions still line up)."""
    spans: list[tuple[int, int]] = []
    for m in _MODEL_FAMILY.finditer(text):
        if spans and m.start() < spans[-1][1]:
            continue  # "claude haiku": the walk from "claude" took "haiku" already
        end, version, size = m.end(), False, False
        for _ in range(_MODEL_PARTS_MAX):
            part = _MODEL_PART.match(text, end)
            if part is None:
                break
            word = part.group(1).lower()
            if word in _MODEL_PART_WORDS:
                end = part.end()
            elif not version and _VERSION.fullmatch(word) and not _counted_next(text,
                                                                               part.end()):
                end, version = part.end(), True
            elif version and not size and _PARAM_SIZE.fullmatch(word) and not _counted_next(
                    text, part.end()):
                end, size = part.end(), True
            else:
                break
        spans.append((m.start(), end))
    for m in _BARE_VERSION.finditer(text):
        spans.append((m.start(), m.end()))
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


# A number followed by what it counts is a quantity even after a model word ("on sonnet 5
# requests a minute"): a version is never followed by tokens or requests.
_COUNTED_NEXT = re.compile(r"[ \t]{0,3}(?:[kmb]\b|thousand|million|tokens?|words?|requests?|"
                           r"calls?|messages?|questions?|times|users?|students?|queries|"
                           r"documents?|tickets?|emails?|per\b|a (?:day|week|month|minute|"
                           r"second|hour)\b|x\b)", re.I)


def _counted_next(text: str, index: int) -> bool:
    return bool(_COUNTED_NEXT.match(text, index))


# --- classification ------------------------------------------------------------------------

_TIME_SECONDS = {"second": 1, "sec": 1, "s": 1, "minute": 60, "min": 60, "hour": 3600,
                 "hr": 3600, "h": 3600, "day": 86400, "week": 604800, "month": 2_592_000,
                 "year": 31_536_000}
_TIME_WORD = (r"(second|sec|minute|min|hour|hr|day|week|month|year)s?\b")
_FREQ = re.compile(r"^\s*(?:requests?|calls?|times|req|queries|messages)?\s*(?:per|a|an|each|"
                   r"every|/)\s*" + _TIME_WORD, re.I)
# "10k docs to gpt-4o-mini every night": the rate later in the same clause.
# (Not past another number: "50 users x 20 questions a day per month" is the questions' day
# and the month asked for, not the users' month.)
_FREQ_NEAR = re.compile(r"^[^.,;!?\n\d]{0,40}?\b(?:per|each|every)\s{1,3}" + _TIME_WORD, re.I)
_FREQ_ADJ = {"daily": "day", "hourly": "hour", "weekly": "week", "monthly": "month",
             "yearly": "year", "annually": "year", "rps": "second", "rpm": "minute",
             "qps": "second"}
# A rate written as a unit: "10 req/s", "5 rps", "300 requests/min", "40 calls/h".
_RATE_UNIT = re.compile(
    r"^\s*(?:(?:requests?|reqs?|calls?|queries|messages|msgs?)\s*)?(?:/\s*(?:(s|sec|second)|"
    r"(min|minute)|(h|hr|hour)|(d|day))\b|(rps|qps)\b|(rpm)\b)", re.I)
_RATE_UNIT_NAMES = ("second", "minute", "hour", "day", "second", "minute")
# "daily cost", "monthly bill": the period asked for, not how often the items come.
_ADJ_ASKS = re.compile(r"\s*(?:api\s+)?(?:cost|costs|bill|spend|price|total|budget|charges?)\b",
                       re.I)
# Money to spend, not a price or a total to check: "I added $10 credit", "a $50 budget".
_BUDGET_BEFORE = re.compile(r"\b(?:added|add|topped up|top up|loaded|deposited|bought|have|"
                            r"budget(?: of)?|balance(?: of)?|afford|"
                            # "cap my app at $20/month", "limit spend to $50"
                            r"(?:cap|limit)(?:\s{1,3}[a-z']{1,12}){0,3}?\s{1,3}(?:at|to))"
                            r"\s*(?:about|around|like|only)?\s*(?:\$|usd|us\$)?\s*$", re.I)
_BUDGET_AFTER = re.compile(r"\s*(?:dollars?|usd|bucks)?\s*(?:of\s+)?(?:api\s+)?(?:credits?|"
                           r"budget|balance|prepaid)\b", re.I)
# "200 messages a day, short ones": a size in words, priced on stated assumptions.
_SIZE_WORD = re.compile(r"\b(short|brief|small|quick|long|big|large|lengthy)\b", re.I)
# A typical chat turn sends the instructions and the history so far with the new message.
_ASSUMED_SIZE = {"short": (300, 200), "typical": (1000, 250), "long": (1500, 500)}
_CHAT_NOUNS = frozenset({"messages", "message", "chats", "questions", "prompts", "requests",
                         "queries", "conversations", "turns", "replies", "calls"})
# People each make the counted requests: "20k users, 5 messages a day" is 5 per user.
_PEOPLE_NOUNS = frozenset({"users", "customers", "visitors", "members", "students", "people",
                           "ppl", "folks", "persons", "learners", "teachers", "staff",
                           "employees", "agents", "subscribers", "clients", "players",
                           "patients", "developers", "devs", "accounts", "seats"})
PEOPLE_NOUNS = _PEOPLE_NOUNS  # for the tool runner: "each student" leans on "30 students"
# One of them, for "each user", "per student", "/day/student" (longest first).
_PERSON_ALTERNATION = "|".join(sorted(
    {n[:-1] for n in _PEOPLE_NOUNS if n.endswith("s") and n != "folks"} | {"person"},
    key=len, reverse=True))
_DURATION = re.compile(r"\b(?:for|over|during|in|within)\s+(?:the\s+next\s+|a\s+|an\s+|one\s+)?"
                       r"(\d+(?:\.\d+)?)?\s*" + _TIME_WORD, re.I)
# "50 questions a week, 14 weeks": a count of a time unit with no "for" is the duration too.
_BARE_DURATION = re.compile(r"^\s{0,3}(?:school\s|working\s|work\s|business\s|week\s|"
                            r"trading\s)?(second|minute|hour|day|week|month|year)s?\b"
                            r"(?!\s{0,3}(?:per|a|an|each|every|/)\b)", re.I)
_RATE_BEFORE = re.compile(r"\b(?:per|every|each|a|an)\s{0,3}$|/\s{0,3}$", re.I)
# "over a month", "in a week", "per month": the period a total covers.
_TOTAL_OVER = re.compile(r"\b(?:over|in|per|for|a|each)\s{1,3}(?:a\s{1,3}|one\s{1,3}|the\s{1,3})?"
                         r"(day|week|month|year)\b|\b(monthly|daily|weekly)\b", re.I)
_ASKED_PERIOD = re.compile(r"\b(?:per|a|an|each|every|/|in a|for a|for one|over a)\s*"
                           r"(hour|day|week|month|year)\b|\b(hourly|daily|weekly|monthly|yearly|"
                           r"annually)\b",
                           re.I)
_TOKEN_AFTER = re.compile(
    r"^\s*-?\s*(?:(input|prompt|in|output|completion|out|generated|cached|cache|reasoning|"
    r"thinking|context)\s+)?(?:tokens?|toks?|tkns?)\b(?:\s+(?:of\s+)?(input|prompt|in|output|"
    r"completion|out|cached|reasoning))?", re.I)
_SIDE_AFTER = re.compile(r"^\s*(?:tokens?\s+)?(?:of\s+)?(input|prompt|in|output|completion|out|"
                         r"generated|cached|reasoning)\b", re.I)
_SIDE_BEFORE = re.compile(r"\b(input|prompt|output|completion|cached|reasoning|in|out|reply|"
                          r"replies|responses?|answers?|summary|summaries|generated)"
                          r"(?:\s+tokens?)?\s*(?:of|:|=|~|≈|around|about|approx\.?)?\s*$", re.I)
# "output is just a label like 5 tokens", "the summary is like 120 tokens": the side a few
# words back in the same clause (what the model writes is output).
_SIDE_IN_CLAUSE = re.compile(r"\b(output|completions?|reply|replies|responses?|answers?|"
                             r"summary|summaries|generated)\b"
                             r"(?:,?\s+(?:is|are|will be|would be|just|only|maybe|about|around|"
                             r"like|roughly|usually|a|an|the|short|single|one|label|word|"
                             r"category|number|score|text|length|size|of|name|names|id|tag|"
                             r"value)){1,7}[\s(~≈:,-]{0,4}$",
                             re.I)
_WORDS_AFTER = re.compile(r"^\s*-?\s*words?\b", re.I)
# "2000 token docs", "a 900-token email": the size of what is sent, so input.
_SIZED_INPUT = re.compile(r"^\s{0,2}-?\s{0,2}tok(?:en)?s?\s{1,3}(?:long\s{1,3})?"
                          r"(?:docs?|documents?|pages?|files?|articles?|emails?|tickets?|transcripts?|texts?|"
                          r"inputs?|chunks?|pdfs?|reviews?|posts?|contracts?|reports?)\b", re.I)
_REQUEST_NOUNS = frozenset({"messages", "message", "requests", "request", "calls", "call",
                            "questions", "question", "queries", "query", "chats", "prompts",
                            "conversations", "turns", "emails", "documents", "docs", "tickets",
                            "searches", "completions", "notes", "summaries", "articles",
                            "descriptions", "translations", "uploads", "files", "images",
                            "reviews", "posts", "pages", "reports", "generations", "msgs",
                            "msg", "rewrites", "edits", "replies", "responses", "answers",
                            "tasks", "jobs", "runs", "lookups", "suggestions", "transcripts",
                            "recipes", "analyses", "classifications", "extractions",
                            "invoices", "receipts", "products", "items"})
_EACH_NEAR = re.compile(r"\beach\b|\bper (?:user|customer|person|visitor|member|session|"
                        r"student|employee|agent)\b|\bapiece\b", re.I)
# "... plus gets 500 tokens back", "the model returns ~300 tokens": what comes back is output.
_BACK_AFTER = re.compile(r"^\s{0,3}(?:back|in\s{1,3}(?:return|reply|response)|returned)\b", re.I)
_GETS_BEFORE = re.compile(r"\b(?:gets?|getting|receives?|returns?|replies with|answers with|"
                          r"writes|generates)\s{1,3}(?:back\s{1,3})?(?:about|around|like|roughly|"
                          r"~|maybe)?\s{0,3}$", re.I)
# "the 150 words is the OUTPUT", "2000 tokens are the input".
_SIDE_IS = re.compile(r"^\s{0,3}(?:tokens?|words?)?\s{0,3}(?:is|are|=)\s{1,3}"
                      r"(?:the\s{1,3}|my\s{1,3}|just\s{1,3}|only\s{1,3})?"
                      r"(input|prompt|output|completion)\b", re.I)
_INTO_BEFORE = re.compile(r"\b(?:into|down to|summar(?:y|ies) of|answers? of|replies of|"
                          r"responses? of)\s*(?:about|around|roughly|~)?\s*$", re.I)
# Words with the side they are on: "500 words in", "200 output words", "300 words of output".
_WORDS_SIDE = re.compile(
    r"^\s*-?\s*(?:(input|prompt|in|output|completion|out|generated)\s+)?words?\b"
    r"(?:\s+(?:of\s+)?(input|prompt|in|output|completion|out|generated|summary|summaries|"
    r"answers?|replies|reply|responses?)\b)?", re.I)
_ITEM_AFTER = re.compile(r"^\s*(?:(?:new|news|short|long|large|small|support|customer|daily|"
                         r"monthly|active|paying|paid|free|premium|registered|"
                         r"pdf|text|user|product|summary|summari[sz]ation|"
                         r"translation|classification|extraction|batch|background|email|chat)"
                         r"\s+){0,2}([a-z]{3,20})\b", re.I)
_NOT_ITEMS = frozenset({"tokens", "token", "words", "word", "characters", "chars", "percent",
                        "per", "times", "and", "or", "with", "for", "each", "every", "the",
                        "dollars", "usd", "cents", "bucks", "rpm", "tpm", "ms", "seconds",
                        "second", "minutes", "minute", "hours", "hour", "days", "day", "weeks",
                        "week", "months", "month", "years", "year", "in", "out", "input",
                        "output", "prompt", "completion", "of", "to", "on", "at", "is", "are",
                        "was", "but", "if", "so", "retries", "attempts", "gb", "mb", "kb",
                        "models", "model", "x", "by", "from", "a", "an", "max", "cap",
                        "limit", "temperature", "tier", "tiers", "people", "percentages",
                        # where the app runs, not what it is asked ("a bot in ~40 servers")
                        "servers", "server", "channels", "guilds", "workspaces", "instances",
                        "workers", "pods", "machines", "regions", "projects", "keys",
                        "cores", "threads", "processes", "replicas",
                        # "22 working days": days, not 22 of anything asked
                        "working", "work", "business", "school", "workdays", "weekdays"})
_RATE_AFTER = re.compile(
    r"^\s*(?:dollars?|usd)?\s*(?:per|/|for|a|each)\s*(?:1\s*|one\s*)?(m|mtok|million|1m|k|"
    r"thousand|1k)\b(?:\s+(input|prompt|output|completion|cached|in|out)\b)?|"
    r"^\s*(?:dollars?|usd)?\s*/\s*(?:1)?(m|k)\b", re.I)
_PRICE_SIDES = r"(input|prompt|output|completion|cached)"
_RATE_SIDE = re.compile(rf"\b{_PRICE_SIDES}\b", re.I)
_RATE_SIDE_BEFORE = re.compile(rf"\b{_PRICE_SIDES}(?:\s{{1,3}}(?:at|is|costs?|=|:|of))?"
                               r"\s{0,3}(?:\$|usd\s?)?$", re.I)
_CLAIM_CONTEXT = re.compile(
    r"\b(?:am i right|is (?:that|it|this) (?:right|correct)|correct\??$|right\??$|"
    r"i (?:got|get|calculated|estimated|figured|came up with|think it'?s)|"
    r"comes? (?:out )?to|works? out (?:to|at)|should (?:it )?be|would (?:it )?be|"
    r"is it (?:about|around|really)?|it'?s (?:about|around)?|estimate[ds]? (?:of|at)?)",
    re.I)


@dataclasses.dataclass
class Workload:
    """A priced question: what is counted, how often, for how long, at which rates."""

    items: Decimal = Decimal(1)  # requests/documents/tickets per frequency period
    item_noun: str = ""  # "tickets", "documents"
    input_tokens: Decimal = Decimal(0)  # per item (or total when items == 1)
    output_tokens: Decimal = Decimal(0)
    cached_tokens: Decimal = Decimal(0)
    reasoning_tokens: Decimal = Decimal(0)
    words_in: Decimal = Decimal(0)  # learner gave words, not tokens (approximate)
    words_out: Decimal = Decimal(0)  # the same, for the answer ("200 words out")
    each: Decimal = Decimal(1)  # requests per item: "3k users, each sends 8 messages"
    each_noun: str = ""
    frequency: str = ""  # per "second" / "day" / ... (items are per this period)
    period: str = ""  # the period the total is for ("month", "48 hours")
    periods: Decimal = Decimal(1)  # frequency periods in ``period``
    rates: dict[str, Decimal] = dataclasses.field(default_factory=dict)  # per 1M, learner's
    claimed: Decimal | None = None  # a total the learner asks us to check
    budget: Decimal | None = None  # money they have to spend ("I added $10 credit")
    budget_monthly: bool = False  # "cap spending at $50/month": a rate, not a sum that lasts
    assumed_size: bool = False  # tokens assumed from "short ones", not given
    claimed_money: bool = True
    notes: list[str] = dataclasses.field(default_factory=list)
    # A share of the items with another size on one side ("what if half of them are long,
    # like 3000 tokens?"): that share has ``split_tokens`` there instead.
    split_share: Decimal = Decimal(0)
    split_side: str = ""
    split_tokens: Decimal = Decimal(0)
    fixed_input: Decimal = Decimal(0)  # tokens of each request's input that never change

    @property
    def total_items(self) -> Decimal:
        return self.items * self.each * self.periods

    def totals(self) -> tuple[int, int, int]:
        """Total (input, output incl. reasoning, cached) tokens over the whole period."""
        n = self.total_items
        return (int(self._side_total("input", n)),
                int(self._side_total("output", n) + n * self.reasoning_tokens),
                int(self._side_total("cached", n)))

    def _side_total(self, side: str, n: Decimal) -> Decimal:
        per_item: Decimal = getattr(self, f"{side}_tokens")
        if self.split_share and side == self.split_side:
            return n * (1 - self.split_share) * per_item + n * self.split_share * \
                self.split_tokens
        return n * per_item

    @property
    def has_tokens(self) -> bool:
        return bool(self.input_tokens or self.output_tokens or self.cached_tokens
                    or self.reasoning_tokens or self.split_tokens)


def _side(word: str | None) -> str:
    w = (word or "").lower()
    if w in ("input", "prompt", "in", "context"):
        return "input"
    if w in ("output", "completion", "completions", "out", "generated", "reply", "replies",
             "response", "responses", "answer", "answers", "summary", "summaries"):
        return "output"
    if w in ("cached", "cache"):
        return "cached"
    if w in ("reasoning", "thinking"):
        return "reasoning"
    return ""


def _slash_pair(text: str, q: Quantity, quantities: list[Quantity]) -> str:
    """"800 in / 100 out", "800/100 in/out": the side of a number in an in/out pair."""
    after = text[q.end : q.end + 30].lower()
    if re.match(r"^\s*/\s*[\d.,]+[km]?\s*(?:tokens?\s*)?\(?\s*in\s*/\s*out", after):
        return "input"
    before = text[max(0, q.start - 14) : q.start].lower()
    if re.search(r"\d[km]?\s*/\s*$", before) and re.match(r"^\s*(?:tokens?\s*)?\(?\s*in\s*/\s*out",
                                                          after):
        return "output"
    return ""


# A job that runs once a night (or morning) runs once a day: "10k docs every night".
_NIGHTLY = re.compile(r"\b(?:(every|each|per|a)\s{1,3}(?:night|evening|morning)|(nightly))\b",
                      re.I)


def _as_daily(m: re.Match[str]) -> str:
    return "daily" if m.group(2) else f"{m.group(1)} day"


def _rate_at(text: str, q: Quantity) -> tuple[str, Decimal, int] | None:
    """``(side, dollars per 1M tokens, end of its unit)`` when the amount ``q`` is a price
    ("$0.15 per 1M input", "$2.50/1M"), else ``None``."""
    rate = _RATE_AFTER.match(text[q.end : q.end + 60])
    if rate is None:
        return None
    unit = (rate.group(1) or rate.group(3) or "m").lower()
    per_m = q.value * (1000 if unit in ("k", "thousand", "1k") else 1)
    # The side named just before the price ("input at $3/M and output $15/M") wins over
    # one further on, which belongs to the next price.
    before = _RATE_SIDE_BEFORE.search(text[max(0, q.start - 16):q.start])
    side = _side(rate.group(2)) or (_side(before.group(1)) if before else "") or _side(
        next(iter(_RATE_SIDE.findall(text[q.end : q.end + 50])), None)) or "input"
    return side, per_m, q.end + rate.end()


def rates_in(text: str) -> dict[str, Decimal]:
    """The prices per 1M tokens ``text`` gives, by side (the first for each side)."""
    found: dict[str, Decimal] = {}
    for q in parse_quantities(text):
        rate = _rate_at(text, q) if q.money else None
        if rate:
            found.setdefault(rate[0], rate[1])
    return found


_PER_PERSON_AFTER = re.compile(rf"\s{{0,2}}(?:/|per\s{{1,3}}|a\s{{1,3}}|each\s{{1,3}})"
                               rf"(?:{_PERSON_ALTERNATION})s?\b", re.I)
_EACH_PARENT = re.compile(r"\b(?:each|per|every|a)\s{1,3}(conversation|chat|session|thread|"
                          r"ticket|document|article|call)\s{0,3}(?:is|has|=|:|of)?\s{0,3}"
                          r"(?:maybe\s{1,3}|about\s{1,3}|around\s{1,3}|roughly\s{1,3}|like\s{1,3})?"
                          r"~?\s{0,2}$", re.I)
_TIMES_BEFORE = re.compile(r"(?:\bx|\u00d7|\*)\s{0,2}$", re.I)
_STATUS_AFTER = re.compile(r"(?:s\b|'s\b)|\s{0,2}(?:error|errors|status|code|response|says|said|"
                           r"message says|too many|rate limit|from|at \d|again|keeps?|when)\b",
                           re.I)
_EQUALS_BEFORE = re.compile(r"=\s{0,2}~?\s{0,2}$")
_AGAIN_BEFORE = re.compile(r"\b(?:those|these|the same|that)\s{1,3}(?:~\s?)?$", re.I)
_LIMIT_BEFORE = re.compile(r"\b(?:limits?|tier|itpm|otpm|quota|allowed|allowance|capped at)\b",
                           re.I)
_IS_SIZE_AFTER = re.compile(r"\s{1,3}(?:is|are|=|would be|comes? to|makes?)\s{1,3}"
                            r"(?:maybe\s{1,3}|about\s{1,3}|around\s{1,3}|roughly\s{1,3}|like\s{1,3}"
                            r"|~\s?)?\d[\d,.]{0,12}\s?[km]?\s{0,2}(?:tokens?|words?)\b", re.I)
# "peak 30-40 req/min", "peak is maybe 60 a minute": the busiest minute, not the volume.
_PEAK_BEFORE = re.compile(r"\bpeaks?(?:\s{1,3}(?:is|of|at|maybe|around|about|like)){0,3}"
                          r"\s{0,3}~?\s{0,2}$", re.I)
# "500 users x 15 messages = 7500 calls": the product, said again.
_PRODUCT_BEFORE = re.compile(r"(?:=|\bthat'?s|\bthat is|\bwhich is|\bso|\bi\.e\.)\s{0,3}~?\s{0,2}$",
                             re.I)


def parse_workload(text: str, *, assume_chat_size: bool = False) -> Workload | None:
    """The workload a cost question describes, or ``None`` without token or word numbers.

    ``assume_chat_size``: a cost asked for chat messages with no size at all ("300 chats a
    day, 6 messages each, whats the monthly number?") is priced on a typical chat turn,
    said as an assumption."""
    w = Workload()
    text = _NIGHTLY.sub(_as_daily, _mask_models(text))
    quantities = parse_quantities(text)
    low = text.lower()
    per_item_seen = False
    item_total_seen = False
    per_person = False  # the first count is each person's ("users get 20 a day")
    pending: tuple[str, Decimal, str] | None = None  # (per what, how many, of what)
    counted_at = 0  # where the first item count ends
    found = False
    bare_duration: tuple[Decimal, str] | None = None
    rate_unit_end = 0  # the "1M" of "$0.15 per 1M input" is the price's unit, not a count
    for q in quantities:
        if q.start < rate_unit_end:
            continue
        after = text[q.end : q.end + 60]
        before = text[max(0, q.start - 40) : q.start]
        if q.money:
            rate = _rate_at(text, q)
            if rate:
                side, per_m, rate_unit_end = rate
                w.rates.setdefault(side, per_m)
                continue
            if _BUDGET_BEFORE.search(before) or _BUDGET_AFTER.match(after):
                w.budget = q.value
                w.budget_monthly = bool(_PER_MONTH_AFTER.match(after))
                continue
            sentence = _sentence_around(text, q.start)
            if _CLAIM_CONTEXT.search(sentence):
                w.claimed = q.value
            continue
        if item_total_seen and _EQUALS_BEFORE.search(before):
            continue  # "2,000 requests a DAY = 60,000/month": the learner's own product
        if (400 <= q.value < 600 and q.value == q.value.to_integral_value()
                and _STATUS_AFTER.match(after)):
            continue  # "the 429 says ...", "429s at 9am", "a 503 error": a status, not a count
        token = _TOKEN_AFTER.match(after)
        # The sentence so far, up to 160 characters back: "limits are 4000 RPM and 400k
        # input tokens per minute, 80k output tokens per minute" says "limits" once.
        sentence_before = re.split(r"[.;!?\n]", text[max(0, q.start - 160):q.start])[-1]
        if token and (_AGAIN_BEFORE.search(before) or _LIMIT_BEFORE.search(sentence_before)):
            # "if every message resends those 12k tokens": counted already. "limits are 4000
            # RPM and 400k input tokens per minute": a limit, not the workload's size.
            continue
        words = None if token else _WORDS_SIDE.match(after)
        if words:
            side = _side(words.group(1) or words.group(2))
            if not side:
                m = _SIDE_BEFORE.search(before)
                side = _side(m.group(1)) if m else ""
            if not side and _INTO_BEFORE.search(before):
                side = "output"  # "summarise ... into 150 words"
            if not side:
                m = _SIDE_IN_CLAUSE.search(before) or _SIDE_IS.match(after)
                side = _side(m.group(1)) if m else ""  # "the summaries are about 150 words"
            if side == "output":
                w.words_out += q.value
            else:
                w.words_in += q.value
            found = True
            continue
        if token or _WORDS_AFTER.match(after) or _slash_pair(text, q, quantities):
            side = (_side(token.group(1) if token else None) or _side(token.group(2) if token
                                                                       else None)
                    or _slash_pair(text, q, quantities))
            if not side:
                m = _SIDE_AFTER.match(after)
                side = _side(m.group(1)) if m else ""
            if not side and (_BACK_AFTER.match(after[token.end():] if token else after)
                             or _GETS_BEFORE.search(before)):
                side = "output"  # "gets 500 tokens back", "returns about 300 tokens"
            if not side and _SIZED_INPUT.match(after):
                side = "input"  # "summaries of ~2000 token docs": the documents' size
            if not side:
                m = _SIDE_BEFORE.search(before)
                side = _side(m.group(1)) if m else ""
            if not side:
                m = _SIDE_IN_CLAUSE.search(before)
                side = _side(m.group(1)) if m else ""
            if _WORDS_AFTER.match(after) and not token:
                w.words_in += q.value
                found = True
                continue
            side = side or ("output" if re.match(r"^\s*-?\s*tok(?:en)?s?\s+(?:summar|answers?|"
                                                 r"repl|respons|outputs?|completions?)",
                                                 after, re.I) else "input")
            setattr(w, f"{side}_tokens", getattr(w, f"{side}_tokens") + q.value)
            found = True
            rest = after[token.end():] if token else after
            freq = _FREQ.match(rest)
            if freq and not item_total_seen:
                w.frequency = freq.group(1).lower()  # "1.5M tokens per day"
            elif re.search(r"\b(each|per (?:request|call|message|item)|every|avg|average)\b",
                           after[:30] + before[-20:], re.I):
                per_item_seen = True
            continue
        side_only = _SIDE_AFTER.match(after)
        if side_only and _LIMIT_BEFORE.search(sentence_before):
            continue  # "limits ... 80k output tokens per minute": a limit, not a size
        if side_only and not re.match(r"^\s*(?:in|out)\s+(?:the|a|an|my|of)\b", after, re.I):
            side = _side(side_only.group(1))
            setattr(w, f"{side}_tokens", getattr(w, f"{side}_tokens") + q.value)
            found = True
            continue
        bare = _BARE_DURATION.match(after)
        if bare and not _RATE_BEFORE.search(before):
            bare_duration = (q.value, bare.group(1).lower())  # "50 a week, 14 weeks"
            continue
        unit = _RATE_UNIT.match(after)
        if unit and _PEAK_BEFORE.search(text, max(0, q.start - 24), q.start) and len(
                quantities) > 3:
            continue  # "peak 30-40 req/min; ... 120 students": sizes the limits, not the bill
        if unit and not (unit.group(6) and re.search(r"\blimit", text[q.start:q.end + 40],
                                                     re.I)):
            if not item_total_seen:
                w.items, w.item_noun = q.value, "requests"
                item_total_seen = True
                w.frequency = _RATE_UNIT_NAMES[unit.lastindex - 1]
                # "15 messages/day/student": each person's rate, the people said later.
                per_person = bool(_PER_PERSON_AFTER.match(after[unit.end():]))
            elif (w.each == 1 and w.item_noun in _PEOPLE_NOUNS
                  and not re.search(r"[.;!?\n]", text[counted_at:q.start])):
                # "2000 students x 20 messages/day": each person's rate (in the same sentence:
                # "300 employees. ~80 req/min at 9am" is everyone's peak, not each one's).
                noun = re.match(r"\s*([a-z]+)", after, re.I)
                w.each = q.value
                w.each_noun = noun.group(1).lower() if noun and noun.group(1).lower() in \
                    _REQUEST_NOUNS else "requests"
                w.frequency = w.frequency or _RATE_UNIT_NAMES[unit.lastindex - 1]
            continue
        freq = _FREQ.match(after)
        item = _ITEM_AFTER.match(after)
        noun = item.group(1).lower() if item else ""
        if item and _IS_SIZE_AFTER.match(after[item.end():]):
            continue  # "20 pages is maybe 12k tokens": a size said another way, not a count
        if item_total_seen and _PRODUCT_BEFORE.search(before) and q.value == w.items * w.each:
            continue  # "500 users x 15 messages = 7500 calls": the same workload, multiplied
        if noun and noun not in _NOT_ITEMS and not re.match(_TIME_WORD, noun):
            if (item_total_seen and noun in _PEOPLE_NOUNS and per_person and w.each == 1
                    and w.item_noun not in _PEOPLE_NOUNS):
                # "free users get 20 generations a day ... we expect 3000 free users": the
                # first count was each person's; the people come after.
                w.each, w.each_noun = w.items, w.item_noun
                w.items, w.item_noun = q.value, noun
                continue
            if item_total_seen and noun in _PEOPLE_NOUNS and w.item_noun in ("", "requests") \
                    and w.each == 1 and _EACH_NEAR.search(text[q.end:q.end + 60]):
                # "limit 20. so 20 a day?? ... cost for 30 ppl sending 15 messages each": a
                # bare count said first is the limit asked about; the people are the workload.
                item_total_seen = False
            if item_total_seen:
                # The first item count is the workload; a later one is detail, except the
                # requests each item makes ("3k users, each sends 8 messages"), with their
                # rate ("5 messages a day each").
                each = _EACH_NEAR.search(text[max(0, q.start - 30):q.end + 30])
                if (w.each == 1 and noun in _REQUEST_NOUNS and not each
                        and w.item_noun in _PEOPLE_NOUNS and _counts_all(text, q)):
                    # "~400 employees ... if employees send ~600 messages a day", "600 a day
                    # in total": the people's messages together, not each one's.
                    w.items, w.item_noun = q.value, noun
                    freq = _FREQ.match(after[item.end():]) if item else None
                    w.frequency = freq.group(1).lower() if freq else w.frequency
                    continue
                if w.each == 1 and noun in _REQUEST_NOUNS and (
                        each or w.item_noun in _PEOPLE_NOUNS):
                    w.each, w.each_noun = q.value, noun
                    if not each:
                        w.notes.append(f"I took the {q.value.normalize():,f} {noun} as per "
                                       f"{w.item_noun.rstrip('s')}.")
                    freq = _FREQ.match(after[item.end():]) if item else None
                    if freq and not w.frequency:
                        w.frequency = freq.group(1).lower()
                elif (w.each > 1 and noun in _REQUEST_NOUNS and noun != w.each_noun
                      and (_per_unit_of(w.each_noun, text[max(0, q.start - 40):q.end + 40])
                           or _TIMES_BEFORE.search(before))):
                    # "800 users, each ~3 conversations a month, each conversation ~6
                    # messages": the messages of every conversation.
                    w.notes.append(f"{_count(w.each)} {w.each_noun} x {_count(q.value)} "
                                   f"{noun} each = {_count(w.each * q.value)} {noun} per "
                                   f"{w.item_noun.rstrip('s')}.")
                    w.each, w.each_noun = w.each * q.value, noun
                continue
            parent = _EACH_PARENT.search(before)
            if parent and noun in _REQUEST_NOUNS and noun != f"{parent.group(1).lower()}s" \
                    and pending is None:
                # "each conversation ~6 messages" before any count of conversations: the
                # messages of one conversation, applied when the conversations are counted.
                pending = (f"{parent.group(1).lower()}s", q.value, noun)
                continue
            w.items = q.value
            w.item_noun = noun
            item_total_seen = True
            counted_at = q.end
            # "free users get 20 generations a day", "each user sends 10": a count per person.
            per_person = noun not in _PEOPLE_NOUNS and bool(
                _PEOPLE_SUBJECT.search(before + " ") or _PER_PERSON_BEFORE.search(before))
            after_noun = after[item.end():] if item else after
            freq = _FREQ.match(after_noun) or freq or _FREQ_NEAR.match(after_noun)
            if freq:
                w.frequency = freq.group(1).lower()
            continue
        if freq and freq.group(1):
            # "3 per second", "100 a day" with the item noun before the number.
            if not item_total_seen:
                w.items = q.value
                item_total_seen = True
            w.frequency = freq.group(1).lower()
            continue
        sentence = _sentence_around(text, q.start)
        if (not q.money and 400 <= q.value < 600 and q.value == q.value.to_integral_value()
                and re.match(r"^(?:s|'s)?\b(?!\s{0,2}(?:dollars?|usd|bucks|tokens?))", after)):
            continue  # "dies on 429s", "a 503 error": a status, not a sum to check
        if _CLAIM_CONTEXT.search(sentence) and not re.match(r"^\s*" + _TIME_WORD, after, re.I):
            w.claimed = q.value
            w.claimed_money = q.money or not re.search(r"tokens?", after[:15], re.I)
    if pending is not None:
        parent, value, noun = pending
        if w.each_noun == parent:
            w.notes.append(f"{_count(w.each)} {parent} x {_count(value)} {noun} each = "
                           f"{_count(w.each * value)} {noun} per {w.item_noun.rstrip('s')}.")
            w.each, w.each_noun = w.each * value, noun
        elif w.item_noun == parent and w.each == 1:
            w.each, w.each_noun = value, noun
        elif not item_total_seen:
            w.items, w.item_noun = value, noun  # only "each conversation ~6 messages"
    if not found and not (w.words_in or w.words_out):
        # Chat messages only: a "long document" has no typical size to assume.
        chatty = {w.item_noun, w.each_noun} & _CHAT_NOUNS
        size = _SIZE_WORD.search(text) if chatty else None
        if size is None and not (chatty and assume_chat_size):
            return None
        # No token numbers, only "short ones": price an assumed size, and say it is one.
        kind = "typical" if size is None else "short" if size.group(1).lower() in (
            "short", "brief", "small", "quick") else "long"
        tokens_in, tokens_out = _ASSUMED_SIZE[kind]
        w.input_tokens, w.output_tokens = Decimal(tokens_in), Decimal(tokens_out)
        w.assumed_size = True
        w.notes.append(f"Assumed: a {kind} message is about {tokens_in:,} input tokens "
                       f"(with the instructions and history sent along) and {tokens_out:,} "
                       "output tokens. That is a guess, not a count; give your real numbers "
                       "for a firm figure.")
    for word, unit in _FREQ_ADJ.items():
        if w.frequency:
            break
        for m in re.finditer(rf"\b{word}\b", low):
            if not _ADJ_ASKS.match(low, m.end()):
                w.frequency = unit
                break
    share = _PEOPLE_SHARE.search(text[:2000])
    if share and w.item_noun in _PEOPLE_NOUNS and w.item_noun.startswith(
            share.group(2).lower()[:4]):
        # "3000 customers ... we guess 30% of customers use it, maybe 10 times a month".
        part = Decimal(share.group(1)) / 100
        if 0 < part < 1:
            users = (w.items * part).to_integral_value()
            w.notes.append(f"{share.group(1)}% of {_count(w.items)} {w.item_noun} = "
                           f"{_count(users)}.")
            w.items = users
            times = _TIMES_EACH.search(text[share.end():share.end() + 80])
            if times and w.each == 1:
                w.each, w.each_noun = Decimal(times.group(1)), "uses"
                w.frequency = w.frequency or times.group(2).lower()
    groups = _people_groups(text)
    if groups is not None:
        w.items, w.item_noun, w.frequency, breakdown = groups
        w.each, w.each_noun = Decimal(1), ""
        w.notes.append(f"Counted: {breakdown}.")
    _apply_period(w, text, bare_duration)
    converted = []
    for words, side in ((w.words_in, "input"), (w.words_out, "output")):
        if words and not getattr(w, f"{side}_tokens"):
            tokens = (words * 4 / 3).to_integral_value()
            setattr(w, f"{side}_tokens", tokens)
            converted.append(f"{int(words):,} words is about {int(tokens):,} tokens")
    if converted:
        w.notes.append("; ".join(converted) + " (1 token is about 0.75 English words); count "
                       "the real text for an exact figure.")
    parts = input_parts(text)
    if len(parts) >= 2 and sum(n for _, n in parts) > w.input_tokens:
        # "1.5k system prompt, 6 retrieved chunks of ~700 tokens, history up to 3k, question
        # ~50 tokens": one request's input is all of it.
        total = sum(n for _, n in parts)
        w.input_tokens = Decimal(total)
        # The part that is the same on every call is what a prompt cache can hold.
        w.fixed_input = Decimal(sum(n for label, n in parts if _FIXED_PART.search(label)))
        w.notes.append("Input per request: " + " + ".join(
            f"{label} {n:,}" for label, n in parts) + f" = {total:,} tokens.")
    if per_item_seen and w.items == 1 and not item_total_seen:
        w.notes.append("Per-request figures: give the number of requests for a total.")
    return w


_FIXED_PART = re.compile(r"system|instructions|catalog|examples|tool", re.I)
# The parts of one request's input, each with its size.
_PART = (r"(system\s{1,3}prompt|system\s{1,3}message|instructions|"
         r"(?:chat\s{1,3}|conversation\s{1,3})?history|question|user\s{1,3}message|"
         r"few-shot\s{1,3}examples|examples|tool\s{1,3}definitions|product\s{1,3}catalog|catalog|"
         r"user\s{1,3}(?:text|input)|(?:retrieved\s{1,3})?context)")
_PART_NUM = r"~?\s{0,2}(\d{1,3}(?:,\d{3})+|\d{1,6}(?:\.\d{1,2})?)\s{0,2}(k\b)?"
_COUNTED_PARTS = re.compile(
    r"\b(\d{1,3})\s{1,3}(?:retrieved\s{1,3}|rag\s{1,3})?(chunks?|passages?|documents?|docs|snippets?)"
    rf"\s{{1,3}}(?:of|at|x|@)\s{{1,3}}(?:about\s{{1,3}}|around\s{{1,3}})?{_PART_NUM}\s{{0,2}}"
    r"(?:tokens?|toks?)?", re.I)
_SIZE_THEN_PART = re.compile(rf"{_PART_NUM}\s{{0,2}}(?:tokens?\s{{1,3}})?(?:of\s{{1,3}})?"
                             rf"(?:the\s{{1,3}})?{_PART}\b", re.I)
_PART_THEN_SIZE = re.compile(rf"\b{_PART}\s{{0,3}}(?:is|of|at|:|=|up\s{{1,3}}to|around|about|"
                             rf"roughly|maybe)?\s{{0,3}}(?:up\s{{1,3}}to\s{{1,3}})?{_PART_NUM}\s{{0,2}}"
                             r"(?:tokens?|toks?)?", re.I)


def _part_size(number: str, thousands: str | None) -> int:
    return int(Decimal(number.replace(",", "")) * (1000 if thousands else 1))


def input_parts(text: str) -> list[tuple[str, int]]:
    """(label, tokens) for each sized part of one request's input the text lists: "6
    retrieved chunks of ~700 tokens" is one part of 4,200. A bare number after a part
    ("question 2") is no size: it needs "k" or "tokens"."""
    head = text[:2000]
    taken: list[tuple[int, int, str, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b, _, _ in taken)

    for m in _COUNTED_PARTS.finditer(head):
        size = _part_size(m.group(3), m.group(4)) * int(m.group(1))
        taken.append((m.start(), m.end(), f"{m.group(1)} x {m.group(2).lower()}", size))
    for m in _SIZE_THEN_PART.finditer(head):
        if free(m.start(), m.end()) and (m.group(2) or "token" in m.group(0).lower()
                                         or int(Decimal(m.group(1).replace(",", ""))) >= 50):
            taken.append((m.start(), m.end(), " ".join(m.group(3).lower().split()),
                          _part_size(m.group(1), m.group(2))))
    for m in _PART_THEN_SIZE.finditer(head):
        if free(m.start(), m.end()) and (m.group(3) or "tok" in m.group(0)[-8:].lower()):
            taken.append((m.start(), m.end(), " ".join(m.group(1).lower().split()),
                          _part_size(m.group(2), m.group(3))))
    taken.sort()
    return [(label, size) for _, _, label, size in taken if size > 0]


# "in total", "across all employees", "altogether": a count of everyone's requests together.
_ALL_TOGETHER = re.compile(r"\b(?:in total|total|across (?:all|every)|altogether|all together|"
                           r"combined|overall|between (?:them|all))\b", re.I)
# "employees send", "the students ask": people named without a count of their own.
_PEOPLE_SUBJECT = re.compile(r"(?<![\d,.kK]\s)(?<![\d,.kK])\b(?:the |our |all |my )?(?:"
                             + "|".join(sorted(_PEOPLE_NOUNS, key=len, reverse=True))
                             + r")\s{1,3}(?:\w+\s{1,3}){0,2}$", re.I)


# ("each user sends maybe 40 msgs": a verb and a hedge between them)
_PER_PERSON_BEFORE = re.compile(rf"\b(?:each|every|per|a)\s{{1,3}}(?:{_PERSON_ALTERNATION})"
                                r"\s{1,3}(?:\w+\s{1,3}){0,2}~?$", re.I)


def _per_unit_of(noun: str, window: str) -> bool:
    """Whether ``window`` says "each conversation" / "per conversation" / "a conversation"
    for the plural ``noun`` ("conversations")."""
    singular = noun[:-1] if noun.endswith("s") else noun
    return bool(re.search(rf"\b(?:each|per|a|every|/)\s{{0,3}}{re.escape(singular)}\b", window,
                          re.I))


def _counts_all(text: str, q: Quantity) -> bool:
    """Whether request count ``q`` is everyone's together: said so ("600 a day in total"),
    or said of the people with no count of their own ("if employees send ~600 a day")."""
    if _ALL_TOGETHER.search(text[q.end:q.end + 50]):
        return True
    before = text[max(0, q.start - 40):q.start].rstrip(" ~≈").removesuffix("about").rstrip()
    return bool(_PEOPLE_SUBJECT.search(before + " ")) and not re.search(
        r"\d\s{0,3}(?:\w+\s{1,3}){0,1}$", before)


# The people a workload counts, in the groups and shares below (longest first).
_PEOPLE_ALTERNATION = "|".join(sorted(_PEOPLE_NOUNS, key=len, reverse=True))
# "30% of customers use it, maybe 10 times a month": a share of the people counted.
_PEOPLE_SHARE = re.compile(r"(?<![\w.])(\d{1,2}(?:\.\d{1,2})?)\s?(?:%|percent)\s{1,3}of\s{1,3}"
                           r"(?:the\s{1,3}|our\s{1,3}|my\s{1,3}|all\s{1,3}|them\b)?"
                           rf"(?:[a-z]{{1,12}}\s{{1,3}})?({_PEOPLE_ALTERNATION})\b", re.I)
_STILL_LASTS = re.compile(r"\blast\b|\benough\b|\bcover\b", re.I)
_USES = re.compile(r"\b(?:will|would|actually|really|even)\s{1,3}use\b|\buse it\b|"
                   r"\b(?:are|is|stay|be)\s{1,3}active\b", re.I)
_TIMES_EACH = re.compile(r"\b(\d{1,4})\s{1,3}times\s{1,3}(?:a|per|each|every)\s{1,3}"
                         r"(day|week|month)\b", re.I)


# "1000 free users doing maybe 30 a month, and 50 paid users doing 500 a month": groups of
# people at different rates, added up. Bounded gaps keep it linear.
_GROUP = re.compile(
    r"(?P<n>\d[\d,.]{0,9}\s?k?)\s{1,3}(?:(?P<kind>[a-z]{2,12})\s{1,3})?"
    rf"(?P<noun>{_PEOPLE_ALTERNATION})\b"
    r"[^.;\n\d]{0,30}(?P<m>\d[\d,.]{0,9}\s?k?)\s{1,3}(?:[a-z]{1,15}\s{1,3})?"
    r"(?:a|per|each|every|/)\s{0,3}(?P<per>day|week|month)\b", re.I)


def _people_groups(text: str) -> tuple[Decimal, str, str, str] | None:
    """``(requests, noun, period, breakdown)`` when ``text`` gives two or more groups of
    people with their own rates over the same period, else ``None``."""
    found = []
    for m in _GROUP.finditer(text[:2000]):
        people, rate = parse_quantities(m.group("n")), parse_quantities(m.group("m"))
        if people and rate:
            found.append((people[0].value, rate[0].value, (m.group("kind") or "").lower(),
                          m.group("noun").lower(), m.group("per").lower()))
    if len(found) < 2 or len({g[4] for g in found}) != 1:
        return None
    total = sum((n * r for n, r, *_ in found), Decimal(0))
    parts = " + ".join(f"{_count(n)} {f'{kind} ' if kind else ''}{noun} x {_count(r)}"
                       for n, r, kind, noun, _ in found)
    period = found[0][4]
    return total, "requests", period, f"{parts} = {_count(total)} requests a {period}"


# --- a follow-up that changes one parameter -------------------------------------------------

# "half of them", "20% of the tickets", "1 in 4": a share of the items. Bounded alternatives.
_SHARE = re.compile(
    r"\b(half(?! an? )|a third|one third|a quarter|one quarter|a fifth|one fifth|two thirds|"
    r"three quarters)\b|(?<![\w.])(\d{1,2}(?:\.\d{1,2})?)\s?(?:%|percent\b)"
    r"|\b(\d{1,3}|one) (?:in|out of) (\d{1,4})\b", re.I)
_SHARE_WORDS = {"half": Decimal("0.5"), "a third": Decimal(1) / 3, "one third": Decimal(1) / 3,
                "a quarter": Decimal("0.25"), "one quarter": Decimal("0.25"),
                "a fifth": Decimal("0.2"), "one fifth": Decimal("0.2"),
                "two thirds": Decimal(2) / 3, "three quarters": Decimal("0.75")}
# A follow-up about the workload just priced: "what if ...", "how about ...", "... instead".
_CHANGE = re.compile(r"^\W{0,3}(?:(?:and|but|ok|okay|so|then|nice|cool|great|thanks|thx|"
                     r"alright|hmm|right)\W{1,3}){0,3}(?:(?:what|how)\s"
                     r"(?:if|about)\b|(?:if|suppose|say)\b|(?:per|a|each|every)\s(?:day|week|"
                     r"month|year)\b|(?:daily|weekly|monthly|yearly)\b)|\binstead\b"
                     # "the 2000 tokens is the INPUT doc ... redo the math?": sizes corrected.
                     r"|\b(?:redo|re-do|recalculate|re-calculate|recompute|rerun|re-run)\b"
                     r"|\b(?:tokens?|words?)\s{1,3}(?:is|are)\s{1,3}(?:the\s{1,3})?(?:input|output)\b"
                     # "the input is still 2000 words per article"
                     r"|\b(?:input|output)\s{1,3}(?:is|are)\s{1,3}still\b"
                     # "the answers are long though, more like 800 output tokens each"
                     # "input is more like 3500 per message"
                     r"|\b(?:more like|closer to|actually|really)\s{1,3}(?:about\s{1,3}|~\s?)?"
                     r"\d[\d,.]{0,9}\s?k?\b", re.I)


@dataclasses.dataclass
class Change:
    """What a follow-up changed in an earlier workload, or why it could not be applied."""

    workload: Workload
    applied: list[str] = dataclasses.field(default_factory=list)  # "half at 3,000 input"
    share: Decimal | None = None  # a share with no size: "half of them use gpt-4o"
    share_text: str = ""
    unapplied: str = ""  # what the follow-up said that could not be applied


# "cap the answers at 200 tokens" (a max_tokens setting is read by ``_MAX_TOKENS``).
_OUTPUT_CAP = re.compile(r"\bcap\s{1,3}(?:the\s{1,3})?(?:output|answers?|replies|responses?)"
                         r"\s{1,3}(?:at|to)\s{1,3}(\d[\d,]{0,7})\b", re.I)


# "traffic doubles", "3x the users", "ten times as many": a factor on the counts.
_MULTIPLIER = re.compile(r"\b(doubles?|doubled|doubling|triples?|tripled|tripling|"
                         r"quadruples?|quadrupled|halves|halved|halving)\b|"
                         r"(?<![\w.])(\d{1,3}(?:\.\d{1,2})?)\s?(?:x|times)\b", re.I)
_FACTOR_WORDS = {"doubl": Decimal(2), "tripl": Decimal(3), "quadrupl": Decimal(4),
                 "halv": Decimal("0.5")}


def _multiplier(m: re.Match[str]) -> Decimal | None:
    if m.group(2):
        value = Decimal(m.group(2))
        return value if 0 < value <= 1000 else None
    word = m.group(1).lower()
    return next((v for k, v in _FACTOR_WORDS.items() if word.startswith(k)), None)


def looks_like_sizes(text: str) -> bool:
    """Whether ``text`` talks about the workload's shares or sizes ("half of them are
    long", "3x the users") rather than something else that happens to hold a number."""
    head = text[:300]
    return bool(_SHARE.search(head) or _SIZE_WORD.search(head) or _MULTIPLIER.search(head)
                or _TOKEN_OR_WORD_COUNT.search(head))


_TOKEN_OR_WORD_COUNT = re.compile(r"\d\s{0,2}k?\s{0,2}(?:tokens?|words?)\b", re.I)


def is_change(text: str) -> bool:
    """A follow-up that changes the workload just priced ("what if half of them are long,
    like 3000 tokens?", "and on gpt-4o instead?"), not a new question."""
    head = text[:300]
    return bool(_CHANGE.search(head) or _SHARE.search(head))


def _share(m: re.Match[str]) -> Decimal | None:
    if m.group(1):
        return _SHARE_WORDS.get(m.group(1).lower())
    if m.group(2):
        value = Decimal(m.group(2)) / 100
    else:
        top = Decimal(1) if m.group(3).lower() == "one" else Decimal(m.group(3))
        value = top / Decimal(m.group(4)) if m.group(4) != "0" else Decimal(0)
    return value if 0 < value < 1 else None


# "input is more like 3500 per message", "output is actually ~800": a side's corrected size.
_CORRECTED_SIDE = re.compile(r"\b(input|output|prompt|completion|answers?|replies)\b[^.?!\n]{0,15}?"
                             r"\b(?:more like|closer to|actually|really)\s{1,3}"
                             r"(?:about\s{1,3}|~\s?)?(\d[\d,.]{0,9}\s?k?)\b", re.I)


def apply_change(w: Workload, text: str) -> Change:
    """``w`` with the one parameter ``text`` changes: a share of the items at another size,
    a new per-item size, or a new item count. Whatever is not understood is reported."""
    text = _mask_models(text[:600])
    # The money said before still stands when the follow-up asks whether it lasts ("will my
    # 10 dollars last"); otherwise a figure to check belongs to that message only.
    keeps = w.budget if _STILL_LASTS.search(text) else None
    new = dataclasses.replace(w, notes=list(w.notes), claimed=None, budget=keeps)
    change = Change(new)
    share_match = _SHARE.search(text)
    share = _share(share_match) if share_match else None
    rest = text
    if share_match:
        rest = text[:share_match.start()] + " " * len(share_match.group(0)) + \
            text[share_match.end():]
    sizes = parse_workload(rest)
    sides = [side for side in ("input", "output", "cached") if sizes is not None
             and getattr(sizes, f"{side}_tokens")]
    noun = w.item_noun or "requests"
    if share is not None and share_match is not None:
        shown = share_match.group(0).lower()
        if len(sides) == 1 and sizes is not None:
            side = sides[0]
            new.split_share, new.split_side = share, side
            new.split_tokens = getattr(sizes, f"{side}_tokens")
            change.applied.append(f"{shown} of the {noun} at {_fmt_tokens(new.split_tokens)} "
                                  f"{side} tokens each")
        elif sides:
            change.unapplied = (f"{shown} of the {noun} with sizes on both sides; change one "
                                "at a time")
        elif w.item_noun in _PEOPLE_NOUNS and (_PEOPLE_SHARE.search(text) or _USES.search(rest)):
            # "realistically only 40% of the students will use it": fewer people.
            new.items = (w.items * share).to_integral_value()
            change.applied.append(f"{shown} of the {w.item_noun} ({_count(new.items)})")
        elif size := _SIZE_WORD.search(rest):
            change.unapplied = (f"{shown} of the {noun} being {size.group(1).lower()}; say how "
                                "many tokens one of those is")
        else:
            change.share, change.share_text = share, shown  # a model for a share, perhaps
        return change
    rates = rates_in(rest)
    if rates:
        # "what if it's $0.15/1M in and $0.60/1M out?": the learner's own rates.
        new.rates = {**w.rates, **rates}
        change.applied.append("your rates (" + ", ".join(
            f"{side} ${rate:f}/1M" for side, rate in rates.items()) + ")")
    cap = _MAX_TOKENS.search(rest) or _OUTPUT_CAP.search(rest)
    if cap and "output" not in sides:
        # "what if i cap max_tokens at 150": no answer is longer, so at most that much output.
        limit = Decimal(int(cap.group(1).replace(",", "")))
        if limit > 0:
            new.output_tokens = min(new.output_tokens, limit) if new.output_tokens else limit
            change.applied.append(f"output capped at {_fmt_tokens(limit)} tokens (`max_tokens`)")
            rest = rest[:cap.start()] + " " * (cap.end() - cap.start()) + rest[cap.end():]
    corrected = _CORRECTED_SIDE.search(rest)
    if corrected is not None and sizes is not None:
        # "my system prompt alone is 2500 tokens, so input is more like 3500 per message":
        # the figure said as the correction is the side's size, not the part before it.
        found = parse_quantities(corrected.group(2))
        side = _side(corrected.group(1))
        if found and side in ("input", "output"):
            setattr(sizes, f"{side}_tokens", found[0].value)
            sides = list(dict.fromkeys([*sides, side]))
    for side in sides:
        # A new size for every item: any earlier share at another size on this side goes.
        setattr(new, f"{side}_tokens", getattr(sizes, f"{side}_tokens"))
        if new.split_side == side:
            new.split_share, new.split_side, new.split_tokens = Decimal(0), "", Decimal(0)
        # Per message, not per user, when each user sends several.
        unit = w.each_noun if w.each > 1 and w.each_noun else noun
        change.applied.append(f"{_fmt_tokens(getattr(new, f'{side}_tokens'))} {side} tokens "
                              f"per {unit.rstrip('s') if unit.endswith('s') else unit}")
    if sides and new.assumed_size:
        # Sizes given now: the assumption is said only for the side still assumed.
        new.notes = [n for n in new.notes if not n.startswith("Assumed: a ")]
        guessed = [side for side in ("input", "output") if side not in sides]
        if guessed:
            side = guessed[0]
            new.notes.append(f"Assumed: {_fmt_tokens(getattr(new, f'{side}_tokens'))} {side} "
                             "tokens per message (a typical chat turn); give yours for a firm "
                             "figure.")
        else:
            new.assumed_size = False
    times = _MULTIPLIER.search(rest)
    if times and not sides:
        # "and if traffic doubles?", "what if we get 3x the users": every count scales.
        factor = _multiplier(times)
        if factor is not None:
            new.items = w.items * factor
            change.applied.append(f"{factor.normalize():f}x the {noun} "
                                  f"({_count(new.items)})")
            rest = rest[:times.start()] + " " * (times.end() - times.start()) + rest[times.end():]
    # A new count: "what if we get 50k tickets (of 1000 tokens each)?"
    for q in parse_quantities(rest)[:4]:
        item = _ITEM_AFTER.match(rest[q.end:q.end + 40])
        word = item.group(1).lower() if item else ""
        if q.money or not word or word in _NOT_ITEMS:
            continue
        if word == w.each_noun:
            new.each = q.value
        else:
            new.items, new.item_noun = q.value, word
        change.applied.append(f"{_count(q.value)} {word}")
        total = _TOTAL_OVER.search(_sentence_around(rest, q.start))
        if total and word != w.each_noun and _EQUALS_BEFORE.search(rest[:q.start]):
            # "over a month its more like 8/min average = ~345k messages": the total for
            # that period, said as the product of a rate, not 345k a minute.
            unit = (total.group(1) or _FREQ_ADJ[total.group(2).lower()]).lower()
            new.frequency, new.period, new.periods = unit, unit, Decimal(1)
            new.notes = [n for n in new.notes if not n.startswith("A month is taken")]
            change.applied.append(f"per {unit}")
            return change
        break
    asked = _ASKED_PERIOD.search(rest)
    if change.applied:
        # "grow to 1000 articles a day, whats that per month?": the last period named is the
        # one asked for (the first is the new count's rate); the count's own rate is none.
        asked = next(iter(reversed(list(_ASKED_PERIOD.finditer(rest[:600])))), None)
    unit = (asked.group(1) or _FREQ_ADJ[asked.group(2).lower()]).lower() if asked else ""
    if change.applied and unit == w.frequency:
        unit = ""
    workdays = _DAYS_A_MONTH.search(rest)
    if unit and w.frequency and _TIME_SECONDS[unit] >= _TIME_SECONDS[w.frequency]:
        # "how about per year?": the same rate over a longer period.
        new.periods = Decimal(_TIME_SECONDS[unit]) / Decimal(_TIME_SECONDS[w.frequency])
        new.period = unit
        change.applied.append(f"per {unit}")
        if unit == "month" and w.frequency == "day" and workdays:
            new.periods = Decimal(int(workdays.group(1)))  # "still 22 working days a month"
            new.notes = [n for n in new.notes if not n.startswith("A month is taken")]
            new.notes.append(f"A month is taken as {new.periods} days, as you said.")
        elif unit in ("month", "year") and w.frequency != unit:
            new.notes.append(f"A {unit} is taken as {_TIME_SECONDS[unit] / 86400:g} days.")
    elif unit:
        change.unapplied = f"per {unit}: your counts are per {w.frequency or 'request'}"
    # A number the change did not place (a model's version is no number here), or "long".
    if not change.applied and (parse_quantities(rest) or _SIZE_WORD.search(rest)):
        change.unapplied = " ".join(text.split())[:120]
    return change


_SENTENCE_REACH = 160  # characters either side: enough for "am I right that it's 8k?"


def _sentence_around(text: str, index: int) -> str:
    """The sentence holding ``index``, at most ``_SENTENCE_REACH`` characters each way.

    Bounded so a message of thousands of numbers with no full stop costs O(n), not O(n^2)
    (one number per sentence search).
    """
    lo = max(0, index - _SENTENCE_REACH)
    hi = min(len(text), index + _SENTENCE_REACH)
    left = max(text.rfind(c, lo, index) for c in ".?!\n")
    right = [i for i in (text.find(c, index, hi) for c in ".?!\n") if i != -1]
    return text[max(left + 1, lo) : (min(right) + 1 if right else hi)]


def _apply_period(w: Workload, text: str, bare: tuple[Decimal, str] | None = None) -> None:
    """Scale items per frequency period to the duration or period the learner asked for."""
    duration = bare
    for m in _DURATION.finditer(text):
        amount = Decimal(m.group(1)) if m.group(1) else Decimal(1)
        duration = (amount, m.group(2).lower())
    if not w.frequency:
        periods = list(_ASKED_PERIOD.finditer(text))
        asked_only = [m.group(1) or _FREQ_ADJ[m.group(2).lower()] for m in periods]
        if asked_only and not duration and (w.items > 1 or w.each > 1):
            # "20k users, 5 messages each - monthly cost?": no rate to scale, so the counts
            # are read as per the period asked for, and the reply says so. "every day" (or
            # "daily") set apart from the counts is their rate: nothing to say.
            w.frequency = w.period = asked_only[-1].lower()
            if not re.match(r"every|each|daily|nightly", periods[-1].group(0), re.I):
                w.notes.append(f"You gave no rate (a day, an hour), so I took the counts as "
                               f"per {w.frequency}.")
        return
    freq_s = Decimal(_TIME_SECONDS[w.frequency])
    asked = None
    for m in _ASKED_PERIOD.finditer(text):
        unit = (m.group(1) or _FREQ_ADJ.get((m.group(2) or "").lower(), "")).lower()
        if unit and unit != w.frequency and _TIME_SECONDS[unit] > freq_s:
            asked = unit  # "1.5M tokens per day ... how much per month": the month
    target = None
    if duration:
        target = (duration[0] * _TIME_SECONDS[duration[1]], f"{duration[0]:g} {duration[1]}"
                  + ("s" if duration[0] != 1 else ""))
    elif asked:
        target = (Decimal(_TIME_SECONDS[asked]), asked)
    if target is None:
        w.period = w.frequency
        return
    seconds, label = target
    w.periods = seconds / freq_s
    w.period = label
    workdays = _DAYS_A_MONTH.search(text[:4000])
    if label == "month" and w.frequency == "day" and workdays and 1 <= int(workdays.group(1)) <= 31:
        # "5 questions a day on workdays (22 days/month)": their days, not 30.
        w.periods = Decimal(int(workdays.group(1)))
        w.notes.append(f"A month is taken as {w.periods} days, as you said.")
        return
    if label in ("month", "year"):
        w.notes.append(f"A {label} is taken as {seconds / 86400:g} days.")


# "22 days/month", "22 working days a month", "22 workdays per month".
_DAYS_A_MONTH = re.compile(r"\b(\d{1,2})\s{0,2}(?:working\s|work\s|business\s|school\s)?"
                           r"(?:days?|workdays|weekdays)\s{0,3}(?:a|per|/|each|every|in\s{1,3}a)"
                           r"\s{0,3}month\b", re.I)


# --- pricing ---------------------------------------------------------------------------------

def _fmt_tokens(n: Decimal | int) -> str:
    n = int(n)
    if n >= 1_000_000_000 and n % 1_000_000 == 0:
        return f"{n / 1_000_000_000:,.3f}".rstrip("0").rstrip(".") + "B"
    if n >= 1_000_000 and n % 10_000 == 0:
        return f"{n / 1_000_000:g}M"
    if n >= 10_000 and n % 1000 == 0:
        return f"{n // 1000:,}k"
    return f"{n:,}"


def _usd(amount: Decimal) -> str:
    from apilab.pricing import format_usd

    return format_usd(amount)


def _per(period: str) -> str:
    """" per month", or " over 14 weeks" for a stated duration ("per 14 weeks" misreads)."""
    if not period:
        return ""
    return f" over {period}" if period[0].isdigit() else f" per {period}"


def _per_item(w: Workload) -> str:
    """One item's tokens: "800 input + 120 output"."""
    per = []
    if w.input_tokens:
        per.append(f"{_fmt_tokens(w.input_tokens)} input")
    if w.cached_tokens:
        per.append(f"{_fmt_tokens(w.cached_tokens)} cached input")
    if w.output_tokens:
        per.append(f"{_fmt_tokens(w.output_tokens)} output")
    if w.reasoning_tokens:
        per.append(f"{_fmt_tokens(w.reasoning_tokens)} reasoning (billed as output)")
    return " + ".join(per)


def _count(n: Decimal) -> str:
    return f"{n:,.0f}" if n == n.to_integral_value() else f"{n:,.1f}"


def describe(w: Workload) -> str:
    """The workload's arithmetic in one line: items x tokens x periods = totals."""
    total_in, total_out, total_cached = w.totals()
    if w.total_items == 1 and not w.split_share:
        return "**Tokens:** " + _per_item(w) + "."
    count = f"{int(w.items):,}" + (f" {w.item_noun}" if w.item_noun else " requests")
    if w.each != 1:
        count += f" x {int(w.each):,} {w.each_noun} each"
    if w.frequency:
        count += f" per {w.frequency}"
    if w.periods != 1:
        # The conversion step, in the rate's unit: "x 30 days", "x 86,400 seconds a day".
        # (30 days are 4.3 weeks, not 4: the figure shown is the one multiplied.)
        shown = f"{w.periods:,.0f}" if w.periods == w.periods.to_integral_value() or \
            w.periods >= 100 else f"{w.periods:,.1f}"
        step = f"{shown} {w.frequency}s"
        article = "an" if w.period == "hour" else "a"
        count += f" x {step}" + ("" if w.period == step else f" {article} {w.period}")
    n = w.total_items
    if w.split_share:
        # Each share with its own size: "10,000 x (800 input ...) + 10,000 x (3,000 input ...)".
        other = dataclasses.replace(w, **{f"{w.split_side}_tokens": w.split_tokens})
        items = (f"{_count(n * (1 - w.split_share))} x ({_per_item(w)} tokens) + "
                 f"{_count(n * w.split_share)} x ({_per_item(other)} tokens)")
    else:
        items = f"{int(n):,} x ({_per_item(w)} tokens)"
    totals = [f"{_fmt_tokens(total_in)} input"] if total_in else []
    if total_cached:
        totals.append(f"{_fmt_tokens(total_cached)} cached")
    if total_out:
        totals.append(f"{_fmt_tokens(total_out)} output")
    return (f"**Workload:** {count} = {items} = {' + '.join(totals)} tokens" + _per(w.period)
            + ".")


def price_workload(w: Workload, models: list[str], at: str | None = None, *,
                   caching: bool = False) -> tuple[str, list[dict[str, str]]]:
    """Markdown pricing of ``w`` on each model (or the learner's rates), with the arithmetic;
    ``caching`` (asked "with and without caching?") adds each model's best case with the
    input read from the prompt cache."""
    total_in, total_out, total_cached = w.totals()
    lines = [describe(w)]
    figures: list[dict[str, str]] = []
    if w.rates:
        in_rate = w.rates.get("input", Decimal(0))
        out_rate = w.rates.get("output", Decimal(0))
        cached_rate = w.rates.get("cached", in_rate)
        amount_in = total_in * in_rate / _MILLION
        amount_out = total_out * out_rate / _MILLION
        amount_cached = total_cached * cached_rate / _MILLION
        total = amount_in + amount_out + amount_cached
        parts = [f"{_fmt_tokens(total_in)} x {_usd(in_rate)}/1M = {_usd(amount_in)}"]
        if total_cached:
            parts.append(f"{_fmt_tokens(total_cached)} x {_usd(cached_rate)}/1M = "
                         f"{_usd(amount_cached)}")
        if total_out:
            parts.append(f"{_fmt_tokens(total_out)} x {_usd(out_rate)}/1M = {_usd(amount_out)}")
        lines.append(f"**At your rates:** {'; '.join(parts)}; total **{_usd(total)}**.")
        figures.append({"model": "your rates", "total_usd": str(total)})
    model_lines, model_figures = _model_lines(w, [] if w.rates and not models else models, at)
    lines += model_lines
    figures += model_figures
    if caching and not w.rates:
        lines += _cached_lines(w, models, at)
    if w.claimed is not None and figures:
        lines.append(_check_claim(w, figures))
    if w.budget and figures and not (w.budget_monthly and w.frequency):
        # ("$50/month" is a rate to fit under, said by the caller's budget check, not a sum
        # that lasts so many months.)
        lines.append(_budget_lasts(w, figures))
    if total_in and not total_out:
        lines.append("_Only input is priced: add the output you expect (\"... and 300 output "
                     "tokens each\"); output costs 3-5x more per token on most models._")
    lines += [f"_{note}_" for note in w.notes]
    return "\n\n".join(lines), figures


def _model_lines(w: Workload, models: list[str], at: str | None) -> tuple[list[str], list[
        dict[str, str]]]:
    """One line per model: each side's tokens x its rate, and the total."""
    from apilab.errors import ApilabError
    from apilab.pricing import cost

    total_in, total_out, total_cached = w.totals()
    lines: list[str] = []
    figures: list[dict[str, str]] = []
    for model in models:
        try:
            # Long-context rates apply per request above a prompt size, so they need a
            # request count: "1.5M input tokens" with none is a total over many requests.
            requests = int(w.total_items) if (w.item_noun or w.items > 1) else None
            b = cost(model, total_in, total_out, cached_input_tokens=total_cached, at=at,
                     request_count=requests or None)
        except ApilabError as exc:
            lines.append(f"`{model}`: {exc}")
            continue
        parts = []
        for label, tokens, rate, amount in b.lines():
            if tokens:
                parts.append(f"{_fmt_tokens(tokens)} {label} x {_usd(rate)}/1M = {_usd(amount)}")
        when = f"price as of {b.price.as_of}" if getattr(b.price, "as_of", None) else "price"
        if at:
            when = f"price in force on {b.at.isoformat()}"
        lines.append(f"**`{b.model}`** ({when}): {'; '.join(parts)}; total "
                     f"**{_usd(b.total)}**" + _per(w.period) + ".")
        figures.append({"model": b.model, "total_usd": str(b.total)})
    return lines, figures


def _cached_lines(w: Workload, models: list[str], at: str | None) -> list[str]:
    """Each model's cost with every request's input read from the prompt cache: the best
    case, said as one (a cache entry lives minutes, so the first request after a quiet spell
    pays the full rate; Anthropic also bills writing the cache at 1.25x, said for Claude)."""
    from apilab.errors import ApilabError
    from apilab.pricing import cost

    total_in, total_out, total_cached = w.totals()
    if not total_in:
        return []
    # Only the part that is the same on every call (a system prompt the learner sized) is
    # cacheable; without that, the best case reads every request's input from the cache.
    fixed = (total_in * w.fixed_input / w.input_tokens).to_integral_value() if (
        w.fixed_input and w.input_tokens and w.fixed_input < w.input_tokens) else total_in
    lines = []
    for model in models:
        try:
            full = cost(model, total_in, total_out, cached_input_tokens=total_cached, at=at)
            hit = cost(model, total_in - fixed, total_out,
                       cached_input_tokens=fixed + total_cached, at=at)
        except ApilabError:
            continue
        rate = hit.rates.get("cached_input")
        if not rate or hit.total >= full.total:
            lines.append(f"`{full.model}`: the price table has no cached-input rate for it, "
                         "so caching is not priced here.")
            continue
        saved = (full.total - hit.total) / full.total * 100
        what = ("every request's input" if fixed == total_in else
                 f"the fixed {_fmt_tokens(w.fixed_input)} tokens of each request")
        lines.append(f"**With the prompt cache** (`{full.model}`, best case: {what} "
                     f"read from the cache at {_usd(rate)}/1M): "
                     f"{_fmt_tokens(fixed + total_cached)} x {_usd(rate)}/1M = "
                     f"{_usd(hit.cached_input)}; total **{_usd(hit.total)}**" + _per(w.period)
                     + f", {saved:.0f}% less. Only the identical prefix of each request is "
                     "cached (put the fixed text first), and an entry lives minutes, so the "
                     "first request after a quiet spell pays the full rate"
                     + ("; writing the cache is billed at 1.25x the input rate." if
                        full.model.startswith("claude") else "."))
    return lines


def price_model_split(w: Workload, share: Decimal, new_model: str, old_model: str,
                      at: str | None = None) -> tuple[str, list[dict[str, str]]]:
    """``w`` with ``share`` of its items on ``new_model`` and the rest on ``old_model``
    ("what if half of them use gpt-4o instead?")."""
    noun = w.item_noun or "requests"
    lines = [describe(w)]
    figures: list[dict[str, str]] = []
    for model, part in ((new_model, share), (old_model, 1 - share)):
        sub = dataclasses.replace(w, items=w.items * part, notes=[])
        found, figs = _model_lines(sub, [model], at)
        lines += [f"{_count(w.items * part)} {noun}: {line}" for line in found]
        figures += figs
    if len(figures) == 2:
        total = sum((Decimal(f["total_usd"]) for f in figures), Decimal(0))
        lines.append(f"**Split {_count(share * 100)}% / {_count((1 - share) * 100)}%: total "
                     f"{_usd(total)}**" + _per(w.period) + ".")
        figures.append({"model": f"{new_model} + {old_model}", "total_usd": str(total)})
    lines += [f"_{note}_" for note in w.notes]
    return "\n\n".join(lines), figures


_PER_MONTH_AFTER = re.compile(r"\s{0,2}(?:/\s{0,2}(?:mo|month)\b|(?:a|per|each|every)\s{1,3}month\b"
                              r"|monthly\b)", re.I)


def _budget_lasts(w: Workload, figures: list[dict[str, str]]) -> str:
    """How long the learner's money lasts at the first figure's rate."""
    budget = w.budget or Decimal(0)
    total = Decimal(figures[0]["total_usd"])
    where = "" if figures[0]["model"] == "your rates" else f" on `{figures[0]['model']}`"
    if not total:
        return f"**{_usd(budget)}** is not used up by this workload{where}."
    if not w.frequency:
        return (f"**{_usd(budget)} covers this workload about {budget / total:,.0f} times"
                f"**{where}.")
    unit = w.frequency
    per_unit = total / w.periods
    count = budget / per_unit
    lasts = f"about {count:,.0f} {unit}s" if count >= 2 else f"about {count:,.1f} {unit}s"
    days = count * _TIME_SECONDS[unit] / 86400
    if unit != "month" and days >= 60:
        lasts += f" (about {days / 30:,.0f} months)" if days < 730 else \
            f" (about {days / 365:,.1f} years)"
    return (f"**{_usd(budget)} lasts {lasts}**{where}, at {_usd(per_unit)} a {unit}. Prices "
            "change and longer chats resend more history, so check the usage page after a "
            "few days.")


def _check_claim(w: Workload, figures: list[dict[str, str]]) -> str:
    claimed = w.claimed or Decimal(0)
    if not w.claimed_money:
        total_in, total_out, _ = w.totals()
        tokens = total_in + total_out
        verdict = "yes" if abs(tokens - claimed) <= claimed * Decimal("0.05") else "no"
        return (f"**You asked whether it is {_fmt_tokens(claimed)} tokens: {verdict}** - the "
                f"workload is {_fmt_tokens(tokens)} tokens in total.")
    totals = [Decimal(f["total_usd"]) for f in figures]
    close = [t for t in totals if claimed and abs(t - claimed) <= claimed * Decimal("0.05")]
    if close:
        return (f"**You asked whether it is about {_usd(claimed)}: yes** - "
                f"{_usd(close[0])} by the figures above.")
    nearest = min(totals, key=lambda t: abs(t - claimed))
    ratio = (claimed / nearest) if nearest else Decimal(0)
    hint = ""
    if nearest and (abs(ratio - 1000) < 50 or abs(ratio - Decimal("0.001")) < Decimal("0.0001")):
        hint = " (a factor of 1,000: prices are per **million** tokens, not per thousand)"
    elif nearest and abs(ratio - 30) < 2:
        hint = " (a factor of 30: check per day against per month)"
    return (f"**You asked whether it is {_usd(claimed)}: no** - it comes to {_usd(nearest)}"
            f"{hint}.")


# --- rates against limits (the retry guide and capacity questions) -----------------------

# Labels for the numbers of the retry guide's traffic step (bounded patterns).
_RPM_AFTER = re.compile(r"\s{0,2}(?:rpm\b|req(?:uest)?s?\s{0,2}(?:/|per|an?|each)\s{0,2}"
                        r"min(?:ute)?\b|calls?\s{0,2}(?:/|per|an?)\s{0,2}min(?:ute)?\b)", re.I)
_RPS_AFTER = re.compile(r"\s{0,2}(?:rps\b|req(?:uest)?s?\s{0,2}(?:/|per|an?)\s{0,2}"
                        r"s(?:ec(?:ond)?)?\b)", re.I)
_TPM_AFTER = re.compile(r"\s{0,2}(?:(input|output)\s{1,2})?(?:tpm\b|tok(?:en)?s?\s{0,2}(?:/|"
                        r"per|an?)\s{0,2}min(?:ute)?\b)", re.I)
_TOKENS_AFTER = re.compile(r"\s{0,2}(?:(input|prompt|output|completion)\s{1,2})?tok(?:en)?s?\b",
                           re.I)
# "800 input tokens and 400 output": a side named with no "tokens" after it.
_SIDE_SIZE_AFTER = re.compile(r"\s{0,2}(input|output)\b(?!\s{0,2}(?:tok|tpm|per|/))", re.I)
_RPM_BEFORE = re.compile(r"\b(?:rpm|requests per minute)\s{0,2}(?:limit\s{0,2})?(?:of|is|=|:)?"
                         r"\s{0,2}~?$", re.I)
_TPM_BEFORE = re.compile(r"\b(?:(input|output)\s{1,2})?(?:tpm|tokens per minute)\s{0,2}"
                         r"(?:limit\s{0,2})?(?:of|is|=|:)?\s{0,2}~?$", re.I)
# "our tier is 50 RPM", "limit of 50 rpm": a limit; "we send 50 rpm": traffic.
_LIMIT_WORDS = re.compile(r"\b(?:tier|limits?|allowed|allows?|max(?:imum)?|cap|quota|"
                          r"plan gives|we get|we have|account has)\b", re.I)
_USAGE_WORDS = re.compile(r"\b(?:send|sending|make|making|do|doing|peak|traffic|use|using|"
                          r"need|expect)\b", re.I)


# "~20 people who might all use it at 9am", "50 users at the same time".
_CROWD_NOUNS = "|".join(sorted(_PEOPLE_NOUNS | {"colleagues"}, key=len, reverse=True))
_CROWD = re.compile(rf"(\d[\d,]{{0,6}})\s{{1,2}}(?:{_CROWD_NOUNS})\b[^.?!\n]{{0,40}}?\b(?:all|"
                    r"at once|at the same time|simultaneous(?:ly)?|together)\b", re.I)
_MAX_TOKENS = re.compile(r"\bmax_(?:completion_)?tokens\s{0,2}(?:[=:]|of|to|is|at|set to)?\s{0,2}"
                         r"(\d[\d,]{0,9})\b", re.I)
# "with 90k TPM", "on 30k TPM": the limit they have, even after "how many can I do".
_WITH_BEFORE = re.compile(r"\b(?:with|on|under|having|at most)\s{1,2}~?$", re.I)
# "3000 tickets a night", "500 a day": a count per period longer than a minute (a batch).
# ("300 jobs in an hour" too)
_PERIOD_AFTER = re.compile(r"\s{0,2}(?:[a-z]{1,20}\s{1,2}){0,2}?(?:a|per|each|every|in\s{1,2}"
                           r"(?:an?|one))\s{1,2}(night|day|hour|week|month)\b", re.I)


_CONCURRENCY = re.compile(r"\b(?:semaphore|concurrency|concurrent|max_workers|workers?|"
                          r"threads?)\b[^.\n\d]{0,12}$", re.I)
_IN_FLIGHT = re.compile(r"\s{0,2}(?:in\s{1,3}flight|in\s{1,3}parallel|at\s{1,3}once|"
                        r"concurrent(?:ly)?|parallel)\b", re.I)
_SPREAD = {"night": (60, "an hour"), "hour": (60, "the hour"), "day": (1440, "the day"),
           "week": (10080, "the week"), "month": (43200, "the month")}


# People waiting for each answer: traffic that comes in bursts, not a batch to spread out.
_PEOPLE_WAIT = re.compile(r"\b(?:chat|chatbot|discord|telegram|slack|widget|spiky|spikes?|"
                          r"users|customers|members|students|visitors|"
                          r"people (?:ask|wait)|users? (?:ask|wait|type)|customers? (?:ask|wait)"
                          r"|waiting|real[- ]?time|during (?:an? )?events?)\b", re.I)
_TIER_BEFORE = re.compile(r"\btier\s{0,2}-?\s{0,2}$", re.I)
_EACH_AFTER = re.compile(r"\s{0,2}(?:each|per\s{1,3}(?:worker|process|instance|pod))\b", re.I)
_WORKERS_AFTER = re.compile(r"\s{0,2}(?:\w+\s){0,1}(?:workers?|processes|instances|threads|pods|"
                            r"replicas|containers|servers|machines|cores|dynos)\b", re.I)


def _split_limits(limits: dict[str, int], sizes: dict[str, int], rpm_limit: int | None,
                  batch: tuple[int, str] | None, workers: int | None) -> str:
    """Anthropic-style separate input and output token limits, each against its side of a
    request: the smaller quotient binds. With a batch, how long it takes at that pace."""
    if not ("input" in limits and "output" in limits and "input" in sizes and "output" in sizes):
        return ""
    fits = {side: limits[side] // max(1, sizes[side]) for side in ("input", "output")}
    parts = [f"Your input limit allows {limits['input']:,} / {sizes['input']:,} = "
             f"**{fits['input']:,}** requests a minute",
             f"your output limit {limits['output']:,} / {sizes['output']:,} = "
             f"**{fits['output']:,}**"]
    caps = {"input tokens per minute": fits["input"], "output tokens per minute": fits["output"]}
    if rpm_limit:
        parts.append(f"your RPM limit {rpm_limit:,}")
        caps["requests per minute"] = rpm_limit
    binding = min(caps, key=lambda k: caps[k])
    cap = caps[binding]
    pace = max(1, cap * 4 // 5)
    line = (f"Per request: {sizes['input']:,} input and {sizes['output']:,} output tokens. "
            + "; ".join(parts) + f". So the **{binding}** limit binds: about **{cap:,} "
            f"requests a minute** in all. Pace a little under it, about **{pace:,} a minute**"
            + (f" across your {workers:,} workers ({max(1, pace // workers):,} each)"
               if workers else "")
            + ", so retries and bursts fit.")
    if batch:
        count = batch[0]
        minutes = -(-count // pace)
        line += (f" At that pace {count:,} requests take about **{minutes:,} minutes "
                 f"({minutes / 60:.1f} hours)**: enqueueing them all at once only fills the "
                 "queue, the limiter sets the speed.")
    return line


def rate_arithmetic(answer: str) -> str:
    """Which number is the RPM, which the TPM and which the tokens per request, each a limit
    or the learner's own traffic, and what they add up to ("50 RPM and 40k TPM, each request
    ~2k tokens": TPM binds at 20 requests a minute); "" when the numbers say nothing.

    Each number is labelled from a few characters either side (bounded patterns)."""
    rpm_use: int | None = None
    rpm_limit: int | None = None
    tpm_limit: int | None = None
    tpm_side = ""
    per_request: int | None = None
    in_flight: int | None = None  # requests at once ("semaphore of 10"), not a rate
    workers: int | None = None  # "4 celery workers": each may run several at once
    sizes: list[int] = []  # the token sizes of one request (input, output)
    side_sizes: dict[str, int] = {}  # the same, where the learner named the side
    side_limits: dict[str, int] = {}  # TPM limits by side ("": both; Anthropic: input, output)
    plain: list[int] = []
    batch: tuple[int, str] | None = None
    has_tpm = bool(re.search(r"\btpm\b|tokens per minute", answer[:2000], re.I))
    # "max_tokens=4000": reserved against TPM when a request arrives, whatever comes back.
    cap = _MAX_TOKENS.search(answer[:2000])
    reserved = int(cap.group(1).replace(",", "")) if cap else None
    for q in parse_quantities(answer[:2000]):
        if q.money or (cap and cap.start() <= q.start < cap.end()):
            continue
        value = int(q.value)
        after = answer[q.end:q.end + 30]
        before = answer[max(0, q.start - 40):q.start]
        if _TIER_BEFORE.search(before):
            continue  # "we're on usage tier 2": a tier, not 2 tokens
        if _WORKERS_AFTER.match(after):
            in_flight = value  # "4 worker processes": that many at once, not 4 tokens
            workers = value
            continue
        clause = re.split(r"[,;.]|\band\b", before)[-1]
        limit = (bool(_LIMIT_WORDS.search(clause)) and not _USAGE_WORDS.search(clause[-15:])
                 or bool(_WITH_BEFORE.search(before)))
        tpm = _TPM_AFTER.match(after) or _TPM_BEFORE.search(before)
        if tpm:
            if not limit and _USAGE_WORDS.search(clause) and not _LIMIT_WORDS.search(clause):
                continue  # their own tokens a minute: the requests and sizes say it better
            tpm_limit, tpm_side = value, (tpm.group(1) or "").lower()
            side_limits[tpm_side] = value
        elif _RPM_AFTER.match(after) or _RPM_BEFORE.search(before):
            # Said beside a TPM ("50 RPM and 40k TPM"), an RPM is the tier's, unless they
            # say they send it.
            if limit or (has_tpm and not _USAGE_WORDS.search(clause)):
                rpm_limit = value
            else:
                rpm_use = value
        elif _RPS_AFTER.match(after):
            rpm_use = value * 60
        elif (sized := _TOKENS_AFTER.match(after) or _SIDE_SIZE_AFTER.match(after)):
            # "800 tokens in and the answer is like 20 tokens": one request is both.
            if value not in sizes:
                sizes.append(value)
            per_request = sum(sizes)
            named_side = _side(sized.group(1))
            if named_side in ("input", "output"):
                side_sizes.setdefault(named_side, value)
        elif (period := _PERIOD_AFTER.match(after)) and batch is None:
            batch = (value, period.group(1).lower())
        elif 400 <= value < 600 and re.match(r"(?:s|'s)?\b(?!\s{0,2}(?:tokens?|requests?))",
                                              after):
            continue  # "bursts of 429s": a status, not a size
        elif _CONCURRENCY.search(before[-25:]) or _IN_FLIGHT.match(after):
            in_flight = value  # "a semaphore of 10", "10 in parallel": at once, not a minute
            if workers and _EACH_AFTER.match(after):
                # "4 celery workers with concurrency 4 each": 16 at once.
                in_flight = workers * value
        else:
            plain.append(value)
    if batch and rpm_use is None and rpm_limit is None:
        # "3000 tickets a night, it can take an hour": not a per-minute rate. Spread over an
        # hour it is a gentle one.
        count, period = batch
        people = parse_workload(answer[:2000])
        if (people is not None and people.item_noun in _PEOPLE_NOUNS and people.each > 1
                and people.frequency == period):
            # "free users get 20 generations a day ... 3000 free users": 60,000 a day.
            count = int(people.items * people.each)
        # A night's run within an hour; a day's, a week's or a month's spread over it.
        minutes, over = _SPREAD.get(period, (60, "an hour"))
        article = "an" if period == "hour" else "a"
        per_minute = max(1, -(-count // minutes))
        size = per_request or (plain[0] if plain else None)
        if _PEOPLE_WAIT.search(answer[:2000]):
            # "2000 questions a day ... very spiky, people wait in chat": an average, not a
            # batch to spread out; the busiest minute is what the limits must take.
            return (f"{count:,} {article} {period} averages about **{per_minute:,} requests a "
                    "minute**, but people waiting for answers come in bursts: size your limits "
                    "and your own per-user (or per-group) limiter for the busiest minute, not "
                    "the average" + (f", at {size:,} tokens a request" if size else "")
                    + ". Count how many arrive in that minute (your logs, or an event's "
                    "peak) and compare it with your RPM and TPM.")
        return (f"{count:,} {article} {period} is a batch, not a stream: spread over {over} "
                f"that is about **{per_minute:,} requests a minute**"
                + (f" x {size:,} tokens = about **{per_minute * size:,} tokens per minute**"
                   if size else "")
                + ", and a queue worker can pace itself to stay under your limits (or send it "
                "through the Batch API, at half price, when a day's wait is fine).")
    split = _split_limits(side_limits, side_sizes, rpm_limit, batch, in_flight)
    if split:
        return split
    if in_flight and tpm_limit and per_request and rpm_use is None:
        # Concurrency is not a rate: 10 in flight of calls lasting a few seconds start far
        # more than 10 a minute.
        fits = tpm_limit // per_request
        return (f"{in_flight:,} in flight x {per_request:,} tokens is {in_flight * per_request:,}"
                f" tokens at once, and each finished call starts another: with calls of a few "
                f"seconds that is well over {in_flight:,} a minute. Your {tpm_limit:,} TPM "
                f"allows {tpm_limit:,} / {per_request:,} = **{fits:,} requests of that size a "
                f"minute** in all. So pace by tokens, not by concurrency: a limiter that "
                f"admits about {fits * 4 // 5:,} a minute (a token bucket of "
                f"~{tpm_limit * 4 // 5:,} tokens a minute), or a semaphore of 1-2, and wait "
                "out each 429's "
                "`retry-after`.")
    # "300 a minute, 1,500 tokens each" told without labels: the coach asked for them in
    # that order.
    if rpm_use is None and rpm_limit is None and plain and per_request is not None:
        rpm_use = plain[0]
    elif rpm_use is None and rpm_limit is None and per_request is None and len(plain) >= 2:
        rpm_use, per_request = plain[0], plain[1]
    lines: list[str] = []
    if reserved and tpm_limit and rpm_use:
        # The limit counts what each request *could* use: prompt plus max_tokens.
        need = rpm_use * reserved
        return (f"`max_tokens={reserved:,}` is counted against your TPM when each request "
                f"arrives (prompt + max_tokens is reserved, whatever the reply's real length): "
                f"{rpm_use:,} requests a minute reserve at least {rpm_use:,} x {reserved:,} = "
                f"**{need:,} tokens a minute**"
                + (f", over your {tpm_limit:,} TPM: that is where the 429s come from. Set "
                   f"max_tokens near the longest reply you need (with ~{per_request:,}-token "
                   "replies, a few hundred)" if need > tpm_limit and per_request else
                   f", over your {tpm_limit:,} TPM: lower max_tokens to what replies need"
                   if need > tpm_limit else f", inside your {tpm_limit:,} TPM")
                + ".")
    if rpm_use and per_request:
        lines.append(f"{rpm_use:,} requests a minute x {per_request:,} tokens each is about "
                     f"**{rpm_use * per_request:,} tokens per minute**.")
    admitted = ""
    if reserved and tpm_limit and per_request and "output" not in side_sizes and len(sizes) == 1:
        # "2.5k tokens prompt and max_tokens 1000": OpenAI admits a request against TPM at
        # prompt + max_tokens, so that is the size a minute's budget is divided by.
        admitted = (f"OpenAI counts each request against TPM as prompt + max_tokens when it "
                    f"arrives: {per_request:,} + {reserved:,} = {per_request + reserved:,} "
                    "tokens. ")
        per_request += reserved
    if tpm_limit and per_request:
        fits = tpm_limit // per_request
        line = (f"{admitted}Your TPM limit allows {tpm_limit:,} / {per_request:,} = "
                f"**{fits:,} requests a minute**")
        if rpm_limit:
            binding, cap = ("TPM", fits) if fits < rpm_limit else ("RPM", rpm_limit)
            line += (f"; your RPM limit allows {rpm_limit:,}. So **{binding} binds: you can do "
                     f"about {cap:,} requests a minute**, not {max(fits, rpm_limit):,}")
        else:
            cap = fits
        line += (f". Set your client-side limiter ~20% under it (about {cap * 4 // 5:,} a "
                 "minute) so bursts and retries fit.")
        if rpm_use:
            line += (f" At {rpm_use:,} a minute you would be "
                     + ("over it: expect 429s." if rpm_use > cap else "inside it."))
        elif (crowd := _CROWD.search(answer[:2000])) is not None:
            people = int(crowd.group(1).replace(",", ""))
            line += (f" {people:,} people starting at the same time is about {people:,} "
                     "requests in that minute: "
                     + (f"more than {cap:,}, so expect 429s at the rush unless you queue "
                        "requests (and show a short wait), lower max_tokens, or ask for a "
                        "higher tier." if people > cap else "that fits."))
        if tpm_side == "input":
            line += (" It is an *input* TPM limit, so only the prompt part of each request "
                     f"counts; if your ~{per_request:,} includes the answer, you can fit a few "
                     "more.")
        lines.append(line)
    elif rpm_limit and rpm_use:
        subject = "That is" if lines else f"{rpm_use:,} requests a minute is"
        over = " (over it: expect 429s)" if rpm_use > rpm_limit else ""
        tpm_too = (f"; compare the {rpm_use * per_request:,} tokens a minute with your TPM "
                   "limit too (the Limits page of your dashboard), it often binds first."
                   if per_request else ".")
        lines.append(f"{subject} {rpm_use * 100 // rpm_limit}% of your {rpm_limit:,} RPM limit"
                     f"{over}{tpm_too}")
    elif rpm_limit and tpm_limit:
        lines.append(f"Which limit binds depends on the tokens per request: above "
                     f"{tpm_limit // rpm_limit:,} tokens a request ({tpm_limit:,} / "
                     f"{rpm_limit:,}), TPM runs out before RPM does.")
    if lines and not (tpm_limit or rpm_limit):
        lines.append("Compare that with your tier's RPM and TPM limits (the Limits page of "
                     "your dashboard): whichever you are closer to is the one you will hit "
                     "first, and your client-side limiter should keep you ~20% below it.")
    return " ".join(lines)


# "like 50 messages, each one maybe 100 tokens. how many tokens would the 50th request be":
# the history is resent on every turn, so requests grow and the conversation's input grows
# with the square of its length.
_GROWTH_ASK = re.compile(
    r"\bhow (?:many|much)\b[^.?!\n]{0,40}\b(?:\d{1,4}(?:st|nd|rd|th)|last|final)\s{1,3}"
    r"(?:request|message|turn|call|one)\b|\bhow (?:many|much)\b[^.?!\n]{0,30}\b(?:whole|"
    r"entire|full)\s{1,3}(?:conversation|chat|thread)\b", re.I)
_MESSAGES_AFTER = re.compile(r"^\s{0,2}(?:chat\s{1,3})?(?:messages|msgs|turns|exchanges)\b", re.I)
_TOKENS_EACH_AFTER = re.compile(r"^\s{0,2}(?:tokens?|toks?)\b", re.I)
GROWTH_MAX_MESSAGES = 10_000


def history_growth(text: str) -> str:
    """The tokens the Nth request of a chat carries and the whole conversation's input,
    when ``text`` gives a number of messages, their size and asks about a late request;
    "" otherwise."""
    head = text[:2000]
    if not _GROWTH_ASK.search(head):
        return ""
    messages = size = None
    for q in parse_quantities(head):
        after = head[q.end:q.end + 30]
        if q.money:
            continue
        if messages is None and _MESSAGES_AFTER.match(after):
            messages = int(q.value)
        elif size is None and _TOKENS_EACH_AFTER.match(after):
            size = int(q.value)
    if not messages or not size or not 1 < messages <= GROWTH_MAX_MESSAGES:
        return ""
    last = messages * size
    total = size * messages * (messages + 1) // 2
    return (f"**History growth:** the API keeps no memory, so every request resends the "
            f"conversation so far. Counting each message (yours and the replies) as about "
            f"{size:,} tokens, request *k* carries about *k* x {size:,} tokens: the "
            f"{_ordinal(messages)} carries about **{_fmt_tokens(last)} input tokens** (plus "
            f"the system prompt, resent every time too), and the whole conversation about "
            f"{size:,} x {messages} x {messages + 1} / 2 = **{_fmt_tokens(total)} input "
            f"tokens** in all. That is why long chats get expensive: trim or summarise old "
            f"turns, or cap the history you send.")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix} request"


# "budget maybe 20 dollars a month", "cap of $100 per month", "we have a $20 monthly
# budget", "no more than 25 bucks a month": an amount of money said as a monthly limit.
_AMOUNT = r"(\d{1,3}(?:,\d{3}){1,2}|\d{1,7})(\.\d{1,2})?(k\b)?"
_MONEY = re.compile(rf"(?:\$|\busd\s{{0,2}}|\bus\$)\s{{0,2}}{_AMOUNT}|\b{_AMOUNT}\s{{0,2}}"
                    r"(?:\$|usd\b|dollars?\b|bucks\b|€|eur\b|euros?\b)", re.I)
_SPEND_WORDS = re.compile(r"\b(?:budget|cap|capped|limit|spend|afford|max|maximum|"
                          r"more than|at most|up to|have|got|allow|allowed)\b", re.I)
# "it costs $150 a month", "our bill is $40/month": what is spent, not a limit.
_COST_WORDS = re.compile(r"\b(?:costs?|costing|bill|billed|paying|pay|paid|charged|spent|"
                         r"spending)\b", re.I)
# Words that make an amount a limit, not a figure ("under $400", "a $300 cap").
_BUDGET_LIMIT_WORDS = re.compile(r"\b(?:budget|cap|capped|limit|under|below|at most|max|maximum|"
                          r"no more than|up to|afford|allow(?:ed)?|keep it)\b", re.I)
# "spend is ~$5/mo", "we currently spend $1,800": today's spend, not the limit.
_CURRENT_SPEND = re.compile(r"\b(?:spend\s{1,3}(?:is|was)|currently|right now|so far|last month|"
                            r"this month|we spend|i spend|spending)\b", re.I)
_MONTHLY_NEAR = re.compile(r"/\s{0,2}mo\b|\bmonth(?:ly)?\b", re.I)


def monthly_budget(text: str) -> Decimal | None:
    """The monthly spending limit the learner said, or None: an amount with budget or cap
    words just before or after it and a month near it, not what something costs. Of
    several, the last one said as a limit ("spend is ~$5/mo testing ... i'd want it under
    $400 a month": $400), else the last one said at all."""
    limits: list[Decimal] = []
    others: list[Decimal] = []
    for m in _MONEY.finditer(text[:6000]):
        before = text[max(0, m.start() - 50):m.start()]
        before = re.split(r"[.?!;\n]|\band\b", before)[-1]  # this clause only
        after = text[m.end():m.end() + 40]
        after = re.split(r"[.?!;\n]|\band\b", after)[0]
        near = f"{before} {after}"
        if not (_SPEND_WORDS.search(near) and _MONTHLY_NEAR.search(near)):
            continue
        limit = _BUDGET_LIMIT_WORDS.search(near) is not None
        if (_COST_WORDS.search(before) or _CURRENT_SPEND.search(before)) and not limit:
            continue  # "it costs $150 a month", "spend is ~$5/mo": what is spent now
        whole, cents, thousands = m.group(1, 2, 3) if m.group(1) else m.group(4, 5, 6)
        amount = Decimal(whole.replace(",", "") + (cents or "")) * (1000 if thousands else 1)
        if amount > 0:
            (limits if limit else others).append(amount)
    found = limits or others
    return found[-1] if found else None
