"""The offline tutor: a pipeline from the learner's message to a reply and a verdict.

``OfflineTutor.compose(turn)`` runs, in order (each stage a small module over plain data):

1. **read** (``read.py``, ``signals.py``): the message split into the learner's question
   and pasted material (code, JSON, tracebacks, curl, HTTP, .env, a system prompt), with
   strong signals (statuses, error codes, exception names, headers, finish reasons,
   model names and misspellings). A pasted key is redacted before anything else.
2. **decide**: instructions aimed at the tutor are named and ignored (an attack the learner
   *describes* is answered as a question about injection); small talk; a guided design
   conversation (``guide.py``); the tools and reviewers the question calls for
   (``toolrun.py``, ``review.py``).
3. **retrieve** (``retrieve.py``): cards and lesson passages by words (BM25F) and by
   meaning (static embeddings), scored on the question, not on the paste.
4. **compose** (``answer.py``): the answer policy - the best card when reasonably close,
   with what the question was taken to be; one answer per part; "I don't know" only when
   nothing relevant is found; a "Next" that follows from what was just asked.
5. **judge** (``judge.py``): whether the reply gave substantive help on this lab's topic.

The whole reply is built synchronously in about a millisecond; ``respond`` streams it in
word groups. Every step is linear in the message length (the message is untrusted; under
``apilab serve`` it is composed in the tutor worker, ``workers.py``, else on the event loop).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import re
import time
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

import yaml

from apilab.assistant.base import ReplyDone, TextDelta, Turn
from apilab.assistant.completion import corrects_last_answer
from apilab.assistant.folds import without_folds
from apilab.assistant.offline import intents
from apilab.assistant.offline.answer import answer_from_notes
from apilab.assistant.offline.coach import drill_coaching
from apilab.assistant.offline.draft import Draft, answer_opening, lab_vocabulary, lead_paragraph
from apilab.assistant.offline.guide import guide_step
from apilab.assistant.offline.index import KnowledgeIndex
from apilab.assistant.offline.judge import judge_reply
from apilab.assistant.offline.read import is_question, read_message
from apilab.assistant.offline.retrieve import Retriever, providers_about, providers_named
from apilab.assistant.offline.text import content_terms
from apilab.assistant.offline.toolrun import run_tools
from apilab.content.models import Card, Course

__all__ = ["OFFLINE_NOTE", "Composed", "OfflineTutor", "chunk_words", "finding_summary"]

OFFLINE_NOTE = (
    "_I'm apilab's **offline tutor**: I answer from the course notes and run the lab's "
    "tools in-process - no AI model is involved. To switch on a model, set "
    "`APILAB_BACKEND=openai` and `OPENAI_API_KEY` (or `APILAB_BACKEND=anthropic` + "
    "`ANTHROPIC_API_KEY`, or `APILAB_BACKEND=gemini` + `GEMINI_API_KEY`; `APILAB_BASE_URL` "
    "for an OpenAI-compatible server such as Ollama) and restart `apilab serve`._"
)



# A card phrasing that is an error message or code ("max_tokens: 10000 > 4096 ...",
# "AttributeError: 'Stream' object ...") makes a poor suggestion of what to ask next.
_NOT_A_SUGGESTION = re.compile(r"[{}\[\]<>=`]|^\s*\w*(?:Error|Exception)\b|\b\d{3}\b|\w+_\w+\s*:")


# "why?" / "how?" alone: about the answer just given, unless the tutor's suggested question
# asks exactly that ("Why revoke before investigating?" -> "why?").
# Clause ends, and a courtesy before a question ("thanks, and how do I ...").
_CLAUSE_END = re.compile(r"(?<=[.!?;:])\s+|\n|^\W{0,3}(?:thanks|thank you|thx|ok|okay|cool|"
                         r"great|got it)\b[\s,.!]{1,4}(?:and\s+|so\s+|but\s+)?", re.I)


def _askable(questions: list[str] | tuple[str, ...]) -> str | None:
    """The first of a card's phrasings a learner would type as a question, if any."""
    return next((q for q in questions
                 if is_question(q) and not _NOT_A_SUGGESTION.search(q)), None)


def _tutor_question(reply: str) -> str | None:
    """The question a reply's "Next:" line asked the learner ("What would you ...?"), if any;
    not a suggested question to ask the tutor (those are quoted)."""
    m = re.search(r"\*\*Next:\*\*\s*([^\n\u201c]{8,300}?\?)\s*$", reply)
    return m.group(1).strip() if m else None


