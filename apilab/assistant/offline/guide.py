"""Guided design conversations: ask about the learner's situation, react, end with a plan.

Each lab's design brief ("think through secure key management for your app") has a guide
in ``rules/guides.yaml``: an intro, three questions, reactions to what the learner says,
and plan items chosen by the facts recognised in their answers. The conversation keeps no
state of its own: every guide message starts with a visible header
("**Planning key management for your app - question 2 of 3**"), so the position is read
back from the transcript, and the facts are re-read from the learner's earlier answers.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from apilab.assistant.offline.draft import Draft

__all__ = ["Guide", "guide_step", "guides"]

_HEADER = re.compile(r"\*\*(?P<title>[^*\n]{5,120}) - question (?P<n>\d) of (?P<total>\d)\*\*")
_STOP = re.compile(r"^\s*(?:stop|skip|cancel|quit|exit|never ?mind|forget it|no thanks)\b", re.I)


def _safe_load(text: str) -> Any:
    """``yaml.safe_load`` through libyaml when PyYAML has it (about 10x faster, same
    safe constructors): loading this package's data is on the CLI's start-up path."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@dataclasses.dataclass(frozen=True)
class Step:
    ask: str
    facts: dict[str, tuple[str, ...]]
    react: dict[str, str]
    objectives: tuple[str, ...] = ()  # what answering this step makes the learner think through
    # fact -> facts that cancel it: "a next.js frontend ... python backend" is not client-only.
    unless: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)

    def facts_in(self, answer: str) -> list[str]:
        found = _facts(self, answer)
        return [f for f in found if not set(self.unless.get(f, ())) & set(found)]


@dataclasses.dataclass(frozen=True)
class Guide:
    """One guided conversation for a lab's design brief."""

    id: str
    lab: str
    title: str
    triggers: tuple[re.Pattern[str], ...]
    intro: str
    steps: tuple[Step, ...]
    plan: dict[str, tuple[str, ...]]
    plan_objectives: tuple[str, ...] = ()
    draft: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    plan_first: tuple[str, ...] = ()  # facts whose plan items go before all others

    def header(self, n: int) -> str:
        return f"**{self.title} - question {n} of {len(self.steps)}**"


@functools.cache
def guides() -> tuple[Guide, ...]:
    """Every guide, from ``rules/guides.yaml``."""
    path = resources.files("apilab.assistant.offline") / "rules" / "guides.yaml"
    raw: list[dict[str, Any]] = _safe_load(path.read_text(encoding="utf-8"))
    out = []
    for g in raw:
        steps = tuple(Step(s["ask"], {k: tuple(str(w).lower() for w in v)
                                      for k, v in (s.get("facts") or {}).items()},
                           dict(s.get("react") or {}), tuple(s.get("objectives") or ()),
                           {k: tuple(v) for k, v in (s.get("unless") or {}).items()})
                      for s in g["steps"])
        out.append(Guide(g["id"], g["lab"], g["title"],
                         tuple(re.compile(t, re.I) for t in g["triggers"]),
                         " ".join(g["intro"].split()), steps,
                         {k: tuple(v) for k, v in (g.get("plan") or {}).items()},
                         tuple(g.get("plan_objectives") or ()),
                         {k: tuple(v) for k, v in (g.get("draft") or {}).items()},
                         tuple(g.get("plan_first") or ())))
    return tuple(out)


def _asks(message: str) -> bool:
    from apilab.assistant.offline.read import is_question, sentences

    first = next(iter(sentences(message)), "")
    return is_question(first)


def _facts(step: Step, answer: str) -> list[str]:
    low = f" {answer.lower()} "
    found = []
    for fact, words in step.facts.items():
        for word in words:
            at = (low.find(word) if not word.isalnum() or " " in word or word.isdigit()
                  else _word_at(word, low))
            if at >= 0 and not _NEGATED.search(low[max(0, at - 20):at]):
                found.append(fact)
                break
    return found


def _word_at(word: str, text: str) -> int:
    # "extracts", "capped", "summarizing": the word with a common ending counts too.
    m = re.search(rf"\b{re.escape(word)}(?:s|es|ed|d|ing)?\b", text)
    return m.start() if m else -1


