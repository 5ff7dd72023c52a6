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
import logging
import re
from collections.abc import Sequence
from decimal import Decimal
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml

from apilab.assistant.offline.fields import draft_schema, list_start, named_fields
from apilab.assistant.offline.policies import policy_rules
from apilab.assistant.offline.retrieve import languages_said, providers_named
from apilab.assistant.offline.toolrun import cost_levers, size_workload
from apilab.assistant.offline.workload import PEOPLE_NOUNS, monthly_budget, rate_arithmetic
from apilab.pricing import format_usd

if TYPE_CHECKING:
    from apilab.assistant.offline.draft import Draft

__all__ = ["Guide", "guide_step", "guides"]

log = logging.getLogger(__name__)

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
    # Facts of which one applies: said later, one replaces the others ("it's sveltekit,
    # not next" after "a next.js app").
    one_of: tuple[frozenset[str], ...] = ()

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
    # What to assume for an unanswered step (0-based) when the learner asks for the
    # deliverable at once: a sentence the plan reads its facts from.
    assume: dict[int, str] = dataclasses.field(default_factory=dict)
    # Words that say a design request in the learner's own wording is about this guide.
    topics: tuple[str, ...] = ()

    def topic_hits(self, text: str) -> int:
        low = f" {text.lower()} "
        return sum(1 for word in self.topics
                   if (low.find(word) if not word.isalnum() or " " in word or word.isdigit()
                       else _word_at(word, low)) >= 0)

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
                           {k: tuple(v) for k, v in (s.get("unless") or {}).items()},
                           tuple(frozenset(group) for group in s.get("one_of") or ()))
                      for s in g["steps"])
        out.append(Guide(g["id"], g["lab"], g["title"],
                         tuple(re.compile(t, re.I) for t in g["triggers"]),
                         " ".join(g["intro"].split()), steps,
                         {k: tuple(v) for k, v in (g.get("plan") or {}).items()},
                         tuple(g.get("plan_objectives") or ()),
                         {k: tuple(v) for k, v in (g.get("draft") or {}).items()},
                         tuple(g.get("plan_first") or ()),
                         {int(k): str(v) for k, v in (g.get("assume") or {}).items()},
                         tuple(str(w).lower() for w in g.get("topics") or ())))
    return tuple(out)


# "I need JSON output for my invoice parser, help me design it", "can you help us plan the
# budget for our chatbot": a request to plan something of the learner's own, in wording the
# guides' triggers do not list. ("help me figure out" / "set up" are left out: "help me
# figure out why I get a 401" is a question for the notes.)
_DESIGN_ASK = re.compile(
    r"\b(?:help (?:me|us)|help with|assist (?:me|us) (?:with|to|in))\s(?:to\s)?(?:design|plan|"
    r"structure|architect|think through|lay out)(?:ning|ing)?\b"
    r"|\bhow (?:should|would) (?:i|we) (?:best\s)?(?:design|structure|architect|plan|approach"
    r"|organi[sz]e)\b"
    r"|\b(?:walk|guide|take) (?:me|us) through (?:designing|planning|structuring)\b", re.I)
# ... of something they build, named in the same message.
_OWN_THING = re.compile(
    r"\b(?:my|our|a|an|the|this)\s(?:[\w.+-]{1,20}\s){0,3}?(?:app|application|bot|chatbot|"
    r"feature|parser|project|service|site|website|tool|worker|pipeline|extension|product|"
    r"startup|saas|backend|integration|platform|assistant|agent|program|script|job|"
    r"plugin|game|dashboard)s?\b", re.I)


def design_guide(message: str, lab_id: str) -> Guide | None:
    """The guide a design request in the learner's own words asks for, if it is one: the
    guide whose topics the message names most (this lab's on a tie or when none is named)."""
    from apilab.assistant.offline.read import is_question, sentences

    head = message[:600]
    if not (_DESIGN_ASK.search(head) and _OWN_THING.search(head)):
        return None
    if any(is_question(s) and not _DESIGN_ASK.search(s) for s in sentences(head)):
        # "help me structure my code ... what's a clean way to organize this?": a question
        # of its own, which the notes answer, not a request for a planning interview.
        return None
    # A request whose topic no guide covers ("plan evals for our HR bot") is answered from
    # the notes, not with another topic's questions.
    return _guide_by_topic(head, lab_id)