def _same_words(a: str, b: str) -> bool:
    """"What is an eval?" and "what is an eval": no reading line needed."""
    return re.findall(r"[a-z0-9]+", a.lower()) == re.findall(r"[a-z0-9]+", b.lower())


def _earlier_questions(history: list[tuple[str, str]]) -> str | None:
    """The learner's last question that stands on its own, with any follow-ups asked since
    ("how do I stream in python?" + "what about anthropic?"); ``None`` when there is none.
    Only the learner's own words: the tutor's replies would pull in every card they quote."""
    chain: list[str] = []
    for role, content in reversed(history):
        if role not in ("learner", "user"):
            continue
        if (len(content.split()) < 3 or intents.detect_small_talk(content)
                or intents.detect_continuation(content) or intents.asks_again(content)
                or intents.asks_next(content) or _PRIORITY.match(content)):
            continue  # "hello", "thanks", "yes", "which one matters most?": nothing to lean on
        chain.append(content.strip())
        if not intents.detect_follow_up(content) or len(chain) >= 3:
            break
    if not chain or intents.detect_follow_up(chain[-1]):
        return None
    return " ".join(reversed(chain))[:600]


def _installed() -> Course:
    from apilab.content import load_course

    return load_course()


@dataclasses.dataclass
class Composed:
    """A finished reply before streaming, with what the tutor did."""

    text: str
    on_topic: bool  # the exchange counts (substantive help on this lab's topic)
    objectives: list[str]
    tools_used: list[str]
    meta: dict[str, Any]


_INTERJECTION = re.compile(r"^\s*(?:lol|lmao|haha+|hah|heh|wow|oh|ah|hmm+|k|kk)\b", re.I)


