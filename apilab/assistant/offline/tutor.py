"""The offline tutor: answers from the answer cards and lessons, runs the lab's tools.

``OfflineTutor.compose(turn)`` builds the whole reply synchronously (a few
milliseconds: regular expressions, a BM25F lookup, maybe a tool); ``respond``
streams it as word groups. The order of work for one message:

1. a pasted secret -> never echoed; revoke-first checklist;
2. injected instructions -> named and ignored; the rest of the message goes on;
3. small talk (greeting, thanks, "help", questions about the tutor itself);
4. tools the message calls for (cost, tokens, backoff, JSON, HTTP responses);
5. retrieval: the best card in this lab; else another lab's card (said so);
   else the closest lesson passage; else "I don't know" or an off-topic redirect;
6. a follow-up toward an objective not yet covered, and (first reply, or when
   asked) the note that this is the offline tutor and how to switch on a model.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
from collections.abc import AsyncIterator
from typing import Any

from apilab.assistant import httpinfo
from apilab.assistant.base import ReplyDone, TextDelta, Turn
from apilab.assistant.offline import intents
from apilab.assistant.offline.coach import drill_coaching
from apilab.assistant.offline.draft import TOOL_LABS, TOOL_OBJECTIVES, Draft
from apilab.assistant.offline.index import Hit, KnowledgeIndex
from apilab.assistant.offline.text import content_terms
from apilab.assistant.offline.toolrun import run_tools
from apilab.content.models import Card, Course, Lab
from apilab.errors import ApilabError

__all__ = ["OFFLINE_NOTE", "Composed", "OfflineTutor"]

# Confidence thresholds (see index.Hit.confidence): tuned on the sample and paraphrase
# questions in tests/assistant/test_samples.py and test_tutor.py.
GOOD = 0.45
FAIR = 0.33

OFFLINE_NOTE = (
    "_I'm apilab's **offline tutor**: I answer from the course notes and run the lab's "
    "tools in-process - no AI model is involved. To switch on a model, set "
    "`APILAB_BACKEND=openai` and `OPENAI_API_KEY` (or `APILAB_BACKEND=anthropic` + "
    "`ANTHROPIC_API_KEY`, or `APILAB_BACKEND=gemini` + `GEMINI_API_KEY`; `APILAB_BASE_URL` "
    "for an OpenAI-compatible server such as Ollama) and restart `apilab serve`._"
)



@dataclasses.dataclass
class Composed:
    """A finished reply before streaming, with what the tutor did."""

    text: str
    on_topic: bool
    objectives: list[str]
    tools_used: list[str]
    meta: dict[str, Any]


class OfflineTutor:
    """The built-in lab assistant (backend ``offline``)."""

    name = "offline"

    def __init__(self, course: Course | None = None) -> None:
        self._course = course
        self._index: KnowledgeIndex | None = None

    @property
    def course(self) -> Course:
        if self._course is None:
            from apilab.content import load_course

            self._course = load_course()
        return self._course

    @property
    def index(self) -> KnowledgeIndex:
        if self._index is None:
            self._index = _index_for(self.course)
        return self._index

    def warm_up(self) -> None:
        """Load the course, build the index and the price table now, not on the first reply.

        The web app can call this at start-up so the first learner does not wait
        about a second for what every later learner gets for free.
        """
        from apilab.content.loader import LAB_IDS

        for lab_id in LAB_IDS:
            try:
                lab = self.course.lab(lab_id)
            except ApilabError:
                continue
            self.compose(Turn(lab=lab, message="How much do 1M input tokens cost on "
                                               "gpt-4o-mini? RPM vs TPM", history=[]))

    # --- the Assistant interface -------------------------------------------------

    async def respond(self, turn: Turn) -> AsyncIterator[TextDelta | ReplyDone]:
        """Stream the reply in word groups, then one ``ReplyDone``."""
        composed = self.compose(turn)
        for chunk in chunk_words(composed.text):
            yield TextDelta(chunk)
            await asyncio.sleep(0)  # let other learners' streams progress
        yield ReplyDone(
            text=composed.text, backend=self.name, objectives=composed.objectives,
            on_topic=composed.on_topic, tools_used=composed.tools_used, meta=composed.meta,
        )

    # --- composing ---------------------------------------------------------------

    def compose(self, turn: Turn) -> Composed:
        """Build the whole reply for ``turn`` (synchronous, a few milliseconds)."""
        started = time.perf_counter()
        w = Draft(turn=turn, message=turn.message.strip())
        w.show_note = not any(role == "assistant" for role, _ in turn.history)
        lab = turn.lab

        stop = self._secrets(w)
        stop = stop or self._injection(w)
        if not stop:
            self._continuation(w)
            stop = self._small_talk(w)
        hits: list[Hit] = []
        other: list[Hit] = []
        if not stop:
            retrieval_text = run_tools(w)
            hits, other = self._retrieve(w, retrieval_text)
        coaching = drill_coaching(lab.id, turn.context.get("drill"), w.message)
        if coaching:
            w.parts.append(coaching)
            w.on_topic = w.on_topic or lab.id == "key-security"
        if w.follow_up is None and w.intent not in ("off-topic",):
            w.follow_up = self._next_question(w)
        if w.continued:
            # Helpful to answer, but "yes" is not a substantive exchange of the learner's own.
            w.on_topic = False
            w.topic_reason = ("a short reply like \u201cyes\u201d follows my question but is "
                              "not a question of your own")

        sections = [*w.notes, *w.parts]
        if w.follow_up:
            sections.append(f"**Next:** {w.follow_up}")
        if w.show_note:
            sections.append(OFFLINE_NOTE)
        text = "\n\n".join(s.strip() for s in sections if s and s.strip())
        meta: dict[str, Any] = {
            "backend": self.name,
            "intent": w.intent,
            "card": w.card.id if w.card else None,
            "retrieval": [h.as_meta() for h in hits[:3]],
            "other_labs": [h.as_meta() for h in other[:2]],
            "tools": w.tools,
            "objectives": w.objectives,
            "on_topic": w.on_topic,
            "topic_reason": w.topic_reason,
            "injection": list(w.injection),
            "timing_ms": {"compose": round((time.perf_counter() - started) * 1000, 3)},
        }
        return Composed(text, w.on_topic, list(w.objectives),
                        [t["name"] for t in w.tools], meta)

    # --- 1. secrets -----------------------------------------------------------------

    def _secrets(self, w: Draft) -> bool:
        """Warn about a pasted secret; ``True`` when nothing else is left to answer."""
        findings = list(w.turn.context.get("secret_findings") or [])
        if not findings:
            # Called directly with unredacted text (tests, the model fallback): redact here.
            redacted, found = _redact(w.message)
            if found:
                findings = found
                w.message = redacted
        if not findings:
            return False
        started = time.perf_counter()
        names = sorted({str(f.get("description") or f.get("rule") or "secret") for f in findings})
        shown = ", ".join(f"`{f.get('redacted', '…')}`" for f in findings[:3])
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
        if w.turn.lab.id == "key-security":
            w.on_topic = True
        # Work on without the redacted key, so it is not matched or quoted again.
        for f in findings:
            if f.get("redacted"):
                w.message = w.message.replace(str(f["redacted"]), " ")
        if intents_content(w.message):
            return False
        w.intent = "secret"
        if not w.on_topic:
            w.topic_reason = "a pasted key on its own is not a question about this lab"
        return True

    # --- 2. injected instructions ---------------------------------------------------

    def _injection(self, w: Draft) -> bool:
        found = intents.detect_injection(w.message)
        if not found:
            return False
        about_injection = intents.quotes_injection(w.message)
        w.notes.append(
            "**I noticed instructions aimed at me in your message** ("
            + "; ".join(found.labels)
            + "). I don't follow instructions that arrive inside a message: I never reveal a "
            "system prompt, keys or server settings (the offline tutor holds no API key at "
            "all)." + (" This is exactly what *prompt injection* looks like - a good example "
                       "for this lab." if w.turn.lab.id == "production-prompts" else "")
        )
        w.injection = found.labels
        if about_injection:
            return False  # a question about injection that quotes an attack: answer it
        w.message = found.remainder
        if not intents_content(w.message):
            w.intent = "injection"
            if w.turn.lab.id == "production-prompts":
                w.on_topic = True
                w.add_objectives(("prompt-injection",))
                w.parts.append(
                    "In your own app, defend in layers: keep instructions in the system prompt, "
                    "mark untrusted text as data (delimiters), give the model no secrets and "
                    "least-privilege tools, and validate its output before acting on it."
                )
            else:
                w.topic_reason = "the message only contained instructions aimed at the tutor"
                w.parts.append(f"Ask me something about {w.turn.lab.title} instead - for "
                               f"example: \u201c{_starter(w)}\u201d")
            return True
        return False

    # --- 3. small talk --------------------------------------------------------------

    def _continuation(self, w: Draft) -> None:
        """"yes" / "tell me more" / "idk" after a follow-up question: answer that question."""
        if not intents.detect_continuation(w.message):
            return
        last = next((c for r, c in reversed(w.turn.history) if r == "assistant"), "")
        m = re.search(r"\*\*Next:\*\*\s*(.+)", last)
        if not m:
            return
        follow = m.group(1).strip()
        quoted = re.search(r"\u201c(.+?)\u201d", follow)
        question = quoted.group(1) if quoted else follow
        w.intent = "continuation"
        w.continued = question
        w.notes.append(f"_Picking up my question: {question}_")
        w.message = question

    def _small_talk(self, w: Draft) -> bool:
        kind = intents.detect_small_talk(w.message)
        if kind is None:
            return False
        lab = w.turn.lab
        w.intent = kind
        if kind == "about":
            w.show_note = False
            w.parts.append(OFFLINE_NOTE.strip("_"))
            w.parts.append("The lab works the same either way: a model backend uses the same "
                           "course notes and tools (cost, tokens, backoff, key scan, JSON check, "
                           "HTTP explainer) through function calling, and falls back to me when "
                           "it cannot answer.")
            w.topic_reason = "questions about the tutor itself are not about the lab's topic"
        elif kind == "creative":
            w.intent = "off-topic"
            w.parts.append(
                f"That's a creative-writing request, which is outside what I do - I'm the tutor "
                f"for **{lab.title}** and answer from this course's notes. Let's get back to "
                f"the lab: \u201c{_starter(w)}\u201d is a good question to try."
            )
            w.topic_reason = "a creative-writing request is not about the lab's topic"
        elif kind == "greeting":
            w.parts.append(f"Hi! This is {lab.title}. {lab.scenario}")
            w.topic_reason = "a greeting is not a question about the lab"
        elif kind == "thanks":
            w.parts.append("Glad it helped.")
            w.topic_reason = "thanks and acknowledgements don't count as exchanges"
        else:  # help
            covered = set(w.turn.objectives_covered)
            lines = [f"**{lab.title}** - the objectives, with the ones you've covered ticked:", ""]
            for obj in lab.objectives:
                mark = "[x]" if obj.id in covered else "[ ]"
                lines.append(f"- {mark} {obj.text}")
            lines += ["", "Good questions to start with:", ""]
            lines += [f"- \u201c{q}\u201d" for q in lab.starter_questions[:4]]
            lines += ["", f"The lab is complete after {lab.min_exchanges} substantive "
                          "exchanges: questions on this lab's topic that aren't repeats."]
            w.parts.append("\n".join(lines))
            w.topic_reason = "asking for help is fine, but it is not a question about the topic"
        return True

    # --- 4. tools -------------------------------------------------------------------

    # --- 5. retrieval ---------------------------------------------------------------

    def _multi_part(self, w: Draft, text: str) -> tuple[list[Hit], list[Hit]] | None:
        """Answer "What is RPM and how does jitter help?" part by part, if each part is clear."""
        pieces = _split_questions(text)
        if len(pieces) < 2 or w.tools or w.pending_codes:
            return None
        chosen: list[Hit] = []
        all_hits: list[Hit] = []
        for piece in pieces[:3]:
            hits, _ = self.index.search_split(self.index.make_query(piece), w.turn.lab.id)
            best = next((h for h in hits if h.doc.kind == "card"), None)
            if best is None or best.confidence < GOOD:
                return None  # one unclear part: treat the message as a whole
            if all(best.doc.key != h.doc.key for h in chosen):
                chosen.append(best)
                all_hits.append(best)
        if len(chosen) < 2:
            return None
        for hit in chosen:
            card = hit.doc.card
            assert card is not None
            w.parts.append(f"**{card.questions[0]}**\n\n{card.answer.strip()}")
            w.add_objectives(card.objectives)
        w.card = chosen[0].doc.card
        w.intent = "multi"
        w.on_topic = True
        last = chosen[-1].doc.card
        assert last is not None
        w.follow_up = last.follow_up.strip()
        return all_hits, []

    def _retrieve(self, w: Draft, text: str) -> tuple[list[Hit], list[Hit]]:
        lab = w.turn.lab
        multi = self._multi_part(w, text)
        if multi is not None:
            return multi
        query = self.index.make_query(text)
        hits, other = self.index.search_split(query, lab.id)
        hits, other = self._as_follow_up(w, text, query, hits, other)
        cards = [h for h in hits if h.doc.kind == "card"]
        passages = [h for h in hits if h.doc.kind == "lesson"]
        ran_tool = bool(w.tools)
        keyword_hits = _keyword_hits(lab, text)
        keyword_topic = keyword_hits >= 1
        if w.continued:
            # Never answer "yes" with the card just shown: pick the next one.
            previous = next((c for r, c in reversed(w.turn.history) if r == "assistant"), "")
            cards = [h for h in cards
                     if h.doc.card is None or h.doc.card.answer.strip()[:120] not in previous]
        best = cards[0] if cards else None

        codes = w.pending_codes
        if codes:
            w.tools.append({"name": "explain_http_response", "args": {"codes": codes}, "ms": 0})
            w.add_objectives(TOOL_OBJECTIVES["explain_http_response"])
            w.on_topic = w.on_topic or lab.id in TOOL_LABS["explain_http_response"]
            ran_tool = True
        # A calculation makes a related card useful context even at fair confidence; a
        # pasted response or document needs a card that really fits.
        lenient = any(t["name"] in ("estimate_cost", "backoff_schedule", "count_tokens",
                                    "check_json") for t in w.tools)
        if codes and best and all(str(c) in best.doc.text for c in codes):
            lenient = True  # "401, what do I do?": the card about that code is the answer
        top_other = next((h for h in other if h.doc.kind == "card"), None)
        if (top_other and best and best.confidence < 0.8 and top_other.confidence >= 0.8
                and top_other.confidence >= best.confidence + 0.2 and not w.tools):
            # Another lab's card answers this far better ("jitter?" asked in Lab 1): use
            # it, labelled; it still counts here if this lab's own match was good.
            other_lab = self.course.lab(top_other.doc.lab)
            w.notes.append(f"_This is covered best in **{other_lab.title}**, so I'm "
                           "answering from that lab's notes._")
            self._answer_card(w, top_other, foreign=True)
            if best.confidence >= GOOD or keyword_topic:
                w.on_topic = True
                w.add_objectives(best.doc.objectives if best.confidence >= GOOD else ())
            else:
                w.intent = "other-lab"
                w.topic_reason = (f"it is a question for {other_lab.title}; ask it there to "
                                  "count it")
            return hits, other
        if best and (best.confidence >= GOOD or (lenient and best.confidence >= FAIR)):
            if codes and not all(str(c) in best.doc.text for c in codes):
                w.parts.append(httpinfo.explain_codes(codes))
            self._answer_card(w, best)
            w.on_topic = True
            second = _second_card(cards, best, query_text=text)
            if second:
                w.parts.append(f"**Also:** {_first_paragraph(second.doc.card.answer)}")
                w.add_objectives(second.doc.objectives)
            return hits, other
        if codes:
            w.parts.append(httpinfo.explain_codes(codes))
        if ran_tool:
            # The tool output is the answer; add the lesson's passage only if it fits well.
            if passages and passages[0].confidence >= GOOD:
                w.parts.append(_passage(passages[0]))
            if not w.on_topic and keyword_topic:
                w.on_topic = True
            if not w.on_topic:
                w.topic_reason = (f"the tool I ran belongs to another lab's topic, not "
                                  f"{lab.title}")
            return hits, other
        if w.continued:
            # My follow-up was a question for the learner to think about, not one the notes
            # answer: hand it back rather than saying "I don't know".
            w.notes.clear()
            w.parts.append(f"That one is a question for you to think about: *{w.continued}* "
                           "Tell me what you think (in a sentence or two), or ask me something "
                           "specific about it.")
            return hits, other
        if top_other and top_other.confidence >= GOOD and (
                not best or top_other.confidence > best.confidence + 0.1):
            other_lab = self.course.lab(top_other.doc.lab)
            self._answer_card(w, top_other, foreign=True)
            w.notes.append(f"_That question belongs to **{other_lab.title}**, so I'm answering "
                           "from that lab's notes._")
            if keyword_topic or (best and best.confidence >= FAIR):
                w.on_topic = True
            else:
                w.intent = "other-lab"
                w.topic_reason = (f"it is a question for {other_lab.title}; ask it there to "
                                  "count it")
                w.follow_up = (f"To count toward this lab, ask about {lab.title.split(': ')[-1]}"
                               f" - e.g. \u201c{_starter(w)}\u201d")
            return hits, other
        # A hedged "closest answer" needs two of the learner's words to match, or the lab's
        # own vocabulary: one shared word ("install windows" ~ context window) is chance.
        fair = [h for h in (best, passages[0] if passages else None) if h and
                h.confidence >= FAIR and (len(h.matched) >= 2 or keyword_topic)]
        if fair:
            top = max(fair, key=lambda h: h.confidence)
            w.intent = "partial"
            w.on_topic = True
            if top.doc.kind == "card":
                w.notes.append("_I'm not certain this is what you're asking, but this is the "
                               "closest answer in the course notes:_")
                self._answer_card(w, top)
            else:
                w.parts.append("I don't have an answer card for exactly that. The closest part "
                               f"of the lesson says:\n\n{_passage(top)}")
            return hits, other
        # "I don't know" needs the lab's vocabulary twice over ("the openai api's quantum
        # tokens"); one shared word ("the best api for weather") is an off-topic question.
        if keyword_hits >= 2 and len(query.original) >= 1:
            w.intent = "dont-know"
            w.on_topic = True
            near = [h.doc.card.questions[0] for h in cards[:3]
                    if h.doc.card is not None and h.matched]
            text = ("**I don't know** - the course notes don't cover that, and I'd rather not "
                    "guess. Try rephrasing with the terms of the lesson")
            if near:
                text += ", or one of these nearby questions I can answer:\n\n" + "\n".join(
                    f"- \u201c{q}\u201d" for q in near[:2])
            else:
                text += ", or ask about one of this lab's objectives."
            w.parts.append(text)
            return hits, other
        w.intent = "off-topic"
        w.topic_reason = f"it is not about {lab.title} (the course notes have nothing on it)"
        w.parts.append(
            f"That's outside what I can help with here - I'm the tutor for **{lab.title}**, and "
            "I answer only from this course's notes. Let's get back to the lab: "
            f"\u201c{_starter(w)}\u201d is a good question to try."
        )
        return hits, other

    def _as_follow_up(self, w: Draft, text: str, query: Any, hits: list[Hit],
                      other: list[Hit]) -> tuple[list[Hit], list[Hit]]:
        """Read a short, unclear message ("what about Anthropic?") with the previous question.

        Only when the message alone finds no good card and, read together with the
        learner's previous message in this lab, it does.
        """
        best = next((h for h in hits if h.doc.kind == "card"), None)
        if (best and best.confidence >= GOOD) or w.tools or len(query.original) > 4:
            return hits, other
        previous = next((c for r, c in reversed(w.turn.history) if r in ("user", "learner")),
                        None)
        if not previous or previous.strip() == text.strip():
            return hits, other
        joined = self.index.make_query(f"{text} {previous}")
        hits2, other2 = self.index.search_split(joined, w.turn.lab.id)
        best2 = next((h for h in hits2 if h.doc.kind == "card"), None)
        if best2 is None or best2.confidence < GOOD or not set(query.original) & set(
                best2.matched) and query.original:
            return hits, other
        w.notes.append("_Reading this as a follow-up to your previous question._")
        return hits2, other2

    def _answer_card(self, w: Draft, hit: Hit, foreign: bool = False) -> None:
        card = hit.doc.card
        assert card is not None
        w.card = card
        computed = any(t["name"] in _COMPUTING_TOOLS for t in w.tools)
        # A tool already printed the worked figures: keep only the card's explanation,
        # not its own example table or code, which would repeat them.
        w.parts.append(_explanation(card.answer) if computed else card.answer.strip())
        sources = self._sources(card)
        if sources:
            w.parts.append(f"_Sources: {sources}._")
        if not foreign:
            w.add_objectives(card.objectives)
        covered = set(w.turn.objectives_covered)
        # The card's own follow-up when it leads somewhere new; else steer to a gap.
        if not foreign and (not covered.issuperset(card.objectives) or not _uncovered(w)):
            w.follow_up = card.follow_up.strip()

    def _sources(self, card: Card) -> str:
        """The card's sources as "title (date)", from its lab's lesson (at most two)."""
        if not card.sources:
            return ""
        try:
            lesson = self.course.lesson_for_lab(card.lab)
        except ApilabError:
            return ""
        by_id = {src.id: src for src in lesson.sources}
        named = []
        for source_id in card.sources[:2]:
            src = by_id.get(source_id)
            if src is not None:
                named.append(f"{src.title} ({src.date})" if src.date else src.title)
        return "; ".join(named)

    # --- 6. follow-up -------------------------------------------------------------

    def _next_question(self, w: Draft) -> str | None:
        gaps = _uncovered(w)
        lab = w.turn.lab
        if not gaps:
            if w.intent in ("thanks", "greeting", "help"):
                return "You've covered every objective of this lab - ask anything else about it."
            return None
        target = gaps[0]
        asked = " ".join(c.lower() for r, c in w.turn.history if r in ("user", "learner"))
        # Prefer a card that teaches only this objective, and one not asked already.
        cards = sorted((c for c in self.course.cards_for(lab.id) if target.id in c.objectives),
                       key=lambda c: (c.questions[0].lower().rstrip("?") in asked,
                                      len(c.objectives)))
        example = cards[0].questions[0] if cards else next(
            (q for q in lab.starter_questions), None)
        lead = "An objective you haven't covered yet"
        text = f"{lead}: *{target.text}*"
        if example:
            text += f" Try asking: \u201c{example}\u201d"
        return text


# --- helpers ------------------------------------------------------------------------

_INDEXES: dict[int, tuple[Course, KnowledgeIndex]] = {}


def _index_for(course: Course) -> KnowledgeIndex:
    """One index per course object for the process (building takes a few ms)."""
    cached = _INDEXES.get(id(course))
    if cached is None or cached[0] is not course:
        cached = (course, KnowledgeIndex.from_course(course))
        _INDEXES[id(course)] = cached
    return cached[1]


def _redact(text: str) -> tuple[str, list[dict[str, Any]]]:
    try:
        from apilab.secretscan import redact_text
    except ImportError:  # pragma: no cover - the scanner ships with apilab
        return text, []
    redacted, findings = redact_text(text)
    return redacted, [finding_summary(f) for f in findings]


def finding_summary(finding: Any) -> dict[str, Any]:
    """The parts of a secretscan ``Finding`` that are safe to keep (never the secret)."""
    return {"rule": getattr(finding, "rule", "secret"),
            "description": getattr(finding, "description", "secret"),
            "redacted": getattr(finding, "redacted", "…"),
            "line": getattr(finding, "line", None)}


def intents_content(text: str) -> list[str]:
    """The topic words of a text (empty for filler like "also, please")."""
    return content_terms(text)


def _starter(w: Draft) -> str:
    asked = " ".join(c.lower() for r, c in w.turn.history if r in ("user", "learner"))
    for q in w.turn.lab.starter_questions:
        if q.lower()[:30] not in asked:
            return q
    return w.turn.lab.starter_questions[0]


def _uncovered(w: Draft) -> list[Any]:
    covered = set(w.turn.objectives_covered) | set(w.objectives)
    return [o for o in w.turn.lab.objectives if o.id not in covered]


def _keyword_hits(lab: Lab, text: str) -> int:
    """How many of this lab's topic / objective keywords the message uses."""
    low = f" {text.lower()} "
    words = set(re.findall(r"[a-z0-9_\-\.]+", low))
    hits = set()
    for kw in [*lab.topic_keywords, *(k for o in lab.objectives for k in o.keywords)]:
        k = kw.lower()
        if ((" " in k or not k.isalnum()) and k in low) or k in words or (
                len(k) > 4 and any(w.startswith(k) for w in words)):
            hits.add(k)
    return len(hits)