def _guide_by_topic(text: str, lab_id: str) -> Guide | None:
    """The guide whose topics ``text`` names most (this lab's on a tie), if it names any."""
    hits = {g.id: g.topic_hits(text) for g in guides()}
    best = max(guides(), key=lambda g: (hits[g.id], g.lab == lab_id), default=None)
    return best if best is not None and hits[best.id] else None


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


# Stricter than _NEGATED: right before the word ("no CI", "don't have a team"), since
# "nothing on gemini" (no budget there) does not take back Gemini.
_TAKEN_BACK = re.compile(r"\b(?:no|not|without|never|don'?t (?:have|use|need)|haven'?t got)"
                         r"\s+(?:(?:a|an|the|any)\s+)?$")


def _negated_facts(step: Step, answer: str) -> set[str]:
    """Facts ``answer`` names only to say they do not apply ("i dont have CI and no
    notebooks"): a later correction takes back what an earlier answer said."""
    low = f" {answer.lower()[:3000]} "
    out = set()
    for fact, words in step.facts.items():
        for word in words:
            if any(_TAKEN_BACK.search(low[max(0, m.start() - 20):m.start()])
                   for m in _fact_pattern(word).finditer(low)):
                out.add(fact)
                break
    return out


def _facts_over_time(guide: Guide, said: Sequence[str]) -> list[str]:
    """The facts of every step in what the learner said, oldest first, each later message
    able to take one back; then each step's ``unless`` over all of them."""
    found: dict[str, None] = {}
    for text in said:
        # (bounded: a pasted log of hundreds of lines is read for its first 40)
        for part in text[:3000].split("\n")[:40]:
            for step in guide.steps:
                for fact in _negated_facts(step, part):
                    found.pop(fact, None)
                for fact in _facts(step, part):
                    for group in step.one_of:
                        if fact in group:
                            for other in group - {fact}:
                                found.pop(other, None)
                    found[fact] = None
    facts = list(found)
    return [f for step in guide.steps for f in facts if f in step.facts
            and not set(step.unless.get(f, ())) & set(facts)]


def _word_at(word: str, text: str) -> int:
    m = _fact_pattern(word).search(text)
    return m.start() if m else -1


@functools.cache
def _fact_pattern(word: str) -> re.Pattern[str]:
    """Where a fact's word is said: a phrase or symbol as written; a single word with a
    common ending too ("extracts", "capped", "summarizing"). Compiled once per word."""
    if not word.isalnum() or " " in word or word.isdigit():
        return re.compile(re.escape(word))
    return re.compile(rf"\b{re.escape(word)}(?:s|es|ed|d|ing)?\b")


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
# "can you write the system prompt for me?", "draft the prompt": a deliverable asked for.
_DRAFT_ASK = re.compile(r"\b(?:draft|write|give me|give us)\b[^.?!\n]{0,40}\bprompt\b", re.I)
# "i already said that lol": about the conversation, not the feature.
_ALREADY_SAID = re.compile(r"\b(?:already|just)\s{1,3}(?:said|told|answered|explained)\b", re.I)


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
            answer = history[j - 1][1]
            if not out and guide.intro[:60] in content:
                # The opening, with what was said about the situation before it ("... for
                # my bike shop" ... "ok can you draft the prompt for me?").
                answer = f"{_situation(history[:j - 1])}\n{answer}".strip()
            out.append((n - 1, answer))
    return out


def _numbers_reaction(answer: str) -> str:
    """Step "numbers" of the retry guide: the arithmetic of ``rate_arithmetic``, or a nudge
    to compare with the tier's limits when the numbers say too little."""
    return rate_arithmetic(answer) or (
        "Compare that with your tier's RPM and TPM limits; the limit you are closer to is "
        "the one a burst will hit first.")


# "can you summarise the whole plan for us as a checklist?" after a guide gave one.
_PLAN_AGAIN = re.compile(r"\b(?:summari[sz]e|recap|repeat|show|give|list|write)\b[^.?!\n]{0,40}"
                         r"\b(?:plan|checklist)\b", re.I)


# "... again but fixed for my setup (sveltekit on vercel, solo, no CI, 40 users, $25/mo)":
# new details or corrections, so the plan is built again rather than repeated.
_NEW_DETAILS = re.compile(r"\d|\b(?:fixed|fix|updated?|correct(?:ed)?|with my|for my|but|not|no|"
                          r"instead|actually)\b", re.I)