class OfflineTutor:
    """The built-in lab assistant (backend ``offline``)."""

    name = "offline"

    def __init__(self, course: Course | None = None) -> None:
        self._course = course
        self._retriever: Retriever | None = None

    @property
    def course(self) -> Course:
        if self._course is None:
            from apilab.content import load_course

            self._course = load_course()
        return self._course

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            self._retriever = _retriever_for(self.course)
        return self._retriever

    @property
    def index(self) -> KnowledgeIndex:
        """The word index (model backends use it for grounding)."""
        return self.retriever.index

    def warm_up(self) -> None:
        """Load the course, the index, the embeddings and the price table now.

        The web app calls this at start-up so the first learner does not wait for what
        every later learner gets for free.
        """
        from apilab.assistant.tools import TOOLS

        for lab in self.course.labs:
            self.compose(Turn(lab=lab, message="How much do 1M input tokens cost on "
                                               "gpt-4o-mini? RPM vs TPM", history=[]))
        # The token counter as ``run_count`` calls it: its tiktoken encoding and the argument
        # validator load lazily, and took ~300 ms on the first "how many tokens is ...?".
        TOOLS["count_tokens"].run(text="warm up", model="gpt-4o")

    # --- the Assistant interface -------------------------------------------------

    async def respond(self, turn: Turn) -> AsyncIterator[TextDelta | ReplyDone]:
        """Stream the reply in word groups, then one ``ReplyDone``."""
        composed = await self.compose_async(turn)
        for chunk in chunk_words(composed.text):
            yield TextDelta(chunk)
            await asyncio.sleep(0)  # let other learners' streams progress
        yield ReplyDone(
            text=composed.text, backend=self.name, objectives=composed.objectives,
            on_topic=composed.on_topic, tools_used=composed.tools_used, meta=composed.meta,
        )

    async def compose_async(self, turn: Turn) -> Composed:
        """``compose`` in the server's tutor worker when one runs (``workers.py``); a tutor
        on another course than the installed one composes here."""
        from apilab.assistant.offline import workers

        found = workers.pool()
        if found is None or self._course is not None and self._course is not _installed():
            return self.compose(turn)
        return await found.compose(self, turn)

    # --- the pipeline ------------------------------------------------------------

    def compose(self, turn: Turn) -> Composed:
        """Build the whole reply for ``turn`` (synchronous, about a millisecond)."""
        started = time.perf_counter()
        w = Draft(turn=turn, message=turn.message.strip())
        done = self._secrets(w)
        w.reading = read_message(w.message)
        w.lab_vocabulary = lab_vocabulary(turn, w.reading.prose or w.message)
        done = done or self._injection(w) or self._others_keys(w)
        if not done:
            done = self._again(w)
        if not done:
            self._continuation(w)
            done = not w.continued and (self._small_talk(w) or self._first_of_list(w)
                                        or guide_step(w))
            if not done:
                self._follow_up(w)
        if not done:
            if not w.continued:
                run_tools(w)
            if w.kind != "clarify" and not w.reviewed_as_asked:
                answer_from_notes(w, self.retriever, self.course)
        coaching = drill_coaching(turn.lab.id, turn.context.get("drill"), w.message)
        if coaching:
            w.parts.append(coaching)
            w.on_lab_topic = w.on_lab_topic or turn.lab.id == "key-security"
            w.kind = w.kind if w.kind not in ("", "dont-know", "off-topic") else "coach"
        if w.kind not in ("coach", "plan", "small-talk") and not w.guided:
            w.follow_up = self._next_question(w)
        return self._finish(w, started)

    def _finish(self, w: Draft, started: float) -> Composed:
        turn = w.turn
        kind = w.kind or "answer"
        if w.continued and kind not in ("dont-know", "off-topic"):
            kind = "continuation"
        if (kind == "tool" and w.reading is not None and not w.reading.prose.strip()
                and not any(t["name"] in ("estimate_cost", "explain_http_response")
                            for t in w.tools)):
            kind = "echo"  # a bare paste got a generic check, but no question was asked
        verdict = judge_reply(kind, w.on_lab_topic, turn.lab.title)
        sections = [*w.notes]
        if (w.understood and not w.reading_said and kind in ("answer", "hedged")
                and not _same_words(w.understood, w.focus)):
            sections.append(f"_I took your question to be: \u201c{w.understood}\u201d_")
        sections += w.parts
        if w.follow_up:
            sections.append(f"**Next:** {w.follow_up}")
        text = "\n\n".join(s.strip() for s in sections if s and s.strip())
        reading = w.reading
        meta: dict[str, Any] = {
            "backend": self.name,
            "intent": kind,
            "answer_kind": kind,
            "counts": verdict.counts,
            "card": w.card.id if w.card else None,
            "alternatives": w.alternatives,
            "understood": w.understood,
            "retrieval": [m.as_meta() for m in w.matches[:3]],
            "other_labs": [m.as_meta() for m in w.other_matches[:2]],
            "tools": w.tools,
            "objectives": w.objectives if verdict.counts else [],
            "on_topic": verdict.counts,
            "topic_reason": w.why_not or verdict.reason,
            "injection": list(w.injection),
            "focus": (reading.focus[:300] if reading else ""),
            "pasted": sorted(reading.pasted_kinds()) if reading else [],
            "signals": _signals_meta(reading) if reading else {},
            "timing_ms": {"compose": round((time.perf_counter() - started) * 1000, 3)},
        }
        return Composed(text, verdict.counts, list(w.objectives) if verdict.counts else [],
                        [t["name"] for t in w.tools], meta)

    # --- secrets ---------------------------------------------------------------------

    def _secrets(self, w: Draft) -> bool:
        """Warn about a pasted secret; ``True`` when nothing else is left to answer."""
        findings = list(w.turn.context.get("secret_findings") or [])
        if not findings and not w.turn.context.get("secrets_scanned"):
            # Called directly with unredacted text (tests, the model fallback): redact here.
            redacted, found = _redact(w.message)
            if found:
                findings = found
                w.message = redacted
        if not findings:
            return False
        started = time.perf_counter()
        names = sorted({str(f.get("description") or f.get("rule") or "secret") for f in findings})
        shown = ", ".join(_shown_secret(f) for f in findings[:3])
        w.parts.append(
            f"**Your message contained what looks like a secret ({'; '.join(names)}: {shown}).** "
            "I have not repeated it, and the transcript stores only the redacted form. Treat it "
            "as leaked - it has left your machine:\n\n"
            "1. **Revoke it first**, now, in the provider's dashboard - before investigating.\n"
            "2. **Audit** the key's usage logs for the exposure window.\n"
            "3. **Rotate**: create a new key, update every environment that used the old one, "
            "verify with a test call.\n"
            "4. Only then find the **root cause** (how it got pasted or committed) and add a "
            "guard (pre-commit scanning, `.gitignore` for `.env`)."
        )
        w.ran("scan_for_keys", {"findings": len(findings)}, started)
        w.kind = "secret"
        w.on_lab_topic = w.turn.lab.id == "key-security"
        # Work on without the redacted key, so it is not matched or quoted again; a bare
        # "…" stays where it was, so a reviewer still sees `apiKey: "…"` as a key in code.
        for f in findings:
            if f.get("redacted"):
                w.message = w.message.replace(str(f["redacted"]), "\u2026")
        if content_terms(w.message):
            return False
        if not w.on_lab_topic:
            w.why_not = "a pasted key on its own is not a question about this lab"
        return True

    # --- instructions aimed at the tutor ------------------------------------------------

    def _injection(self, w: Draft) -> bool:
        reading = w.reading
        assert reading is not None
        found = intents.detect_injection(reading.prose)
        if not found:
            return False
        if intents.quotes_injection(reading.prose):
            # The learner describes or asks about an attack: answer it as a question about
            # prompt injection, never as an attack on the tutor. The attack's own words are
            # a hint only when the message does not name the topic already: "is a jailbreak
            # the same as prompt injection?" has a card of its own, and "ignore previous
            # instructions" pulled it to the one about filtering that phrase.
            w.hints += ["prompt injection", "untrusted input"]
            if not re.search(r"\b(?:inject\w*|jailbreak\w*)\b", reading.prose, re.I):
                w.hints.append("ignore previous instructions")
            if re.search(r"\b(?:prevent|stop|defend|protect|mitigat\w*|block|fix)\b",
                         reading.prose, re.I):
                w.hints += ["defend against injection", "layered defences"]
            return False
        if intents.instructions_only_quoted(reading.prose):
            return False  # a phrase the learner asks about, in quotes: answered like any other
        if found.labels == (intents.FAKE_ROLE_LINE,) and intents.asks_about_own_prompt(
                reading.prose):
            return False  # "is this prompt ok? System: Extract ...": their prompt, not ours
        w.injection = found.labels
        w.notes.append("_I only follow the course's own instructions, so I've ignored the part "
                       f"of your message that asks me to do otherwise ({'; '.join(found.labels)}"
                       ")._")
        if not content_terms(found.remainder):
            w.kind = "injection"
            w.parts.append(f"Ask me something about {w.turn.lab.title} - for example: "
                           f"\u201c{w.starter()}\u201d")
            return True
        w.message = found.remainder
        w.reading = read_message(found.remainder)
        return False

    # --- "yes", small talk --------------------------------------------------------------

    def _continuation(self, w: Draft) -> None:
        """"yes" / "tell me more" after a follow-up question: answer that question."""
        if not intents.detect_continuation(w.message):
            return
        m = re.search(r"\*\*Next:\*\*\s*(.+)", w.last_reply())
        if not m:
            return
        follow = m.group(1).strip()
        quoted = re.search(r"\u201c(.+?)\u201d", follow)
        question = quoted.group(1) if quoted else follow
        bare = intents.bare_ask(w.message)
        if bare and not question.lower().startswith(bare):
            return  # "why?" after an answer asks about the answer, not the suggestion
        if intents.asks_example(w.message) and not re.search(
                r"\b(?:example|examples|show|code|see|look)\b", question, re.I):
            return  # "example?" after "Want to go through the defences?": of the answer
        w.continued = question
        w.notes.append(f"_Picking up my question: {question}_")
        w.message = question
        w.reading = read_message(question)

    def _follow_up(self, w: Draft) -> None:
        """"what about anthropic?", "can you show an example?": read with the question before.

        Also an answer to the tutor's own "Next:" question ("From which machines does your
        app call the provider?" -> "on a digitalocean droplet, just one server"): a short
        statement with none of the lab's words is read with that question, not judged
        off-topic on its own."""
        if w.continued:
            return
        # "no I mean with the anthropic node sdk": a correction narrows the question before.
        # "I have it enabled. It worked until yesterday.": a report on the answer given,
        # read with the question it answered, not as an answer to the "Next:" question.
        w.still_failing = bool(w.last_reply()) and intents.reports_still_failing(w.message)
        # "how do i fix it? here is my code: ...", "users dont have accounts. how do i
        # authenticate them then": the question, without what it shows or tells first.
        question = w.reading.focus if w.reading is not None else ""
        last_part = w.reading.parts[-1] if w.reading is not None and w.reading.parts else ""
        # A short question about "that" joined by a comma to the learner's own statement
        # ("i didnt call load_dotenv, do i need to install something for that?") may be
        # about what the statement says rather than the answer before: weighed, like a
        # longer one.
        short = [q for q in (question, last_part) if q and q != w.message
                 and intents.detect_follow_up(q)]
        follow_up = (intents.detect_follow_up(w.message) or bool(intents.bare_ask(w.message))
                     or any(not _after_comma(w.message, q) for q in short)
                     or corrects_last_answer(w.message) or intents.asks_next(w.message)
                     or w.still_failing)
        if not follow_up and (short or any(intents.leans_on_reference(q)
                                           for q in (w.message, question, last_part) if q)):
            follow_up = w.weak_lean = True  # weighed against the question alone later
        asked = _tutor_question(w.last_reply())
        # Any clause that asks ("... obviously about a bug. how do i catch that"): a question
        # of the learner's own, not an answer to the tutor's.
        asks = any(is_question(clause) for clause in _CLAUSE_END.split(w.message[:2000]))
        if (asked and w.lab_vocabulary == 0 and len(w.message.split()) <= 20
                and not asks and not follow_up):
            w.follows, w.answering = asked, True
            w.lab_vocabulary = max(w.lab_vocabulary, lab_vocabulary(w.turn, asked))
            return
        if not follow_up:
            return
        earlier = _earlier_questions(w.turn.history)
        if not earlier:
            return
        w.follows = earlier
        w.lab_vocabulary = max(w.lab_vocabulary, lab_vocabulary(w.turn, earlier))
        # Its question, not what it pasted: a quoted code fence broke the page's Markdown,
        # and a paste's first line ("Traceback (most recent call last):") says nothing.
        before = read_message(earlier)
        kinds = sorted(before.pasted_kinds())
        if len(before.prose.split()) < 4 and kinds:
            shown = f"the {kinds[0]} you pasted" + (f" ({before.prose.strip()})"
                                                    if before.prose.strip() else "")
        else:
            shown = before.focus or earlier
        shown = " ".join(shown.replace("`", "").split())
        shown = shown if len(shown) <= 90 else shown[:87].rstrip() + "..."
        w.notes.append(f"_Reading this with your earlier question: \u201c{shown}\u201d._")

    def _others_keys(self, w: Draft) -> bool:
        """Declined: finding or using keys that are not the learner's. It is unauthorised
        use and spends someone else's money; the helpful part is what to do instead."""
        if not intents.asks_for_others_keys(w.message):
            return False
        w.parts.append(
            "I won't help find or use other people's keys: using a key that isn't yours is "
            "unauthorised access and spends its owner's money, and providers revoke keys "
            "found in public. If you come across one, tell its owner privately and don't "
            "test it. To experiment for free, this lab's sandbox needs no key at all, and "
            "several providers have free tiers for your own key.")
        w.kind = "declined"
        w.why_not = "the request was for someone else's keys"
        return True

    def _again(self, w: Draft) -> bool:
        """"explain that again" / "i don't understand" after an answer: its core again,
        and an invitation to name the part that lost them (it was "outside what I can
        help with", or another card picked up from the "Next:" line)."""
        why = intents.bare_ask(w.message) == "why"
        if not (why or intents.asks_again(w.message)):
            return False
        suggested = _tutor_question(w.last_reply()) or ""
        if why and suggested.lower().lstrip("*_ ").startswith("why"):
            return False  # "Next: Why revoke before investigating?" -> "why?": that one
        # The answer given, not a folded alternative the learner may not have opened.
        last = " ".join(without_folds(w.last_reply()).split())
        card = next((c for c in self.course.cards if answer_opening(c.answer) in last), None)
        if card is None:
            return False
        plain = plain_words().get(card.id)
        if plain and not why:
            # "can you explain simpler? like i'm 12": the same idea in everyday words, which
            # the answer above did not give: that is help.
            w.parts.append(f"In plain words:\n\n{plain}\n\nAsk about any word in it, or "
                           "about the next step, and I'll go from there.")
            w.kind = "explain"
            w.on_lab_topic = True
            w.add_objectives(card.objectives)
            return True
        lead = lead_paragraph(card.answer)
        opening = ("The reason is in my answer above:" if why
                   else "The core of it, once more:")
        w.parts.append(f"{opening}\n\n> {lead}\n\nWhich part lost you? Ask "
                       "about one word or step (for example \u201cwhat is a token?\u201d or "
                       "\u201cwhat does that code line do?\u201d) and I'll explain that part.")
        w.kind = "repeat"
        w.why_not = "the reply restates an earlier answer"
        return True

    def _first_of_list(self, w: Draft) -> bool:
        """"which one is the worst problem?" / "what should I do first?" right after a reply
        that listed fixes or steps (a review, a plan, a checklist): its first item, which
        those replies put first because it matters most. "ok revoked. now what": the item
        after the last one the learner says is done."""
        priority = bool(_PRIORITY.match(w.message))
        told_done = intents.reports_done(w.message)
        if not priority and not intents.asks_next(w.message) and not told_done:
            return False
        last = without_folds(w.last_reply())
        items = _NUMBERED_ITEM.findall(last[:20000])
        if len(items) < 2:
            return False
        if not priority:
            said = set(content_terms(w.message))
            # An item is done when the learner names its opening words ("**Rotate**:
            # create a new key" for "made a new one"); the next one is the first not done.
            done = {i for i, item in enumerate(items)
                    if said & set(content_terms(" ".join(item.split()[:5])))}
            if told_done and not done and not intents.asks_next(w.message):
                return False  # a step done that is not one of the list's: not this list
            start = min(done) if done else 0
            left = [i for i in range(start + 1, len(items)) if i not in done]
            if not left:
                return False
            k = left[0]
            w.parts.append(f"Next: **{k + 1}.** {' '.join(items[k].split())}")
            if len(left) > 1:
                w.parts.append(f"Then **{left[1] + 1}.** {' '.join(items[left[1]].split())}")
        else:
            first = " ".join(items[0].split())
            w.parts.append(f"Start with the first one: **1.** {first}\n\nThe list above puts "
                           "what matters most first (what could leak, cost money or mislead "
                           "people), so work down it in order.")
        w.kind = "explain"
        w.on_lab_topic = True
        return True

    def _small_talk(self, w: Draft) -> bool:
        kind = intents.detect_small_talk(w.message)
        if kind is None:
            return False
        lab = w.turn.lab
        w.kind = "small-talk"
        if kind == "about":
            w.parts.append(OFFLINE_NOTE.strip("_"))
            w.parts.append("The lab works the same either way: a model backend uses the same "
                           "course notes and tools (cost, tokens, backoff, key scan, JSON check, "
                           "HTTP explainer) through function calling, and falls back to me when "
                           "it cannot answer.")
            w.why_not = "questions about the tutor itself are not about the lab's topic"
        elif kind == "creative":
            w.kind = "off-topic"
            w.parts.append(
                f"That's a creative-writing request, which is outside what I do - I'm the tutor "
                f"for **{lab.title}** and answer from this course's notes. A question to try: "
                f"\u201c{w.starter()}\u201d")
            w.why_not = "a creative-writing request is not about the lab's topic"
        elif kind == "greeting":
            w.parts.append(f"Hi! This is {lab.title}. {lab.scenario}")
            w.why_not = "a greeting is not a question about the lab"
        elif kind == "thanks":
            # "lol", "hmm", "oh": not thanks, and nothing to be glad about yet.
            w.parts.append("Glad it helped." if not _INTERJECTION.match(w.message) else
                           "Ask me whenever you're ready - about your code, an error, or the "
                           "lab's next step.")
            w.why_not = "thanks and acknowledgements don't count as exchanges"
        else:  # help
            covered = set(w.turn.objectives_covered)
            lines = [f"**{lab.title}** - the objectives, with the ones you've covered ticked:", ""]
            for obj in lab.objectives:
                lines.append(f"- {'[x]' if obj.id in covered else '[ ]'} {obj.text}")
            lines += ["", "Good questions to start with:", ""]
            lines += [f"- \u201c{q}\u201d" for q in lab.starter_questions[:4]]
            lines += ["", "Or ask me to help you plan it - e.g. \u201chelp me plan key "
                          "management for my app\u201d - and I'll ask about your situation.",
                      "", f"The lab is complete after {lab.min_exchanges} substantive "
                          "exchanges: questions on this lab's topic that get a real answer."]
            w.parts.append("\n".join(lines))
            w.why_not = "asking for help is fine, but it is not a question about the topic"
        return True

    # --- next --------------------------------------------------------------------

    def _next_question(self, w: Draft) -> str | None:
        """A "Next" that follows from what was just asked, toward an objective not covered."""
        lab = w.turn.lab
        covered = set(w.turn.objectives_covered) | set(w.objectives)
        gaps = {o.id for o in lab.objectives} - covered
        if w.kind in ("dont-know", "off-topic", "injection", "other-lab", "repeat", "declined"):
            return f"Try: \u201c{w.starter()}\u201d"
        before = set(w.turn.objectives_covered)
        if w.follow_up and _already_told(w.follow_up, w.message):
            # "Do you have hand-labelled examples?" to "we have 200 emails labelled by hand".
            w.follow_up = None
        if w.follow_up and w.card is not None and not before.issuperset(w.card.objectives):
            return w.follow_up  # the card's own next step, while its ground is still new
        if not gaps:
            return w.follow_up if w.card is not None else None
        asked = w.asked_before()
        answered = w.card.id if w.card else None
        # A suggestion about a provider the learner never named is a detour ("what are
        # Together AI rate limits?" after a question about jitter).
        named = providers_named(f"{asked} {w.message}"[-6000:]) or _OPENAI

        def detour(card: Card) -> bool:
            about = providers_about(f"card:{card.id}")
            return bool(about and not about & named)

        # The nearest card to this question that teaches something not yet covered.
        for match in w.matches:
            card = match.doc.card
            if (card is None or card.id == answered or not gaps & set(card.objectives)
                    or card.questions[0].lower().rstrip("?") in asked or detour(card)):
                continue
            question = _askable(card.questions)
            if question:
                return f"A related question you haven't covered: \u201c{question}\u201d"
        if w.follow_up:
            return w.follow_up
        target = next(o for o in lab.objectives if o.id in gaps)
        cards = [c for c in self.course.cards_for(lab.id)
                 if target.id in c.objectives and not detour(c)]
        example = next((q for q in (_askable(c.questions) for c in cards) if q), w.starter())
        return f"Not covered yet: *{target.text}* Try asking: \u201c{example}\u201d"