# "no CI yet", "we don't have a team": the fact is named to say it does not apply. (A fact
# that is itself a negation, "no cap", is matched whole and has nothing before it.)
_NEGATED = re.compile(r"\b(?:no|not|without|never|don'?t (?:have|use|need)|haven'?t (?:got|set up)?"
                      r"|nobody(?: is)?|no one(?: is)?|nothing(?: is)?)\s+(?:\w+\s+)?$")


def _position(w: Draft) -> tuple[Guide, int] | None:
    """The guide and the question number the tutor asked last, if a guide is running."""
    last = w.last_reply()
    m = _HEADER.search(last)
    if not m:
        return None
    guide = next((g for g in guides() if g.title == m.group("title")), None)
    if guide is None:
        return None
    return guide, int(m.group("n"))


_PLAN_MARK = "**Your plan** ("


def _paused(w: Draft) -> tuple[Guide, int] | None:
    """A guide whose question was asked one reply earlier, before a side question."""
    replies = [content for role, content in w.turn.history if role == "assistant"]
    if len(replies) < 2 or _HEADER.search(replies[-1]) or _PLAN_MARK in replies[-1]:
        return None  # still asking, or finished: the plan was given
    m = _HEADER.search(replies[-2])
    guide = next((g for g in guides() if m and g.title == m.group("title")), None)
    return (guide, int(m.group("n"))) if guide is not None and m is not None else None


def _answers(w: Draft, guide: Guide) -> list[tuple[int, str]]:
    """(question number, the learner's answer) for each guide question already answered.

    The answer to question n is the learner message just before question n + 1 was asked
    (a side question in between, answered from the notes, is not an answer)."""
    out = []
    history = w.turn.history
    for j, (role, content) in enumerate(history):
        if role != "assistant":
            continue
        m = _HEADER.search(content)
        if not m or m.group("title") != guide.title:
            continue
        n = int(m.group("n"))
        # Before question 1: the opening message (number 0), which often says the most.
        if j >= 1 and history[j - 1][0] in ("user", "learner"):
            out.append((n - 1, history[j - 1][1]))
    return out


# Labels for the numbers of the retry guide's traffic step (bounded patterns).
_RPM_AFTER = re.compile(r"\s{0,2}(?:rpm\b|req(?:uest)?s?\s{0,2}(?:/|per|an?|each)\s{0,2}"
                        r"min(?:ute)?\b|calls?\s{0,2}(?:/|per|an?)\s{0,2}min(?:ute)?\b)", re.I)
_RPS_AFTER = re.compile(r"\s{0,2}(?:rps\b|req(?:uest)?s?\s{0,2}(?:/|per|an?)\s{0,2}"
                        r"s(?:ec(?:ond)?)?\b)", re.I)
_TPM_AFTER = re.compile(r"\s{0,2}(?:(input|output)\s{1,2})?(?:tpm\b|tok(?:en)?s?\s{0,2}(?:/|"
                        r"per|an?)\s{0,2}min(?:ute)?\b)", re.I)
_TOKENS_AFTER = re.compile(r"\s{0,2}(?:input\s{1,2}|prompt\s{1,2})?tok(?:en)?s?\b", re.I)
_RPM_BEFORE = re.compile(r"\b(?:rpm|requests per minute)\s{0,2}(?:limit\s{0,2})?(?:of|is|=|:)?"
                         r"\s{0,2}~?$", re.I)
_TPM_BEFORE = re.compile(r"\b(?:(input|output)\s{1,2})?(?:tpm|tokens per minute)\s{0,2}"
                         r"(?:limit\s{0,2})?(?:of|is|=|:)?\s{0,2}~?$", re.I)
# "our tier is 50 RPM", "limit of 50 rpm": a limit; "we send 50 rpm": traffic.
_LIMIT_WORDS = re.compile(r"\b(?:tier|limits?|allowed|allows?|max(?:imum)?|cap|quota|"
                          r"plan gives|we get|we have|account has)\b", re.I)
_USAGE_WORDS = re.compile(r"\b(?:send|sending|make|making|do|doing|peak|traffic|use|using|"
                          r"need|expect)\b", re.I)