def _plan_again(w: Draft) -> bool:
    """The plan given earlier in this conversation, shown again when asked for (built
    again, by ``_plan_from_conversation``, when the request adds or corrects details)."""
    if _NEW_DETAILS.search(w.message[:600]) or len(w.message.split()) > 25:
        return False
    return _shown_again(w, _PLAN_AGAIN, _PLAN_MARK, "Here is the plan from above again:",
                        "the plan", keep_mark=True)


def _shown_again(w: Draft, asked: re.Pattern[str], mark: str, lead: str, what: str, *,
                 keep_mark: bool = False) -> bool:
    """The block after ``mark`` in the latest reply holding it, shown again when the
    message asks for it (``asked``); a repeat, so it does not count."""
    if not asked.search(w.message[:300]):
        return False
    given = next((c for r, c in reversed(w.turn.history) if r == "assistant" and mark in c),
                 None)
    if given is None:
        return False
    start = given.index(mark) + (0 if keep_mark else len(mark))
    w.parts.append(f"{lead}\n\n" + given[start:].split("\n\n**Next:**")[0].strip())
    w.kind = "repeat"
    w.why_not = f"the reply shows {what} given earlier again"
    w.follow_up = None
    w.guided = True
    return True


# "can you sum up the plan for our expo + gemini app?", "put it all together into a plan for
# our setup", "write the whole setup as a checklist for our team".
_PLAN_ASK = re.compile(
    r"\b(?:sum\s{1,3}(?:it\s{1,3}|this\s{1,3}|everything\s{1,3})?up|summari[sz]e|put\s{1,3}"
    r"(?:it\s{1,3}|this\s{1,3}|everything\s{1,3})?(?:all\s{1,3})?together|pull\s{1,3}(?:it\s{1,3})?"
    r"together|recap|write|give|make|turn|list)\b[^.?!\n]{0,60}?\b(?:plan|checklist|"
    r"set-?up|steps)\b"
    # "what should the final checklist be?", "and the whole plan?" (not "what's the free
    # plan?", a pricing plan).
    r"|\b(?:final|whole|full|complete|overall)\s{1,3}(?:plan|checklist)\b"
    r"|\bwhat\s{1,3}(?:should|would)\s{1,3}(?:the|my|our)\s{1,3}(?:plan|checklist)\s{1,3}be\b",
    re.I)
PLAN_MEMORY = 6  # the learner's last few messages a plan asked for at the end is built from


def _guide_of_plan(reply: str) -> Guide | None:
    """The guide whose plan ``reply`` gave, if it gave one."""
    if _PLAN_MARK not in reply:
        return None
    title = reply[reply.index(_PLAN_MARK) + len(_PLAN_MARK):].split(")", 1)[0]
    return next((g for g in guides() if g.title.lower() == title.strip().lower()), None)


def _plan_given(w: Draft) -> Guide | None:
    """The guide whose plan the last reply gave, if it gave one."""
    return _guide_of_plan(w.last_reply())


_SCHEMA_ASK = re.compile(r"\bschema\b|\bwhat\s{1,3}checks\b|\bwhich\s{1,3}checks\b|"
                         r"\bvalidat(?:e|ion)\b", re.I)


# "no, ...", "nope", "actually ...", "we don't have ...", "it's not ...": a correction.
_CORRECTION = re.compile(r"\s{0,3}(?:no\b|nope\b|nah\b|actually\b|not\s{1,3}quite\b|wrong\b|"
                         r"(?:we|i)\s{1,3}(?:don'?t|do not|dont)\s{1,3}(?:have|use)\b|"
                         r"it'?s\s{1,3}not\b|its\s{1,3}not\b|there'?s\s{1,3}no\b|theres\s{1,3}no\b)",
                         re.I)


def _earlier_plan(w: Draft, replies: int | None = None) -> Guide | None:
    """The guide of the latest plan given in this conversation (in its last ``replies``
    replies, when given), if any."""
    said = [c for r, c in w.turn.history if r == "assistant"]
    return next((g for c in reversed(said[-replies:] if replies else said)
                 if (g := _guide_of_plan(c))), None)