# --- helpers ------------------------------------------------------------------------

_CONTENT_WORD = re.compile(r"[a-z][a-z0-9.-]{3,30}")
_COMMON = frozenset({
    "about", "also", "and", "any", "are", "been", "being", "both", "but", "can", "could",
    "does", "doing", "each", "from", "have", "having", "here", "into", "just", "like", "make",
    "more", "most", "much", "need", "only", "other", "over", "some", "such", "than", "that",
    "their", "them", "then", "there", "these", "they", "this", "those", "very", "want", "were",
    "what", "when", "where", "which", "while", "will", "with", "would", "your", "yours",
    "should", "using", "used", "really", "directly"
})


@functools.cache
def plain_words() -> dict[str, str]:
    """Card id -> the same idea in everyday words (``rules/plain.yaml``)."""
    path = resources.files("apilab.assistant.offline") / "rules" / "plain.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): " ".join(str(v).split()) for k, v in raw.items()}


def _already_told(question: str, message: str) -> bool:
    """Whether the learner's message already answers the tutor's next question: most of
    the question's content words (by their first five letters) are in it."""
    def stems(text: str) -> set[str]:
        return {w[:5] for w in _CONTENT_WORD.findall(text.lower()[:3000]) if w not in _COMMON}

    asked = stems(question)
    told = asked & stems(message)
    return len(asked) >= 2 and len(told) >= 2 and len(told) * 2 >= len(asked)