def _numbers_reaction(answer: str) -> str:
    """Step "numbers" of the retry guide: the arithmetic of ``rate_arithmetic``, or a nudge
    to compare with the tier's limits when the numbers say too little."""
    return rate_arithmetic(answer) or (
        "Compare that with your tier's RPM and TPM limits; the limit you are closer to is "
        "the one a burst will hit first.")


_MAX_TOKENS = re.compile(r"\bmax_(?:completion_)?tokens\s{0,2}(?:[=:]|of|to|is|set to)?\s{0,2}"
                         r"(\d[\d,]{0,9})\b", re.I)
# "with 90k TPM", "on 30k TPM": the limit they have, even after "how many can I do".
_WITH_BEFORE = re.compile(r"\b(?:with|on|under|having|at most)\s{1,2}~?$", re.I)
# "3000 tickets a night", "500 a day": a count per period longer than a minute (a batch).
_PERIOD_AFTER = re.compile(r"\s{0,2}(?:[a-z]{1,20}\s{1,2}){0,2}?(?:a|per|each|every)\s{1,2}"
                           r"(night|day|hour|week|month)\b", re.I)


_SPREAD = {"night": (60, "an hour"), "hour": (60, "the hour"), "day": (1440, "the day"),
           "week": (10080, "the week"), "month": (43200, "the month")}