def _plan_from_conversation(w: Draft) -> bool:
    """A plan asked for at the end of a conversation that ran no guide: the plan of the
    guide the conversation is about, from everything the learner said in it. Also more
    details told right after a plan ("it's for a small recruiting agency, we save to
    postgres, 200 a day"): the plan again, with them."""
    from apilab.assistant.offline.read import is_question, sentences

    given = _plan_given(w)
    if given is None and _CORRECTION.match(w.message):
        # "no, im solo, no teammates, and its not netlify" after a side answer that followed
        # the plan: a correction to the plan, not a new question.
        given = _earlier_plan(w, replies=2)
    adds = bool(given and not any(is_question(s) for s in sentences(w.message[:600]))
                and (any(step.facts_in(w.message) for step in given.steps)
                     or any(_negated_facts(step, w.message) for step in given.steps)))
    # "fields: vendor_name, ..., line_items (description, qty). what should the schema look
    # like and what checks should i run?" after the plan: the plan again, with the schema.
    adds = adds or bool(given and given.draft and _SCHEMA_ASK.search(w.message[:1500])
                        and named_fields(w.message))
    if not (_PLAN_ASK.search(w.message[:300]) or adds):
        return False
    said = [c[:1500] for r, c in w.turn.history if r in ("user", "learner")][-PLAN_MEMORY:]
    if not said:
        return False
    told = "\n".join([*said, w.message[:1500]])
    lab = w.turn.lab.id
    guide = given if adds else _earlier_plan(w) or _guide_by_topic(told, lab) or next(
        (g for g in guides() if g.lab == lab), None)
    if guide is None or not any(step.facts_in("\n".join(said)) for step in guide.steps):
        return False  # nothing said before about the situation: no plan to sum up
    w.parts.append("The plan again, with what you added:" if adds else
                   "Here is the plan, from what you've told me in this conversation:")
    for step in guide.steps:
        w.add_objectives(step.objectives)
    _ask_or_plan(w, guide, len(guide.steps), told, first_said=said[0])
    return True


# "can you give me the final improved ChefBot system prompt then?" after a review.
_IMPROVED_AGAIN = re.compile(r"\b(?:final|improved|updated|fixed|full|whole|complete|better|"
                             r"new)\b[^.?!\n]{0,40}\bprompt\b", re.I)
_IMPROVED_MARK = "An improved version:"


def _improved_again(w: Draft) -> bool:
    """The improved prompt a review in this conversation gave, shown again when asked for."""
    return _shown_again(w, _IMPROVED_AGAIN, _IMPROVED_MARK,
                        "Here is the improved version from the review above (replace the <...> "
                        "parts; add any rule we discussed since, and keep a check in code for "
                        "anything that must never happen):", "the improved prompt")


# "can you write one for my bakery?" after asking how to write a system prompt.
_WRITE_ONE = re.compile(r"\b(?:write|draft|make|create|give)(?: me| us)?\s{1,3}one\b", re.I)


def _one_is_a_prompt(w: Draft) -> str:
    """The message, with "one" read as the system prompt the learner's last message asked
    about ("how do i write a good system prompt ...?" ... "can you write one for my
    bakery?")."""
    message = w.message
    if not _WRITE_ONE.search(message[:300]):
        return message
    last = w.last_learner_message()
    if not re.search(r"\bprompt\b", last[:2000], re.I):
        return message
    return _WRITE_ONE.sub(lambda m: m.group(0)[:-3] + "system prompt", message, count=1)


def _earlier_ask(w: Draft) -> str:
    return w.last_learner_message()[:600]