_QUESTION_SPLIT = re.compile(
    r"\?+\s*|\s*[,;]?\s+\b(?:and|also|plus)\s+(?=(?:how|what|why|when|where|which|who|"
    r"do|does|is|are|can|should)\b)", re.I)


def _split_questions(text: str) -> list[str]:
    """The separate questions in one message ("X? And Y?", "what is X and how does Y ...")."""
    pieces = [p.strip(" .,;") for p in _QUESTION_SPLIT.split(text)]
    return [p for p in pieces if len(content_terms(p)) >= 1 and len(p) >= 3]


def _second_card(cards: list[Hit], best: Hit, query_text: str) -> Hit | None:
    """A second card when the message clearly asks two things both well answered."""
    if len(cards) < 2 or not re.search(r"\?.+\?|\band (also|how|what|why|when)\b",
                                       query_text, re.I):
        return None
    second = cards[1]
    if second.confidence >= GOOD and not set(second.doc.objectives) & set(best.doc.objectives):
        return second
    return None


_COMPUTING_TOOLS = frozenset({"estimate_cost", "backoff_schedule", "count_tokens"})


def _explanation(answer: str, limit: int = 2) -> str:
    """The card's prose paragraphs: no tables, code, lists or lead-ins ending in ':'."""
    keep = []
    for para in answer.strip().split("\n\n"):
        text = para.strip()
        if (not text or text.startswith(("|", "```", "- ", "* ", "1."))
                or text.rstrip().endswith(":") or "\n|" in text):
            continue
        keep.append(text)
    return "\n\n".join(keep[-limit:]) if keep else _first_paragraph(answer)


def _first_paragraph(text: str) -> str:
    return text.strip().split("\n\n", 1)[0]


def _passage(hit: Hit) -> str:
    title = f"**{hit.doc.title}**\n\n" if hit.doc.title else ""
    return f"{title}{hit.doc.text.strip()}"


def chunk_words(text: str, size: int = 12, first: int = 3) -> list[str]:
    """Split text into word groups, keeping all whitespace (the chunks join back exactly).

    The first group is short so the first words show at once; later groups are
    larger because every chunk is one SSE event, and hundreds of tiny events per
    reply cost the server more than the learner gains.
    """
    pieces = re.findall(r"\S+\s*|\s+", text)
    chunks = ["".join(pieces[:first])] if pieces[:first] else []
    chunks += ["".join(pieces[i : i + size]) for i in range(first, len(pieces), size)]
    return chunks