def rate_arithmetic(answer: str) -> str:
    """Which number is the RPM, which the TPM and which the tokens per request, each a limit
    or the learner's own traffic, and what they add up to ("50 RPM and 40k TPM, each request
    ~2k tokens": TPM binds at 20 requests a minute); "" when the numbers say nothing.

    Each number is labelled from a few characters either side (bounded patterns)."""
    from apilab.assistant.offline.workload import parse_quantities

    rpm_use: int | None = None
    rpm_limit: int | None = None
    tpm_limit: int | None = None
    tpm_side = ""
    per_request: int | None = None
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
        clause = re.split(r"[,;.]|\band\b", before)[-1]
        limit = (bool(_LIMIT_WORDS.search(clause)) and not _USAGE_WORDS.search(clause[-15:])
                 or bool(_WITH_BEFORE.search(before)))
        tpm = _TPM_AFTER.match(after) or _TPM_BEFORE.search(before)
        if tpm:
            if not limit and _USAGE_WORDS.search(clause) and not _LIMIT_WORDS.search(clause):
                continue  # their own tokens a minute: the requests and sizes say it better
            tpm_limit, tpm_side = value, (tpm.group(1) or "").lower()
        elif _RPM_AFTER.match(after) or _RPM_BEFORE.search(before):
            # Said beside a TPM ("50 RPM and 40k TPM"), an RPM is the tier's, unless they
            # say they send it.
            if limit or (has_tpm and not _USAGE_WORDS.search(clause)):
                rpm_limit = value
            else:
                rpm_use = value
        elif _RPS_AFTER.match(after):
            rpm_use = value * 60
        elif _TOKENS_AFTER.match(after):
            per_request = value
        elif (period := _PERIOD_AFTER.match(after)) and batch is None:
            batch = (value, period.group(1).lower())
        elif 400 <= value < 600 and re.match(r"(?:s|'s)?\b(?!\s{0,2}(?:tokens?|requests?))",
                                              after):
            continue  # "bursts of 429s": a status, not a size
        else:
            plain.append(value)
    if batch and rpm_use is None and rpm_limit is None:
        # "3000 tickets a night, it can take an hour": not a per-minute rate. Spread over an
        # hour it is a gentle one.
        count, period = batch
        # A night's run within an hour; a day's, a week's or a month's spread over it.
        minutes, over = _SPREAD.get(period, (60, "an hour"))
        per_minute = max(1, -(-count // minutes))
        size = per_request or (plain[0] if plain else None)
        return (f"{count:,} a {period} is a batch, not a stream: spread over {over} that is "
                f"about **{per_minute:,} requests a minute**"
                + (f" x {size:,} tokens = about **{per_minute * size:,} tokens per minute**"
                   if size else "")
                + ", and a queue worker can pace itself to stay under your limits (or send it "
                "through the Batch API, at half price, when a day's wait is fine).")
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
    if tpm_limit and per_request:
        fits = tpm_limit // per_request
        line = (f"Your TPM limit allows {tpm_limit:,} / {per_request:,} = **{fits:,} requests "
                "a minute**")
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


# "can you summarise the whole plan for us as a checklist?" after a guide gave one.
_PLAN_AGAIN = re.compile(r"\b(?:summari[sz]e|recap|repeat|show|give|list|write)\b[^.?!\n]{0,40}"
                         r"\b(?:plan|checklist)\b", re.I)


def _plan_again(w: Draft) -> bool:
    """The plan given earlier in this conversation, shown again when asked for."""
    if not _PLAN_AGAIN.search(w.message[:300]):
        return False
    plan = next((c for r, c in reversed(w.turn.history)
                 if r == "assistant" and _PLAN_MARK in c), None)
    if plan is None:
        return False
    w.parts.append("Here is the plan from above again:\n\n" + plan[plan.index(_PLAN_MARK):]
                   .split("\n\n**Next:**")[0].strip())
    w.kind = "repeat"
    w.why_not = "the reply shows the plan given earlier again"
    w.follow_up = None
    w.guided = True
    return True


def guide_step(w: Draft) -> bool:
    """Start or continue a guided conversation; ``True`` when this message was handled."""
    if _plan_again(w):
        return True
    lab = w.turn.lab
    running = _position(w)
    message = w.message
    resumed = False
    if running is None and (paused := _paused(w)) is not None:
        # "is vercel's env var thing encrypted?" between question 2 and its answer: the
        # answer that follows still belongs to the plan, when it says what was asked.
        guide, n = paused
        if guide.lab == lab.id and _facts(guide.steps[n - 1], message):
            running, resumed = paused, True
    if running is not None:
        guide, n = running
        if _STOP.match(message):
            w.parts.append("Stopped the planning questions. Ask me anything about the lab.")
            w.kind = "small-talk"
            return True
        step = guide.steps[n - 1]
        facts = step.facts_in(message)
        # A question of the learner's own leaves the guide: one ending in "?", or opening
        # like a question ("what's the difference between rpm and tpm ..." typed without
        # one), unless it tells us what our question asked ("is it ok that it's a react
        # app in the browser?" answers "where does the code run?").
        if len(message.split()) > 6 and not facts and (
                message.strip().endswith("?") or _asks(message)):
            return False
        reactions = _reactions(step, facts, message)
        if not reactions:
            reactions = [step.react.get("default", "Noted.")]
        w.parts.append(("Back to the plan. " if resumed else "")
                       + " ".join(dict.fromkeys(reactions)))
        w.add_objectives(step.objectives)
        # A question the learner has already answered in passing ("we have 3 devs" while
        # saying where the code runs) is not asked again: its reaction says what was heard.
        # Only what this message said: an earlier answer's passing word ("support emails")
        # is worth asking about, not assuming.
        n, heard = _skip_answered(w, guide, n, message)
        if heard:
            w.parts.append("You've already told me the next part: " + heard)
        _ask_or_plan(w, guide, n)
        # An answer the guide recognised nothing in ("not sure honestly") got only the
        # step's generic advice: the conversation goes on, but that is not help to count.
        if not facts and w.kind == "coach":
            w.kind = "continuation"
        return True
    for guide in guides():
        if guide.lab != lab.id or not any(t.search(message) for t in guide.triggers):
            continue
        # The opening message often answers the first questions ("plan key management for
        # my Flask app on Heroku"): those are not asked again, and the opening message is
        # the answer the plan reads for them (``_answers``).
        n, heard = _skip_answered(w, guide, 0, message, opening=True)
        w.parts.append(guide.intro + (f"\n\nFrom what you've said: {heard}" if heard else ""))
        _ask_or_plan(w, guide, n)
        if not heard and w.kind == "coach":
            # Only the introduction and a first question: nothing taught yet to count.
            w.kind = "clarify"
        return True
    return False


def _reactions(step: Step, facts: list[str], message: str) -> list[str]:
    reactions = [step.react[f] for f in facts if f in step.react]
    return [_numbers_reaction(message) if r == "NUMBERS" else r for r in reactions]


# In an opening message a bare number answers nothing ("8 processes", "lots of 429"): only
# one said as a rate or a size answers "how many requests a minute, how many tokens?".
_RATE_WORDS = re.compile(r"\b(?:per (?:minute|min|second|sec|hour|day)|a (?:minute|second|"
                         r"hour|day)|/\s?(?:min|minute|s|sec|h|hr|day)\b|rpm|tpm|rps|tokens?)\b",
                         re.I)


def _skip_answered(w: Draft, guide: Guide, n: int, message: str,
                   *, opening: bool = False) -> tuple[int, str]:
    """The first step from ``n`` (0-based) that ``message`` does not already answer, and
    the reactions to the ones it does."""
    heard: list[str] = []
    while n < len(guide.steps) and (said := [
            f for f in guide.steps[n].facts_in(message)
            if not (opening and guide.steps[n].react.get(f) == "NUMBERS"
                    and not _RATE_WORDS.search(message))]):
        heard += _reactions(guide.steps[n], said, message)
        w.add_objectives(guide.steps[n].objectives)
        n += 1
    return n, " ".join(dict.fromkeys(heard))


def _ask_or_plan(w: Draft, guide: Guide, n: int) -> None:
    """Ask step ``n`` (0-based), or give the plan when every step is answered."""
    if n < len(guide.steps):
        w.parts.append(f"{guide.header(n + 1)}\n\n{guide.steps[n].ask}")
        w.kind = "coach"
    else:
        w.parts.append(_plan(w, guide))
        w.add_objectives(guide.plan_objectives)
        w.kind = "plan"
    w.on_lab_topic = guide.lab == w.turn.lab.id
    w.follow_up = None
    w.guided = True


_LEAD_IN = re.compile(r"^[^:\n]{0,120}?\b(?:feature|app|bot|product|tool|service)\b\s{0,3}"
                      r"[:,-]\s{0,3}", re.I)


def _plan(w: Draft, guide: Guide) -> str:
    answers = [*_answers(w, guide), (len(guide.steps), w.message)]
    # Every answer counts for every question: a fact said early ("3 devs" in the answer
    # about where the code runs) still shapes the plan.
    told = " ".join(a for _, a in answers)
    facts = [f for step in guide.steps for f in step.facts_in(told)]
    urgent = [item for fact in dict.fromkeys(facts) if fact in guide.plan_first
              for item in guide.plan.get(fact, ())]
    items = urgent + list(guide.plan.get("always", ()))
    for fact in dict.fromkeys(facts):
        items += guide.plan.get(fact, ())
    lines = [f"{_PLAN_MARK}{guide.title.lower()}):", ""]
    lines += [f"- [ ] {item}" for item in dict.fromkeys(items)]
    if "model" in facts or "budget" in facts:
        from apilab.assistant.offline.toolrun import size_workload

        sized = size_workload(told)
        if sized:
            lines += ["", sized]
    if guide.draft:
        # The answer to "what does the feature do?", or the opening message that said it
        # ("help me design the prompt for my feature: users paste ...", lead-in dropped).
        opening = min(answers)[1] if answers else ""
        purpose = next((a for n, a in answers if n == 1), "") or _LEAD_IN.sub(
            "", opening, count=1)
        lines += ["", _draft(guide, purpose, list(dict.fromkeys(facts)))]
    return "\n".join(lines)


def _draft(guide: Guide, purpose: str, facts: list[str]) -> str:
    """A first draft of the prompt the plan describes, from the learner's own answers."""
    # Their words go inside a text block: no backticks (they would close it), one line.
    said = " ".join(purpose.replace("`", "'").split())[:200].rstrip(".") or "<what it does>"
    lines = [line.replace("{purpose}", said) for line in guide.draft.get("first", ())]
    for fact in facts:
        lines += guide.draft.get(fact, ())
    lines += guide.draft.get("last", ())
    return ("A first draft of the system prompt from your answers (replace the <...> parts, "
            "then test it on real inputs):\n\n```text\n" + "\n".join(lines) + "\n```")