_OPENAI = frozenset({"openai"})  # the provider of a message that names none
# Asking which item of the last list comes first. Anchored and bounded.
_PRIORITY = re.compile(
    r"^\s*(?:(?:ok|okay|thanks|thank you|so|and|hmm|great)[,.!]?\s+){0,2}(?:which (?:one )?(?:is|"
    r"are|of (?:these|them|those) is)? ?(?:the )?(?:worst|biggest|most (?:important|serious|"
    r"urgent|critical))(?: (?:one|problem|issue|thing))?|which (?:one |of (?:these|them|those) )?"
    r"matters? (?:the )?most|what (?:should|do) (?:i|we) (?:do|fix|"
    r"tackle|change) first(?: out of (?:all )?(?:that|this|these))?|where (?:should|do) (?:i|we) "
    r"start|what(?:'s| is) (?:the )?(?:most important|top priority|first step))\s*[?!.]*\s*$",
    re.I)
# A numbered item of a reply, with its indented continuation lines.
_NUMBERED_ITEM = re.compile(r"(?m)^[ \t]{0,3}\d{1,2}\.[ \t]+(\S[^\n]{0,400}"
                            r"(?:\n[ \t]{2,8}[^\s\d][^\n]{0,400}){0,8})")

_RETRIEVERS: dict[int, tuple[Course, Retriever]] = {}