def guide_step(w: Draft) -> bool:
    """Start or continue a guided conversation; ``True`` when this message was handled."""
    if _plan_again(w) or _improved_again(w):
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
        if _own_question(message, step):
            # "a person reads it in slack. but I'm asking about evals - how do I test prompt
            # changes before shipping?": an answer, then a question of their own that the
            # guide's next question would ignore; the notes answer it.
            return False
        reactions = _reactions(step, facts, message)
        if not reactions:
            reactions = [step.react.get("default", "Noted.")]
        w.parts.append(("Back to the plan. " if resumed else "")
                       + " ".join(dict.fromkeys(reactions)))
        w.add_objectives(step.objectives)
        # A question the learner has already answered in passing ("we have 3 devs" while
        # saying where the code runs) is not asked again: its reaction says what was heard.
        # Only what this message said, and the opening request (where "uses gpt-4o-mini ...
        # cap spending at $50/month" was said on purpose): an earlier answer's passing word
        # ("support emails") is worth asking about, not assuming.
        opening = next((a for k, a in _answers(w, guide) if k == 0), "")
        n, heard = _skip_answered(w, guide, n, f"{message}\n{opening}".strip())
        if heard:
            w.parts.append("That also answers my next question: " + heard)
        _ask_or_plan(w, guide, n)
        # An answer the guide recognised nothing in ("not sure honestly") got only the
        # step's generic advice: the conversation goes on, but that is not help to count.
        if not facts and w.kind == "coach":
            w.kind = "continuation"
        return True
    if _plan_from_conversation(w):
        return True
    asked = _one_is_a_prompt(w)
    # This lab's own triggers first; then a design request in other words, which may name
    # another lab's topic ("help me plan the budget for my bot" asked in Lab 1).
    triggered = [g for g in guides()
                 if g.lab == lab.id and any(t.search(asked) for t in g.triggers)]
    for guide in triggered or [g for g in [design_guide(message, lab.id)] if g]:
        # The opening message often answers the first questions ("plan key management for
        # my Flask app on Heroku"): those are not asked again, and the opening message is
        # the answer the plan reads for them (``_answers``).
        # "I'm building a support bot for my bike shop, what should the prompt have?" ...
        # "ok can you draft the prompt for me?": what the learner said about their
        # situation before counts as said now.
        # ("write one for my bakery": the question "one" stands for says what it is for.)
        earlier = _earlier_ask(w) if asked is not message else ""
        opening = f"{_situation(w.turn.history)}\n{earlier}\n{message}".strip()
        n, heard = _skip_answered(w, guide, 0, opening, opening=True)
        assumed = ""
        if guide.assume and n >= 1 and _DRAFT_ASK.search(asked):
            # "write the system prompt for me? its a recipe bot called ChefBuddy": the
            # draft now, on stated assumptions, rather than two more questions first.
            assumed = " ".join(guide.assume[k] for k in range(n, len(guide.steps))
                               if k in guide.assume)
            n = len(guide.steps)
        w.parts.append(guide.intro + (f"\n\nFrom what you've said: {heard}" if heard else "")
                       + (f"\n\nAssumed, since you asked for the draft now: {assumed} Say "
                          "if that is wrong and I'll redo it." if assumed else ""))
        # (The assumptions first: the purpose is read from the last block, the message.)
        _ask_or_plan(w, guide, n, f"{assumed}\n{opening}" if assumed else opening)
        if not heard and w.kind == "coach":
            # Only the introduction and a first question: nothing taught yet to count.
            w.kind = "clarify"
        return True
    return False


def _own_question(message: str, step: Step) -> bool:
    """Whether ``message`` holds a question of the learner's own beside its answer: a
    how/what/why question sentence of some length that says nothing the step asked."""
    from apilab.assistant.offline.read import is_question, sentences

    # (Any full stop ends a piece here: "... in slack. but I'm asking about evals".)
    pieces = [p for s in sentences(message[:1000]) for p in re.split(r"(?<=[.!?])\s+", s) if p]
    return any(is_question(p) and len(p.split()) >= 5 and not step.facts_in(p)
               and _OWN_ASK.search(p) for p in pieces)


_OWN_ASK = re.compile(r"\b(?:how (?:do|can|should) (?:i|we)|what(?:'s| is| should)|why|which|"
                      r"i'?m asking|my question)\b", re.I)


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


def _situation(history: Sequence[tuple[str, str]]) -> str:
    """What the learner's last few messages in ``history`` said about their situation: the
    story before a question and short facts about their stack, not the questions
    themselves (a question's words, "how do I paste my key", answer no planning question)."""
    from apilab.assistant.offline.read import read_message, sentences, tells_story

    said = [c for r, c in history if r in ("user", "learner")][-SITUATION_MEMORY:]
    found: list[str] = []
    for content in said:
        reading = read_message(content[:2000])
        # "... vs the user message? im building a recipe bot": a statement about themselves.
        told = [s for s in sentences(reading.prose) if tells_story(s)]
        found += [s for s in (reading.backstory, *reading.setup, *told) if s]
    return "\n".join(dict.fromkeys(found))


SITUATION_MEMORY = 3