def _retriever_for(course: Course) -> Retriever:
    """One retriever per course object for the process (building takes ~0.3 s)."""
    cached = _RETRIEVERS.get(id(course))
    if cached is None or cached[0] is not course:
        cached = (course, Retriever(course))
        _RETRIEVERS[id(course)] = cached
    return cached[1]


def _signals_meta(reading: Any) -> dict[str, Any]:
    s = reading.signals
    return {"statuses": list(s.statuses), "error_codes": list(s.error_codes),
            "exceptions": list(s.exceptions), "finish_reasons": list(s.finish_reasons),
            "models": [m.written for m in s.models]}


def _redact(text: str) -> tuple[str, list[dict[str, Any]]]:
    from apilab.secretscan import redact_text

    redacted, findings = redact_text(text)
    return redacted, [finding_summary(f, text) for f in findings]


def finding_summary(finding: Any, text: str | None = None) -> dict[str, Any]:
    """The parts of a secretscan ``Finding`` that are safe to keep (never the secret); with
    the scanned ``text``, also the variable it was assigned to (``DATABASE_URL``)."""
    summary = {"rule": getattr(finding, "rule", "secret"),
               "description": getattr(finding, "description", "secret"),
               "redacted": getattr(finding, "redacted", "…"),
               "line": getattr(finding, "line", None)}
    start = getattr(finding, "start", None)
    if text is not None and isinstance(start, int):
        name = _assigned_name(text, start)
        if name:
            summary["name"] = name
    return summary