def _ask_or_plan(w: Draft, guide: Guide, n: int, opening: str | None = None,
                 first_said: str = "") -> None:
    """Ask step ``n`` (0-based), or give the plan when every step is answered (``opening``:
    the opening message with the situation said before it, when the plan comes at once)."""
    if n < len(guide.steps):
        w.parts.append(f"{guide.header(n + 1)}\n\n{guide.steps[n].ask}")
        w.kind = "coach"
    else:
        w.parts.append(_plan(w, guide, opening, first_said))
        w.add_objectives(guide.plan_objectives)
        w.kind = "plan"
    w.on_lab_topic = guide.lab == w.turn.lab.id
    w.follow_up = None
    w.guided = True


_LEAD_IN = re.compile(r"^[^:\n]{0,120}?\b(?:feature|app|bot|product|tool|service)\b\s{0,3}"
                      r"[:,-]\s{0,3}", re.I)


_READ_BY_PEOPLE = re.compile(r"\b(?:reads?|read by|chat repl(?:y|ies)|in the chat|chat widget)\b",
                             re.I)
_NO_STREAMING = re.compile(r"\b(?:forget|skip|drop|no|without|don'?t need|do not need|not)\s{1,3}"
                           r"(?:about\s{1,3})?(?:the\s{1,3})?streaming\b"
                           r"|\bstreaming\s{1,3}(?:isn'?t|is not)\s{1,3}needed\b", re.I)


def _plan(w: Draft, guide: Guide, opening: str | None = None, first_said: str = "") -> str:
    answers = [*_answers(w, guide), (len(guide.steps), opening or w.message)]
    # Every answer counts for every question: a fact said early ("3 devs" in the answer
    # about where the code runs) still shapes the plan.
    told = " ".join(a for _, a in answers)
    facts = _facts_over_time(guide, [a for _, a in answers])
    if "agent" in facts and "json" in facts and _READ_BY_PEOPLE.search(told):
        # "both: the customer reads the chat replies, and the tool calls are consumed by our
        # code": function calling carries the structured part; the replies are text.
        facts = [("text" if f == "json" else f) for f in facts]
    urgent = [item for fact in dict.fromkeys(facts) if fact in guide.plan_first
              for item in guide.plan.get(fact, ())]
    # What the learner told us first, then the items every plan has: a plan that opens
    # with their host, team and budget reads as theirs.
    items = list(urgent)
    for fact in dict.fromkeys(facts):
        items += guide.plan.get(fact, ())
    for combined, more in guide.plan.items():
        # "interactive+background": items for when both were said (a bulk job beside a
        # button a person clicks).
        if "+" in combined and set(combined.split("+")) <= set(facts):
            items += more
    said = _said_values(told)
    for name in said:
        # "said:budget": items for a value the learner gave, with their number in them,
        # instead of the general item for having a budget.
        if f"said:{name}" in guide.plan:
            general = set(guide.plan.get(name, ()))
            items = [item for item in items if item not in general]
            items += guide.plan[f"said:{name}"]
    rules = policy_rules(a for _, a in answers) if guide.draft else []
    if rules:
        items.append("Check your rules in code before acting on a reply or a tool call (a "
                     "prompt can be talked out of them): " + "; ".join(rules) + ".")
    items += guide.plan.get("always", ())
    if (_NO_STREAMING.search(told) or "chat_platform" in facts
            or ("extraction" in facts and "text" not in facts)):
        # "ok forget streaming": the plan does not bring it back; nobody watches an
        # extraction job's output arrive.
        items = [item for item in items if "stream" not in item.lower()]
    lines = [f"{_PLAN_MARK}{guide.title.lower()}):", ""]
    lines += [f"- [ ] {_with_values(item, said)}" for item in dict.fromkeys(items)]
    if "model" in facts or "budget" in facts:
        sized = size_workload(told)
        if sized:
            lines += ["", sized]
    if "cut_cost" in facts and (levers := cost_levers(told)):
        lines += ["", levers]
    named = named_fields(told)
    if guide.draft:
        # The answer to "what does the feature do?", or the opening message that said it
        # ("help me design the prompt for my feature: users paste ...", lead-in dropped).
        opening = min(answers)[1] if answers else ""
        # A plan built from the whole conversation: the latest message that says what it
        # is ("it's a resume parser for a small recruiting agency"), else its first one ("I
        # need to plan an invoice extraction feature ..."), not the details told last.
        if first_said:
            opening = next((b for b in reversed(opening.split("\n")) if _BUILDING.match(b)),
                           first_said)
        # Else an answer to a later question that said what it does ("it answers customer
        # questions for my plant shop" given when asked who reads the output).
        purpose = next((p for p in (
            _purpose(guide, next((a for n, a in answers if n == 1), "")
                     or _LEAD_IN.sub("", opening, count=1)),
            *(_purpose(guide, a) for n, a in sorted(answers)
              if n > 1 and _facts(guide.steps[0], a))) if p), "")
        lines += ["", _draft(guide, purpose, list(dict.fromkeys(facts)), named, rules)]
    if named and {"json", "extraction"} & set(facts):
        # The fields the learner listed, as a schema in their language, called the way
        # their provider takes it.
        provider = next(iter(sorted(providers_named(told))), "openai")
        languages = languages_said(told)
        language = "js" if "js" in languages and "python" not in languages else "python"
        try:
            lines += ["", draft_schema(told, provider, language)]
        except Exception:  # noqa: BLE001 - the schema is a bonus; never fail the plan for it
            log.exception("Could not draft the schema for a plan")
    return "\n".join(lines)


_VALUE_SLOT = re.compile(r"\{(budget|alert|users|per_user)\}")
# "40 beta users", "about 1,200 active users": the people a budget is shared by.
_USERS = re.compile(r"\b(\d{1,3}(?:,\d{3})+|\d{1,7})\s{1,2}(?:[a-z]{2,12}\s{1,2})?"
                    rf"(?:{'|'.join(sorted(PEOPLE_NOUNS, key=len, reverse=True))})\b", re.I)


def _said_values(told: str) -> dict[str, str]:
    """Values the learner gave that plan items can quote (``{budget}``, ``{alert}``)."""
    budget = monthly_budget(told)
    if budget is None:
        return {}
    def money(amount: Decimal) -> str:
        if amount == amount.to_integral_value():
            return f"${amount:,.0f}"
        return f"${amount:,.2f}" if amount >= 1 else format_usd(amount)

    said = {"budget": f"{money(budget)}/month", "alert": money(budget / 2)}
    users = _USERS.search(told[:6000])
    if users:
        count = int(users.group(1).replace(",", ""))
        if count > 1:
            said |= {"users": f"{count:,}", "per_user": money(budget / count)}
    return said


def _with_values(item: str, said: dict[str, str]) -> str:
    return _VALUE_SLOT.sub(lambda m: said.get(m.group(1), m.group(0)), item)


# "I'm building a support bot for my bike shop", "its a recipe bot for ...": the thing
# built is the purpose.
_BUILDING = re.compile(r"^\s{0,3}(?:(?:so|ok|okay|hi|hey)\W{1,3})?(?:(?:i'?m|i am|we'?re|we are)\s"
                       r"(?:building|making|creating|writing|working on|developing)|it'?s|it is)"
                       r"\s", re.I)


# "I'm scared of it refunding everyone", "i've never written a real system prompt": about
# the learner, not what the feature does.
_ABOUT_THEMSELVES = re.compile(r"\s{0,3}(?:i'?m|i am|i was|i'?ve|i have|i feel|i want|i'?d like|"
                               r"honestly|tbh|to be honest)\b(?!\s{1,3}(?:building|making|"
                               r"creating|writing|working on|developing))", re.I)
# "I need to plan an invoice extraction feature ...": what it is, without the asking.
_PLANNING_LEAD = re.compile(r"^\s{0,3}(?:i|we)\s{1,3}(?:need|want|have|am going|are going)\s{1,3}to"
                            r"\s{1,3}(?:plan|design|build|write|create|make|add)\s{1,3}", re.I)
_ABOUT_THEMSELVES_AFTER = re.compile(r",\s{0,3}(?:i'?ve|i have|i'?m|i am|honestly|tbh)\b"
                                     r"[^.!?\n]{0,300}", re.I)
# The thing a design request is for, up to the end of the sentence.
_FOR_WHAT = re.compile(r"\bfor\s{1,3}((?:a|an|my|our|the)\s{1,3}[^.?!\n]{8,200})", re.I)