# "DATABASE_URL=", "export DB_URL=", "db_url: ", "\"apiKey\": ": the name at the start of
# the secret's line. Bounded, no nested quantifiers; matched only up to the secret.
_ASSIGNED = re.compile(r"[ \t]{0,8}(?:export[ \t]{1,4})?[\"']?([A-Za-z_][A-Za-z0-9_]{0,47})"
                       r"[\"']?[ \t]{0,3}[:=]")


def _assigned_name(text: str, start: int) -> str | None:
    line_start = text.rfind("\n", max(0, start - 300), start) + 1
    if start - line_start > 300:
        return None
    m = _ASSIGNED.match(text, line_start, start)
    if m is None:
        return None
    name = m.group(1)
    # An identifier, never key-like (mixed case with digits): the name must not leak a secret.
    mixed = any(c.isupper() for c in name) and any(c.islower() for c in name)
    return None if mixed and sum(c.isdigit() for c in name) >= 2 else name


def _shown_secret(finding: dict[str, Any]) -> str:
    """How the warning points at a finding: its redacted form, or, when a short secret
    redacts to a bare "…", the variable it was in ("the password in `DATABASE_URL`")."""
    redacted = str(finding.get("redacted") or "")
    if redacted.strip("\u2026 "):
        return f"`{redacted}`"
    what = "the password" if finding.get("rule") == "url-credentials" else "the value"
    name = finding.get("name")
    if name:
        return f"{what} in `{name}`"
    return f"{what} in the URL" if what == "the password" else "a value too short to show"


def chunk_words(text: str, size: int = 12, first: int = 3, most: int = 96) -> list[str]:
    """Split text into word groups, keeping all whitespace (the chunks join back exactly).

    The first group is short so the first words show at once; each later group is twice
    the one before (``size``, 2 x ``size``... up to ``most`` words), because every chunk is
    one SSE event through the middleware and the socket: a 170-word reply went from 15
    events to 5, and the server's CPU per reply fell with it (bench/lab_chat.py). The
    whole reply is ready anyway; the learner still sees it arrive from the first words.
    """
    pieces = re.findall(r"\S+\s*|\s+", text)
    chunks = ["".join(pieces[:first])] if pieces[:first] else []
    start = first
    while start < len(pieces):
        chunks.append("".join(pieces[start : start + size]))
        start += size
        size = min(most, size * 2)
    return chunks


def _after_comma(message: str, part: str) -> bool:
    """Whether ``part`` follows a comma in ``message`` (the same sentence as a statement)."""
    at = message.find(part)
    return at > 0 and message[:at].rstrip().endswith(",")