def _purpose(guide: Guide, said: str) -> str:
    """The learner's words for what the feature does: the last block of ``said`` (the
    message, after the situation said before it) with more than the sentences that only
    ask for the plan or draft ("ok can you draft the prompt for me?")."""
    from apilab.assistant.offline.read import is_question, sentences

    for block in reversed(said[:2000].split("\n")):
        # Informal text ends sentences in lower case too ("... substitutions. i already
        # said that lol"): any full stop ends one here.
        pieces = [p for s in sentences(block) for p in re.split(r"(?<=[.!?])\s+", s) if p]
        kept = [_named_thing(s) if _DESIGN_ASK.search(s) else s for s in pieces
                if not any(t.search(s) for t in guide.triggers)
                and not _DRAFT_ASK.search(s) and not _ALREADY_SAID.search(s)
                and not _WRITE_ONE.search(s) and not _ABOUT_THEMSELVES.match(s)
                and not is_question(s)]  # "can we go through it step by step?"
        # "help me design the prompt ... for a support agent that can actually DO things:
        # look up orders and issue refunds": the request names what it is for.
        # ("for my support bot" only names it: a later answer may say what it does.)
        kept = kept or [m.group(1) for s in pieces if any(t.search(s) for t in guide.triggers)
                        and (m := _FOR_WHAT.search(s)) and len(m.group(1).split()) >= 5]
        # "users paste an invoice and we need vendor name, date, total": what it does, not
        # the field list after it.
        kept = [s[:at].rstrip(" ,;:") if (at := list_start(s)) is not None else s for s in kept]
        kept = [re.sub(r"\s(?:and\s)?(?:we|i)$", "", s) for s in kept]
        # "ok.", "thanks!": too short to say what the feature does.
        kept = [s for s in kept if len(s.split()) >= 3]
        if kept:
            said = _BUILDING.sub("", " ".join(kept), count=1)
            # "it's for a plant shop, i've never written a prompt before": not the last part.
            said = _ABOUT_THEMSELVES_AFTER.sub("", said)
            said = _PLANNING_LEAD.sub("", said, count=1)
            # "it answers customer questions for my shop": the task, in the prompt's voice.
            said = re.sub(r"^\s{0,3}it\s{1,3}(?=[a-z]{2,20}s\b)", "", said, count=1, flags=re.I)
            return re.sub(r"\bmy\b", "our", said, flags=re.I)
    return ""


# "... about orders, shipping and plant care": the topics the feature covers, for the
# draft's scope line.
_TOPIC = r"[\w'-]{2,20}(?:\s{1,3}[\w'-]{2,20}){0,2}"
_SCOPE_LIST = re.compile(rf"\b(?:about|on|with|covering|regarding)\s{{1,3}}({_TOPIC}"
                         rf"(?:,\s{{0,3}}{_TOPIC}){{0,5}},?\s{{1,3}}(?:and|or)\s{{1,3}}{_TOPIC})",
                         re.I)


def _scope_of(purpose: str) -> str:
    m = _SCOPE_LIST.search(purpose[:400])
    return m.group(1).strip() if m else ""


def _named_thing(sentence: str) -> str:
    """What a design request names ("... for my invoice parser, help me design it": "the
    invoice parser"), or "" when it names nothing of the learner's own."""
    m = _OWN_THING.search(sentence)
    return re.sub(r"^(?:my|our|this|a|an)\b", "the", m.group(0), flags=re.I) if m else ""


def _draft(guide: Guide, purpose: str, facts: list[str], fields: Sequence[str] = (),
           rules: Sequence[str] = ()) -> str:
    """A first draft of the prompt the plan describes, from the learner's own answers (the
    JSON fields they named stand in for the schema placeholder)."""
    # Their words go inside a text block: no backticks (they would close it), one line.
    said = " ".join(purpose.replace("`", "'").split())[:200].rstrip(".") or "<what it does>"
    # "for a small online plant shop": the assistant *for* it, not "this feature: for ...".
    lines = [line.replace("for this feature: {purpose}", said) if said.lower().startswith("for ")
             else line.replace("{purpose}", said) for line in guide.draft.get("first", ())]
    if rules:
        # The rules the learner stated, in their words (one line each, no backticks).
        lines += ["Rules you must follow:"] + [
            "- " + " ".join(rule.replace("`", "'").split()) for rule in rules]
    for fact in facts:
        lines += guide.draft.get(fact, ())
    scope = _scope_of(said)
    lines += [f"You cover {scope} only; for anything else, say briefly that you can't help "
              "with that here." if scope and line.startswith("For anything outside") else line
              for line in guide.draft.get("last", ())]
    if fields:
        lines = [line.replace("<your JSON Schema>", "{" + ", ".join(fields) + "}")
                 for line in lines]
    return ("A first draft of the system prompt from your answers (replace the <...> parts, "
            "then test it on real inputs):\n\n```text\n" + "\n".join(lines) + "\n```")
