"""Stage 4 of the offline tutor: the answer policy over what retrieval found.

- Answer from the best card when it is reasonably close, with one line saying what the
  question was taken to be (``understood``), so a near miss is visible, not silent.
- One answer per part of a multi-part question, when each part finds its card.
- A card from another lab when it is far better, labelled.
- "I don't know" only when nothing relevant is found, with the closest questions the
  notes can answer; an off-topic redirect when the message is not about AI APIs at all.

Thresholds are on ``Match.closeness`` (``retrieve.py``); they were set on the dev split
of the real-learner suite (``apilab eval tutor --split dev``), never on the held-out one.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from importlib import resources
from typing import TYPE_CHECKING

from apilab.assistant.folds import fold
from apilab.assistant.offline.draft import lab_vocabulary, lead_paragraph
from apilab.assistant.offline.intents import bare_ask
from apilab.assistant.offline.read import is_question
from apilab.assistant.offline.retrieve import (
    Match,
    code_languages,
    languages_said,
    providers_about,
    providers_named,
)
from apilab.assistant.offline.text import content_terms

if TYPE_CHECKING:
    from apilab.assistant.offline.draft import Draft
    from apilab.assistant.offline.retrieve import Retriever
    from apilab.content.models import Card, Course

__all__ = ["FAIR", "GOOD", "answer_from_notes", "card_sources", "closest_cards"]

GOOD = 0.55  # answer plainly
FAIR = 0.33  # answer, saying what the question was taken to be
OTHER_LAB_MARGIN = 0.15  # another lab's card must beat this lab's by this much
FAR_BETTER_MARGIN = 0.3  # ... and beats a fair answer here when ahead by this much
MAX_PARTS = 3
ANSWERABLE_DEPTH = 3  # how far down an answerable card is looked for before "I don't know"
# A part is answered on its own only when its card leads the part's next card by this much
# in strength: a part answer carries no folded alternatives, so a near tie there is a
# confident guess (9 of 13 dev multi-part replies missed). Otherwise the whole message is
# answered, near ties folded. Chosen on dev (all 397 of 459 against 395; rounds 6-12
# 94 against 92 of 142); held-out run once afterwards (docs/tutor.md).
PART_MARGIN = 0.1
PART_OWN = 0.95  # a part whose own card fits this well is answered on its own


# How a question is asked, not what it asks: "can you teach me how streaming works step by
# step" is "how streaming works" (the framing diluted both views: closeness 0.21, "I don't
# know"; "step by step" also matched the chain-of-thought cards).
_FRAMING = re.compile(
    r"\b(?:can|could|would|will) (?:you|u) (?:please |pls )?(?:teach|explain|tell|show|help)"
    r"(?: me| us)?(?: to| with)?\b|\b(?:teach|explain to|tell) (?:me|us)\b|\bstep[- ]by[- ]step\b|"
    r"\bin (?:simple|plain|layman'?s?|easy) (?:terms|english|words|language)\b|"
    r"\blike i'?m (?:5|five|a beginner|a kid|new)\b|\bfor (?:a )?(?:total )?(?:beginners?|dummies|"
    r"newbies?|noobs?)\b|\bi'?m (?:a |an )?(?:total |complete )?(?:beginner|newbie|noob|new to "
    r"(?:this|coding|programming|ai|apis?))\b"
    # "im brand new, how do i ...": the learner is new, not their account or key.
    r"|\bi'?m (?:brand |totally |completely |very )?new\b(?!\s(?:account|key|project|org))",
    re.I)


# "no, i dont use n8n or comfyui, i just have a plain node app": what the learner does not
# use is not what they ask about (the n8n card matched its own name). Bounded, no nesting.
_NEGATED_MENTION = re.compile(
    r"\b(?:i|we)\s{1,3}(?:don'?t|dont|do not|am not|'m not|are not|aren'?t|never)\s{1,3}"
    r"(?:use|using|have|run|running|work with|need)\s{1,3}([^,.;!?\n]{1,40}?)"
    r"(?=[,.;!?\n]|\s(?:i|we|but|just|only|so)\b|$)"
    r"|\bnot\s{1,3}(openai|anthropic|claude|gemini|azure|python|node|n8n)\b", re.I)


def without_negated(text: str) -> str:
    """``text`` without the tools a learner says they do not use, unless little is left."""
    stripped = " ".join(_NEGATED_MENTION.sub(" ", text[:4000]).split())
    return stripped if len(stripped.split()) >= 3 else text


def without_framing(text: str) -> str:
    """``text`` without request framing, unless little would be left."""
    stripped = " ".join(_FRAMING.sub(" ", text).split())
    return stripped if len(stripped.split()) >= 2 else text


def _languages(w: Draft, said: str) -> frozenset[str]:
    """The languages the learner works in: this message's, else the conversation's."""
    now = languages_said(said)
    if now:
        return now
    return languages_said(_recently_said(w))


_READ_WITH = "_Reading this with your earlier question"  # the note ``_follow_up`` writes
PROVIDER_MEMORY = 3  # the learner's last few messages name the conversation's provider


def _recently_said(w: Draft) -> str:
    """The learner's last few messages in this lab (each cut), for the conversation's
    provider and language."""
    said = [c for r, c in w.turn.history if r in ("user", "learner")][-PROVIDER_MEMORY:]
    return " ".join(c[:1000] for c in said)


def _conversation_providers(w: Draft) -> frozenset[str]:
    """Providers the learner's last few messages in this lab named, if any."""
    return providers_named(_recently_said(w))


FRESH_MIN_IDF = 1.0  # a word in more than about 40% of the documents says nothing new


# "restarted vscode, works now!", "thanks, that fixed it.": a report that the last step
# worked, before the real follow-up.
_WORKED = re.compile(r"\b(?:works?|worked|working|thanks|thank you|thx|fixed|solved|got it|"
                     r"perfect|awesome)\b", re.I)


def _asked_part(w: Draft, *, whole: bool = False) -> str:
    """The message without the sentences that only say the last step worked ("restarted
    vscode, works now! is setx safe though?": the second), or its whole focus."""
    from apilab.assistant.offline.read import is_question

    if w.reading is None:
        return w.message
    said = (w.reading.prose if whole else w.reading.focus) or w.message
    for part in w.reading.parts:
        if _WORKED.search(part) and not is_question(part) and part in said:
            said = said.replace(part, " ", 1)
    return said if said.strip() else (w.reading.focus or w.message)


def _fresh_terms(w: Draft, retriever: Retriever) -> list[str]:
    """The words a follow-up adds to the question it leans on, that some document uses."""
    if not w.follows or w.answering or w.continued or w.reading is None:
        return []
    before = set(content_terms(w.follows))
    index = retriever.index
    return [t for t in dict.fromkeys(content_terms(_asked_part(w)))
            if t not in before and index.idf(t) >= FRESH_MIN_IDF and index.knows(t)]


def answer_from_notes(w: Draft, retriever: Retriever, course: Course) -> None:
    """Fill ``w`` with the answer the course notes give (or an honest non-answer)."""
    reading = w.reading
    lab = w.turn.lab
    focus = without_negated(without_framing(w.focus))
    extra = [*(reading.signals.terms() if reading is not None else []), *w.hints]
    parts = reading.parts if reading is not None and not w.continued else []
    if w.follows and not w.answering and providers_named(w.message[:300]) - providers_named(
            w.follows):
        # "does this work with claude too?": the earlier question asked of another provider.
        # Its sentence alone carries no topic and is closest in meaning to any question
        # about that provider ("how do I send a tool result back to claude?").
        parts = []
    hints = reading.signals.cards() if reading is not None else []
    # Every provider the message names counts, not only those in the focus sentences: a
    # provider-specific card loses to a general one when none is named.
    # ("its openai not anthropic": the provider named to rule it out is not the one asked.)
    said = without_negated(reading.prose) if reading is not None else ""
    pasted = w.message if reading is None else f"{said}\n" + "\n".join(
        p.text for p in reading.pasted)
    carried = _conversation_providers(w) if not providers_named(pasted[:4000]) else frozenset()
    if carried:
        # "how do I call claude from python?" ... "where does the system prompt go?": asked
        # of the conversation's provider, not the default one (OpenAI).
        pasted += "\n" + " ".join(sorted(carried))
    fresh = _fresh_terms(w, retriever)
    languages = _languages(w, pasted)
    own, other = retriever.search(focus, lab.id, extra=extra, parts=parts, hints=hints,
                                  pasted=pasted, fresh=fresh, implied=sorted(carried),
                                  languages=languages)
    combined = next((m for m in own if m.doc.kind == "card"), None)
    if w.weak_lean and reading is not None and (
            combined is None or combined.closeness < FAIR or w.answered_before(combined.doc.card)):
        # "How do I show the answer while it's being generated?" says "it" but stands
        # alone: read with the question before, it only finds the answer given; when the
        # question alone finds a good card not given yet, that answers it.
        alone, alone_other = retriever.search(
            without_negated(without_framing(reading.focus or w.message)), lab.id,
            extra=extra, parts=reading.parts, hints=hints, pasted=pasted,
            implied=sorted(carried), languages=languages)
        lead = next((m for m in alone if m.doc.kind == "card"), None)
        if lead is not None and lead.closeness >= GOOD and not w.answered_before(lead.doc.card):
            own, other = alone, alone_other
            w.follows, w.weak_lean = None, False
            w.notes = [n for n in w.notes if not n.startswith(_READ_WITH)]
    w.matches = own
    w.other_matches = other
    if _answer_parts(w, retriever):
        return
    statuses = set(reading.signals.statuses) if reading is not None else set()
    cards = [m for m in own if m.doc.kind == "card" and not _other_status(m, statuses)]
    if cards and cards[0].closeness >= FAIR and w.answered_before(cards[0].doc.card):
        specific = [t for t in fresh if retriever.index.idf(t) >= RECAP_MIN_IDF]
        cards = _not_again(w, cards, own, other, course, retriever, specific)
        if not cards:
            return
        if providers_about(cards[0].doc.key) & providers_named(w.message[:300]):
            # "what about for Claude?": that provider's card, announced above, is the answer
            # (not another lab's general one).
            _answer_card(w, cards[0], course, hedge=cards[0].closeness < GOOD)
            w.on_lab_topic = True
            return
    # The first card that could be given: a middling word match ranked first ("flask" alone)
    # does not hide a fair, grounded card just below it behind "I don't know".
    answerable = [m for m in cards[:ANSWERABLE_DEPTH] if m.closeness >= FAIR
                  and (m.closeness >= GOOD or _grounded(m, w))]
    if answerable and answerable[0] is not cards[0]:
        cards = [answerable[0], *(m for m in cards if m is not answerable[0])]
    best = cards[0] if cards else None
    best_other = next((m for m in other if m.doc.kind == "card"), None)
    best_score = best.closeness if best else 0.0
    answerable_here = bool(best and best_score >= FAIR
                           and (best_score >= GOOD or _grounded(best, w)))
    # Another lab's card only when this lab has no good answer and that one is clearly better
    # ("jitter?" asked in Lab 1); a fair answer here beats a foreign one. "Fair" means one
    # this lab would actually give: a middling match that is not grounded would end in
    # "I don't know" while another lab's card answers exactly (a pasted "maximum context
    # length" error asked in the cost lab). A card the pasted error names beats an
    # unhinted one here that is not good.
    hinted_there = bool(best_other and best_other.hinted and not (best and best.hinted)
                        and best_score < GOOD)
    # With nothing fair here, another lab's fair and grounded card beats "I don't know"
    # (hedged, like a fair answer here): "longer answers than 150 words" in Lab 4 finds
    # Lab 1's card on controlling answer length.
    other_usable = bool(best_other and (
        best_other.closeness >= GOOD
        or (best_score < FAIR and best_other.closeness >= FAIR + 0.1
            and _grounded(best_other, w))))
    # A fair answer here still yields to another lab's card that fits far better ("my key
    # leaked on github, what do i do" in Lab 1: GitHub Models at 0.53, Lab 2's leaked-key
    # card at 1.0).
    far_better = bool(best_other and best_score < GOOD and best_other.closeness >= GOOD
                      and best_other.closeness >= best_score + FAR_BETTER_MARGIN)
    uncovered = out_of_scope(reading.prose if reading is not None else w.message)
    if uncovered is not None and not w.parts and not any(
            _card_covers(m, uncovered) for m in (best, best_other) if m is not None):
        # "how do i set up pinecone for RAG?": said plainly, with where it is documented,
        # rather than a neighbouring card answered as if it were the question. (A card that
        # itself names the topic, "how much does fine-tuning cost", still answers.)
        near = closest_cards(own, other)
        w.parts.append(f"**Not covered in this course: {uncovered.topic}.** {uncovered.pointer}"
                       + (" The closest questions I can answer:" if near else ""))
        w.parts.extend(_fold(f"\u201c{_shorten(card.questions[0])}\u201d", card, course)
                       for card in near)
        w.kind = "dont-know"
        w.why_not = f"the course does not cover {uncovered.topic}"
        return
    # "how do i stream responses in node with the anthropic sdk?" asked in the keys lab: not
    # one of this lab's words and several of that lab's, so its better card is the answer.
    elsewhere = bool(best_other and w.lab_vocabulary == 0 and best_other.closeness > best_score
                     and best_other.closeness >= GOOD
                     and lab_vocabulary(dataclasses.replace(
                         w.turn, lab=course.lab(best_other.doc.lab)), w.focus) >= 2)
    # The learner's own numbers, priced here: another lab's card about arithmetic or costs
    # in general ("can you just do the math with my numbers?") would only pad the figures.
    priced = any(t["name"] == "estimate_cost" for t in w.tools)
    if best_other and other_usable and not priced and (elsewhere or (
            best_score < FAIR + 0.1 or not answerable_here or hinted_there or far_better) and (
            best_other.closeness >= best_score + OTHER_LAB_MARGIN)):
        other_lab = course.lab(best_other.doc.lab)
        note = (f"_This is covered best in **{other_lab.title}**, so I'm answering from "
                "that lab's notes._")
        w.notes.append(note)
        _answer_card(w, best_other, course, foreign=True,
                     hedge=best_other.closeness < GOOD)
        if w.card is not best_other.doc.card:
            # The learner's own numbers answered and the card added nothing: no lab to name.
            w.notes.remove(note)
            return
        # It still counts here when the question is also this lab's business.
        w.on_lab_topic = not elsewhere and (best_score >= FAIR or w.lab_vocabulary >= 2)
        if not w.on_lab_topic:
            w.kind = "other-lab"
        return
    if best and answerable_here:
        _answer_card(w, best, course, hedge=best_score < GOOD)
        w.on_lab_topic = True
        _alternatives(w, cards, best, course)
        return
    passage = next((m for m in own if m.doc.kind == "lesson"), None)
    if passage and passage.closeness >= GOOD:
        w.parts.append(f"The lesson covers this under **{passage.doc.title}**:\n\n"
                       f"{passage.doc.text.strip()}")
        w.kind = "hedged"
        w.on_lab_topic = True
        return
    if w.parts:
        return  # a tool or an explanation already answered; nothing better to add
    if w.answering:
        # The learner answered the question the last reply ended with; nothing in the notes
        # takes that answer further. Acknowledge it and hand the thread back, not "outside
        # what I can help with".
        w.parts.append(
            f"Thanks - that's your answer to my question (*{w.follows}*): one to weigh against "
            "the answer above. The notes don't take an answer like that further on their own; "
            "ask me about the part you want to go deeper on.")
        w.kind = "continuation"
        w.why_not = "an answer to the tutor's question is not a new question about the lab"
        return
    if w.continued:
        # The follow-up was a question for the learner to think about, not one the notes
        # answer: hand it back rather than saying "I don't know".
        w.parts.append(f"That one is a question for you to think about: *{w.continued}* Tell "
                       "me what you think (in a sentence or two), or ask me something specific "
                       "about it.")
        w.kind = "continuation"
        return
    general_code = bool(_GENERAL_CODE.search(w.message[:500]) and not _AI_WORDS.search(w.message))
    if not general_code and (w.lab_vocabulary >= 1 or best_score >= 0.2
                             or (reading and reading.signals.any)):
        near = closest_cards(own, other)
        text = ("**I don't know** - the course notes don't cover that, and I'd rather not "
                "guess.")
        if near:
            # Folded, so a learner whose question one of them is opens it instead of asking
            # again; none of them counts as an answer.
            text += " The closest questions I can answer (open one to read its answer):"
        w.parts.append(text)
        w.parts.extend(_fold(f"\u201c{_shorten(card.questions[0])}\u201d", card, course)
                       for card in near)
        w.kind = "dont-know"
        return
    w.kind = "off-topic"
    w.parts.append(
        f"That's outside what I can help with here - I'm the tutor for **{lab.title}**, and "
        "I answer from this course's notes about building on AI APIs. A question to try: "
        f"\u201c{w.starter()}\u201d")


# A follow-up whose best card is the answer already given ("what about anthropic?", "show
# me code" after the backoff card) gets the next closest card when it is nearly as close;
# otherwise it is told so, instead of the same answer again (which counted as progress:
# three identical replies completed a lab).
REPEAT_GAP = 0.3
# A learner pushing back on the answer just given, or asking to have it confirmed; not a new
# case opened with "but" ("but what if I only use it for a demo?").
_OBJECTION = re.compile(
    r"^\s*(?:but|wait|hmm+)\b(?!,?\s+(?:what|how|which|where|when|who|can|could|should|"
    r"would|does|do|will|is there|are there)\b)"
    r"|\b(?:right|correct|isn'?t (?:it|that)|no|yes|true)\s*\?+\s*$",
    re.I)


# "can you show code?", "code example pls", "example code?": code for the answer just given.
_CODE_ASK = re.compile(r"\b(?:show|give|see|send|write)\b[^.?!\n]{0,20}\b(?:code|snippet|"
                       r"example code|code example)\b|^\W{0,3}(?:an? |some )?(?:code|example|"
                       r"example code|code example|snippet)\W{0,5}(?:pls|please)?\W{0,3}$", re.I)
_FENCE = re.compile(r"(?ms)^[ \t]{0,3}```[^\n]{0,20}\n.*?^[ \t]{0,3}```[ \t]*$")


_LIST_HEAD = re.compile(r"^\s{0,3}(?:\d{1,2}[.)]|[-*])\s{1,3}(\*\*[^*\n]{2,80}\*\*[^\n]{0,160})")


def _list_heads(answer: str) -> str:
    """A card answer's list items that open in bold, each item's first line, numbered."""
    heads = [m.group(1).rstrip(" ,;:") for m in map(_LIST_HEAD.match,
                                                   answer.splitlines()[:200]) if m]
    return "\n".join(f"{n}. {head}" for n, head in enumerate(heads[:6], 1)) if len(
        heads) >= 2 else ""


def _code_blocks(answer: str) -> str:
    """The fenced code blocks of a card's answer (at most two), or ""."""
    if "```" not in answer:
        return ""
    blocks = [m.group(0).strip() for m in _FENCE.finditer(answer[:20000])]
    return "\n\n".join(blocks[:2])


def _not_again(w: Draft, cards: list[Match], own: list[Match], other: list[Match],
               course: Course, retriever: Retriever | None = None,
               added: list[str] | None = None) -> list[Match]:
    """``cards`` with the answer already given moved out of the lead, or ``[]`` after
    writing a short "that is my answer above" reply (or quoting the lines of it that
    answer what the follow-up adds, ``added``)."""
    given = cards[0]
    card = given.doc.card
    assert card is not None
    if w.kind == "tool":
        return []  # a calculation answered it; the answer above needs no recap beside it
    fresh = [m for m in cards[1:] if not w.answered_before(m.doc.card)]
    # Named as the learner's earlier question read it, not by the card's first phrasing.
    given_as = shown_question(card, w.follows or w.message)
    if _OBJECTION.search(w.message[:2000]):
        # "but the .env is in .gitignore, so nobody can see it, right?": the answer given
        # already settles it; say so with its opening, not with the next card over.
        w.parts.append(f"My answer above already covers this:\n\n> {lead_paragraph(card.answer)}")
        w.kind = "repeat"
        w.why_not = "the reply restates an earlier answer"
        return []
    if w.still_failing and retriever is not None:
        # "i added $5 credit 10 min ago and it STILL says insufficient_quota": a card
        # written for that very report (in any lab) beats quoting the answer given again.
        alone, alone_other = retriever.search(
            without_framing(w.reading.focus if w.reading is not None else w.message),
            w.turn.lab.id)
        report = max((m for m in (*alone[:1], *alone_other[:1]) if m.doc.card is not None
                      and m.closeness >= REPORT_CARD and not w.answered_before(m.doc.card)),
                     key=lambda m: m.closeness, default=None)
        if report is not None and report.doc.lab == w.turn.lab.id:
            return [report, *(m for m in fresh if m is not report)]
        if report is not None:
            w.notes.append(f"_This is covered best in **{course.lab(report.doc.lab).title}**, "
                           "so I'm answering from that lab's notes._")
            _answer_card(w, report, course, foreign=True)
            w.on_lab_topic = True
            return []
    if w.still_failing and added:
        # "on my server behind nginx it doesnt": the part of the answer about what the report
        # adds (its nginx line), before the whole answer's checks again.
        about = _lines_about(card.answer, [t for t in added
                                           if t not in set(content_terms(given_as))])
        if about:
            return _recap(w, card, f"My answer above covers that case (\u201c"
                          f"{_shorten(given_as)}\u201d); the part that applies:\n\n{about}")
    if w.still_failing:
        code = _code_blocks(card.answer)
        checks = code or _list_heads(card.answer)
        if checks:
            # "I have it enabled, it worked until yesterday": the answer's other causes
            # remain, and its check tells them apart (the model list for a missing model).
            how = "this check tells which one it is" if code else "go through its steps in order"
            return _recap(w, card, f"If that is so, the other causes in my answer above "
                          f"(\u201c{_shorten(given_as)}\u201d) remain; {how}:\n\n{checks}")
    named = providers_named(w.message[:300])
    switched = False  # the lead is a card about the provider or language the follow-up names
    wanted_languages = languages_said(w.message[:300])
    if retriever is not None and not named and wanted_languages and not (
            code_languages(card.answer) & wanted_languages):
        # "and in node?" after an answer whose code is Python: the answer's own question,
        # asked in that language, ranks the cards with code in it (Claude's call in Node,
        # not Node's missing fetch).
        wider, _ = retriever.search(f"{card.questions[0]} {w.message[:200]}", w.turn.lab.id,
                                    limit=12, implied=sorted(_conversation_providers(w)),
                                    languages=wanted_languages)
        about = [m for m in wider if m.doc.kind == "card" and m.closeness >= FAIR
                 and code_languages(m.doc.card.answer) & wanted_languages
                 and not w.answered_before(m.doc.card)]
        fresh = about + [m for m in fresh if m not in about]
        switched = bool(about)
    if named:
        # "what about for Claude?": the closest card about that provider comes first.
        about = [m for m in fresh if providers_about(m.doc.key) & named]
        if retriever is not None and not providers_about(given.doc.key) & named:
            # The answer's own question, asked of that provider, ranks them ("does this
            # work with claude too?" after the JSON answer: Claude's structured output, not
            # whichever Claude card sounds most like "does this work").
            wider, _ = retriever.search(f"{card.questions[0]} {w.message[:200]}",
                                        w.turn.lab.id, limit=12)
            about = [m for m in wider if m.doc.kind == "card" and m.closeness >= FAIR
                     and providers_about(m.doc.key) & named
                     and not w.answered_before(m.doc.card)] or about
        fresh = about + [m for m in fresh if m not in about]
        switched = bool(about)
    elif _CODE_ASK.search(w.message[:300]):
        code = _code_blocks(card.answer)
        if code:
            # "can you show code?" after an answer that has it: the code, not another topic.
            w.parts.append("The code from my answer above:\n\n" + code)
            w.kind = "repeat"
            w.why_not = "the reply shows code from an earlier answer again"
            return []
        shared = set(card.objectives)
        with_code = [m for m in fresh if m.doc.card is not None and "```" in m.doc.card.answer
                     and shared & set(m.doc.card.objectives)]
        fresh = with_code + [m for m in fresh if m not in with_code]
    # "why?" asks about that answer itself: another card would change the subject.
    nearest = fresh[0] if fresh and not bare_ask(w.message) else None
    # Words the answer's own question already uses ("extension" for the extension card) are
    # its topic, not what the follow-up adds.
    topic = set(content_terms(" ".join(card.questions)))
    # Only the phrasing the earlier question was taken as: another phrasing's words ("how
    # many tokens is a page") may be just what the follow-up adds ("how many is a page?"
    # after "what is a token?").
    asked_as = set(content_terms(given_as))
    added = [t for t in added or () if t not in asked_as]
    lines = _lines_about(card.answer, added) if added and not switched else ""
    if not lines and not switched and retriever is not None and (
            nearest is None or given.strength >= nearest.strength + RECAP_LEAD):
        # The follow-up still reads as about that answer ("so how many tokens is a page
        # then?" after "what is a token?"): two of its new words, common ones too ("page",
        # "words"), in one line of the answer.
        earlier = w.follows or next((c for r, c in reversed(w.turn.history)
                                     if r in ("user", "learner")), "")
        before = asked_as | set(content_terms(earlier[:2000]))
        index = retriever.index
        # The question asked, not the thanks before it ("restarted vscode, works now! is
        # setx safe though?": "restarted" is not what the follow-up adds).
        said = _asked_part(w, whole=True)
        common = [t for t in dict.fromkeys(content_terms(said[:2000])) if t not in before
                  and index.idf(t) >= FRESH_MIN_IDF and index.knows(t)]
        lines = _lines_about(card.answer, common, need=2) if len(common) >= 2 else ""
    if (lines and "```" not in lines and _CODE_ASK.search(w.message[:300])
            and retriever is not None):
        # "show me the code for json mode" after an answer that only names JSON mode in a
        # line: the card with that code, found by the follow-up alone, not the line again.
        alone, _ = retriever.search(without_framing(_asked_part(w)), w.turn.lab.id)
        with_code = next((m for m in alone if m.doc.card is not None and m.closeness >= FAIR
                          and "```" in m.doc.card.answer
                          and not w.answered_before(m.doc.card)), None)
        if with_code is not None:
            w.notes = [n for n in w.notes if not n.startswith(_READ_WITH)]
            return [with_code, *(m for m in fresh if m is not with_code)]
    if lines and (nearest is None or nearest.strength < given.strength):
        # "what if it's a 500 instead?" after the table of statuses to retry: the rows of
        # that answer, not the next card over (which was about another SDK's retries).
        return _recap(w, card, f"My answer above covers that (\u201c{_shorten(given_as)}"
                      f"\u201d); the part that applies:\n\n{lines}")
    if nearest is not None and nearest.closeness >= FAIR and (
            switched or nearest.strength >= given.strength - REPEAT_GAP):
        following = nearest.doc.card
        assert following is not None
        w.notes.append(f"_My answer above covered \u201c{_shorten(given_as)}\u201d; "
                       "the next closest thing the notes have is \u201c"
                       f"{_shorten(shown_question(following, w.message))}\u201d:_")
        w.reading_said = True  # no "I took your question to be" line stacked under it
        return fresh
    if w.answering or w.continued:
        return fresh  # an answer to the tutor's own question: acknowledged further down
    own_words = content_terms(w.reading.focus if w.reading is not None else w.message)
    # Half the question's words at least: two common ones ("extension", "users") would
    # quote any paragraph of the answer.
    # And its rarest word the answer's own question does not use: "how do i authenticate
    # them" is not answered by a paragraph about the extension and its users.
    wanted = sorted(set(own_words))
    new_words = [t for t in wanted if t not in topic]
    rarest = max(new_words, key=retriever.index.idf) if new_words and retriever is not None \
        else ""
    lines = _lines_about(card.answer, wanted, need=max(2, (len(wanted) + 1) // 2),
                         must=rarest) if len(wanted) >= 2 else ""
    if lines:
        # "do i need to add the assistant reply to history too?" after the message-order
        # answer: the lines of it that say so, not "nothing more specific".
        return _recap(w, card, f"My answer above covers that (\u201c{_shorten(given_as)}"
                      f"\u201d); the part that applies:\n\n{lines}")
    w.parts.append(
        f"That is what my answer above covers (*\u201c{_shorten(given_as)}\u201d*), "
        "and the notes have nothing more specific for this. Ask about the part you want "
        "to go deeper on, or one of these:")
    near = [c for c in closest_cards([m for m in own if m is not given], other)
            if not w.answered_before(c)]
    w.parts.extend(_fold(f"\u201c{_shorten(c.questions[0])}\u201d", c, course)
                   for c in near)
    w.kind = "repeat"
    w.why_not = "the reply would only repeat an earlier answer"
    return []


REPORT_CARD = 0.85  # a card this close to "it still fails" written alone was made for it
RECAP_MIN_IDF = 2.5  # a word in at most about 10% of the documents: specific enough to quote on
RECAP_LEAD = 0.15  # the answer given leads the next card by this much: the follow-up is about it
RECAP_MAX_LINES = 4


def _recap(w: Draft, card: Card, text: str) -> list[Match]:
    """Answer a follow-up from the answer already given (``recap``: help, but its topic
    counted when that answer was given); ``[]`` for ``_not_again``."""
    w.parts.append(text)
    w.kind = "recap"
    w.card = card
    w.on_lab_topic = True
    w.reading_said = True  # no "I took your question to be" line stacked under it
    return []


def _lines_about(answer: str, terms: list[str], need: int = 1, must: str = "") -> str:
    """The parts of a card's answer that use ``need`` of ``terms`` (stems), outside code, as
    Markdown to quote: a list item or paragraph whole (wrapped lines joined), a table cell
    with its column's heading ("500, 502, 503: **retry (with backoff)**"); at most
    ``RECAP_MAX_LINES``, and "" when none or when so many do that quoting is no better than
    the answer itself. A part must use ``need`` of the terms, and ``must`` when given."""
    wanted = set(terms)

    def about(text: str) -> bool:
        used = set(content_terms(_POSSESSIVE.sub("", text)))
        return len(wanted & used) >= need and (not must or must in used)

    units: list[str] = []  # paragraphs and list items, wrapped lines joined
    picked: list[str] = []
    heading: list[str] = []  # the cells of the current table's first row
    in_code = False
    for line in answer.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        if not stripped.startswith("|"):
            heading = []
            if not stripped:
                units.append("")
            elif _ITEM_START.match(stripped) or not units or not units[-1]:
                units.append(stripped)
            else:
                units[-1] += " " + stripped
            continue
        cells = [c.strip() for c in stripped.strip("|").split("|")]
        if not heading:
            heading = cells
            continue
        if all(set(c) <= set("-: ") for c in cells):
            continue  # the separator row
        for n, cell in enumerate(cells):
            if cell and about(cell):
                column = heading[n] if n < len(heading) else ""
                picked.append(f"- {cell}" + (f": **{column}**" if column else ""))
    for unit in units:
        if unit and about(unit) and len(unit) <= RECAP_UNIT_CHARS:
            picked.append(unit if _ITEM_START.match(unit) else f"> {unit}")
    if not picked or len(picked) > RECAP_MAX_LINES:
        return ""
    return "\n".join(picked)


_POSSESSIVE = re.compile(r"['\u2019]s\b")  # "the assistant's reply" uses "assistant"
_ITEM_START = re.compile(r"^(?:[-*]|\d{1,2}[.)])\s")
RECAP_UNIT_CHARS = 600  # a longer paragraph is the answer itself, not a part of it


# "write me a python function that reverses a string": programming, but not this course's;
# an off-topic redirect, not "I don't know" with closest questions that look like answers.
_GENERAL_CODE = re.compile(
    r"\b(?:write|code|make|create|build|give me|implement)\b(?: me| us)?(?: an?| some| the)?"
    r"(?: \w+){0,2} (?:function|script|program|algorithm|class|regex|sql query|loop|game)\b",
    re.I)
_AI_WORDS = re.compile(
    r"\b(?:api|apis|ai|llm|llms|model|models|gpt\w*|claude|gemini|openai|anthropic|prompts?|"
    r"tokens?|keys?|chat\w*|completions?|retr\w*|rate|backoff|stream\w*|json|embedding\w*|"
    r"cost|price|429|503)\b", re.I)


# "ab-status-429", "ab-azure-401-key": a card about one HTTP status, by its id.
_STATUS_CARD = re.compile(r"-(?:status-)?([1-5]\d\d)(?=-|$)")


def _other_status(match: Match, statuses: set[int]) -> bool:
    """A card about one HTTP status when the message names only others ("401" pasted under
    a "404 Error" title is not a question about 422)."""
    found = _STATUS_CARD.search(match.doc.card.id) if match.doc.card is not None else None
    return bool(found and statuses and int(found.group(1)) not in statuses)


# A card that defines a term: every question it answers is "what is ...?".
_DEFINITION = re.compile(r"^\s*what(?:'s| is| are| do| does)\b", re.I)
DETAILED_WORDS = 30


def _alternatives(w: Draft, cards: list[Match], best: Match, course: Course) -> None:
    """Cards about as close as the answer, in full but folded under it.

    On questions the tutor has never seen, its scores do not tell the right card from a
    plausible neighbour: measured on the held-out split, about half of its confident
    answers were the right card whatever the margin to the runner-up. So when one or two
    other cards are nearly as close, each follows the answer as a folded section named by
    the question it answers ("If you meant ..."): the learner reads the best guess first
    and opens another only when the first one missed. The page folds them (a ``details``
    container, see ``apilab.web.templating``); ``apilab ask`` prints them under the same
    heading. They add no objectives: a folded answer may never be read.
    """
    if w.card is None:
        return
    detailed = len(w.message.split()) > DETAILED_WORDS
    skipped = 0  # definition cards passed over: the window reaches that much further
    for i, other in enumerate(cards[1:1 + ALSO_MAX + 1], 1):
        if i > ALSO_MAX + skipped:
            break
        card = other.doc.card
        if (card is None or other.closeness < ALSO_MIN or card.id == w.card.id
                or other.strength < best.strength - ALSO_GAP):
            continue
        if detailed and all(_DEFINITION.match(q) for q in card.questions):
            # "what is a rate limit?" is not what someone meant who described their 429s
            # in sixty words; it would crowd out a specific neighbour (the next one over).
            skipped += 1
            continue
        # The card's own first question: it names what the folded answer opens with.
        title = _shorten(card.questions[0])
        w.parts.append(_fold(f"If you meant \u201c{title}\u201d", card, course))
        w.alternatives.append(card.id)
    if w.alternatives and not w.understood and not _computed(w):
        # Say which reading was answered, so "If you meant ..." below reads as the others.
        w.understood = shown_question(w.card, w.message)


def _fold(title: str, card: Card, course: Course) -> str:
    """A card's whole answer and sources as a folded section titled ``title``."""
    body = card.answer.strip()
    sources = card_sources(course, card)
    if sources:
        body += f"\n\n_Sources: {sources}._"
    return fold(title, body)


# Chosen on the dev split with rounds 6-10 (114 fresh questions) as the check: a second
# card's first paragraph (the earlier gist) 56 passed, one card in full 68, two in full 74;
# held-out was run once afterwards (docs/tutor.md).
ALSO_MAX = 2
ALSO_GAP = 0.25
ALSO_MIN = 0.40


@dataclasses.dataclass(frozen=True)
class Uncovered:
    """A topic this course does not teach (``rules/out_of_scope.yaml``)."""

    id: str
    topic: str
    patterns: tuple[re.Pattern[str], ...]
    pointer: str
    source: str


@functools.cache
def _uncovered_topics() -> tuple[Uncovered, ...]:
    import yaml

    path = resources.files("apilab.assistant.offline") / "rules" / "out_of_scope.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(Uncovered(e["id"], e["topic"], tuple(re.compile(p, re.I) for p in e["patterns"]),
                           " ".join(e["pointer"].split()), e["source"]) for e in raw)


def _card_covers(match: Match, topic: Uncovered) -> bool:
    """Whether a card's own questions name the topic (then it is the course's answer)."""
    card = match.doc.card
    if card is None:
        return False
    said = " ".join(card.questions)[:4000]
    return any(p.search(said) for p in topic.patterns)


def out_of_scope(said: str) -> Uncovered | None:
    """The topic outside the course that the learner's words name, if any."""
    head = said[:2000]
    return next((u for u in _uncovered_topics() if any(p.search(head) for p in u.patterns)),
                None)


def _grounded(match: Match, w: Draft) -> bool:
    """A middling match also needs the learner's own words in the card, or a close meaning.

    Static embeddings rate any sentence about "the API" as somewhat similar to every
    card; a question whose distinctive words appear nowhere in the card ("the flux
    capacitor's quantum requests") is not answered by it.
    """
    if match.semantic >= SURE_MEANING:
        return True
    # One shared word out of several is a coincidence ("what's the capital of australia"
    # found the card on "NEVER in capital letters"), not an answer.
    if len(match.hit.matched) < 2 and len(set(content_terms(w.focus))) >= 2:
        return False
    return match.lexical >= MIN_WORDS


MIN_WORDS = 0.15
SURE_MEANING = 0.62


def closest_cards(own: list[Match], other: list[Match], limit: int = 3) -> list[Card]:
    """The cards nearest the question, this lab's first, one per first phrasing."""
    out: list[Card] = []
    for m in [*own, *other]:
        card = m.doc.card
        if (card is not None and m.closeness > 0.1
                and all(card.questions[0] != c.questions[0] for c in out)):
            out.append(card)
        if len(out) >= limit:
            break
    return out


_LEANS_BACK = re.compile(
    r"^\W{0,3}(?:(?:and|so|but|also)\s{1,3})?(?:(?:is|was|does|did|can|could|should|will|would|"
    r"do|are)\s{1,3}(?:it|that|this|they|those|these)\b|(?:why|how)\s{1,3}(?:is|does|did)\s{1,3}"
    r"(?:it|that|this)\b)", re.I)


def _answer_parts(w: Draft, retriever: Retriever) -> bool:
    """Answer "What is RPM? And how does jitter help?" part by part, if each part is clear."""
    reading = w.reading
    if reading is None or w.parts:
        return False
    questions = [q for q in (reading.lead, *reading.questions) if q and is_question(q)]
    if len(questions) < 2:
        return False
    chosen: list[tuple[str, Match]] = []
    for question in questions[:MAX_PARTS + 1]:
        if len(question.split()) < 2 or _LEANS_BACK.match(question):
            # "what's jitter?" is a part; "why?" is not, nor "is that my fault?" (about the
            # question before it, answered with it).
            continue
        own, _ = retriever.search(question, w.turn.lab.id)
        ranked = [m for m in own if m.doc.kind == "card"]
        best = ranked[0] if ranked else None
        if best is None or best.closeness < GOOD:
            continue
        if len(ranked) > 1 and ranked[1].strength > best.strength - PART_MARGIN:
            continue
        if any(best.doc.key == m.doc.key for _, m in chosen):
            continue
        chosen.append((question, best))
    if len(chosen) < 2:
        return False
    # One topic asked several ways ("Where is my key stored? Why is settings.json bad?")
    # is answered by the card that fits the whole message better than any part's does.
    whole = next((m for m in w.matches if m.doc.kind == "card"), None)
    # ... unless two parts each have a card of their own that fits as well ("will openai
    # refund that? and how could it leak?": the refund card and the leak-routes card).
    others = [m for _, m in chosen if whole is None or m.doc.key != whole.doc.key]
    if whole is not None and whole.closeness >= GOOD and all(
            whole.closeness >= m.closeness for _, m in chosen) and not any(
            m.closeness >= PART_OWN for m in others):
        return False
    for question, match in chosen[:MAX_PARTS]:
        card = match.doc.card
        assert card is not None
        w.parts.append(f"**\u201c{_shorten(question)}\u201d**\n\n{card.answer.strip()}")
        w.add_objectives(card.objectives)
    w.card = chosen[0][1].doc.card
    last = chosen[min(len(chosen), MAX_PARTS) - 1][1].doc.card
    assert last is not None
    w.follow_up = last.follow_up.strip()
    w.kind = "multi"
    w.on_lab_topic = True
    return True


def _answer_card(w: Draft, match: Match, course: Course, *, hedge: bool = False,
                 foreign: bool = False) -> None:
    card = match.doc.card
    assert card is not None
    computed = _computed(w)
    if computed and hedge:
        # The learner's own numbers answered; a card that only half fits would add its
        # sources and its "Next:" about some other topic (image tokens under a ticket total).
        if not foreign:
            w.add_objectives(card.objectives)
        return
    w.card = card
    w.kind = "hedged" if hedge else "answer"
    # After a calculation the learner's own numbers are the reading; the card's question
    # ("How much do 2 million input tokens ... cost?") would name some other job's.
    if (hedge or _wordy(w.focus)) and not computed:
        w.understood = shown_question(card, w.message)
    # After a calculation, keep only the card's explanation: its own worked example would
    # be numbers about some other job.
    # ("show me the code with backoff pls": the card's code is what was asked, whatever was
    # worked out beside it.)
    code_asked = bool(_CODE_ASK.search(w.message[:300])) and "```" in card.answer
    extra = explanation(card.answer, shown="\n".join(w.parts)) if computed and not code_asked \
        else card.answer.strip()
    if not extra:
        return  # nothing of the card's own beside the result: no sources, no Next from it
    w.parts.append(extra)
    languages = _other_language(w.message, card.answer)
    if languages and not computed:
        language, shown = languages
        w.parts.append(f"_The code above is {shown}; in {language} the steps are the same with "
                       "its HTTP client or the provider's SDK for it: the same URL, headers and "
                       "JSON body go over the wire._")
    sources = card_sources(course, card)
    if sources:
        w.parts.append(f"_Sources: {sources}._")
    if not foreign:
        w.add_objectives(card.objectives)
    w.follow_up = card.follow_up.strip()


# A learner who names another language ("I'm a C# dev", "in Go, how do i ..."), and the
# name to use for it. Bounded alternatives, no nested repeats.
_LANGUAGES = (
    ("C#", r"c#|csharp|\.net\b|dotnet"),
    ("Go", r"golang|\bin go\b|\bgo (?:lang|language|developer|dev|code|client|sdk|http)\b"),
    ("Java", r"\bjava\b"), ("Kotlin", r"\bkotlin\b"), ("Rust", r"\brust\b"),
    ("Ruby", r"\bruby\b|\brails\b"), ("PHP", r"\bphp\b|\blaravel\b|\bwordpress\b"),
    ("Swift", r"\bswift\b"))
_LANGUAGE_RES = tuple((name, re.compile(pattern, re.I)) for name, pattern in _LANGUAGES)


def _other_language(message: str, answer: str) -> tuple[str, str] | None:
    """(the language the learner works in, the card's), when the card's code is only in
    Python or only in JavaScript and the learner named another one."""
    shown = ("Python" if "```python" in answer else
             "JavaScript" if re.search(r"```(?:js|javascript|ts|typescript)\b", answer) else "")
    if not shown:
        return None
    head = message[:1500]
    for name, pattern in _LANGUAGE_RES:
        if pattern.search(head) and f"```{name.lower()}" not in answer.lower():
            return name, shown
    return None


def _computed(w: Draft) -> bool:
    return any(t["name"] in ("estimate_cost", "backoff_schedule", "count_tokens")
               for t in w.tools)


# Specifics of a phrasing: numbers, quoted or backticked strings, identifiers
# (``NEXT_PUBLIC_OPENAI_API_KEY``, ``gpt-4o``). Each alternative is bounded.
_SPECIFIC = re.compile(
    r"\d[\d,.]{0,20}|'[^'\n]{1,60}'|`[^`\n]{1,60}`|\b[A-Z][A-Z0-9]{1,30}_[A-Z0-9_]{1,60}"
    r"|\b[a-z]{2,12}-\d[a-z0-9.-]{0,30}")


def _specifics(text: str) -> set[str]:
    return {m.group(0).strip("'`").lower().rstrip(".,") for m in _SPECIFIC.finditer(text[:4000])}


def shown_question(card: Card, message: str) -> str:
    """The card's phrasing to show as the reading line: the first whose numbers, quoted
    strings and identifiers the learner also wrote. A learner with a 128,000-token error
    read "I took your question to be: ... maximum context length is 8192 tokens" as the
    tutor misreading them; then the first phrasing with no specifics at all."""
    have = _specifics(message)
    fitting = [q for q in card.questions if _specifics(q) <= have] or [card.questions[0]]
    # Nor a provider the learner did not name: a Gemini learner was "taken to ask" about
    # Claude because the card's first phrasing said so.
    named = providers_named(message[:2000])
    if named:
        match = next((q for q in fitting if providers_named(q) & named), None)
        if match is not None:
            return match
    allowed = named or frozenset({"openai"})  # a message naming none is OpenAI's, as in retrieval
    return next((q for q in fitting if providers_named(q) <= allowed), fitting[0])


def _wordy(text: str) -> bool:
    """A long message (backstory, several sentences): say what we took it to ask."""
    return len(text.split()) > 14 or not is_question(text)


def _shorten(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def card_sources(course: Course, card: Card) -> str:
    """The card's sources as "title (date)", from its lab's lesson (at most two)."""
    if not card.sources:
        return ""
    try:
        lesson = course.lesson_for_lab(card.lab)
    except Exception:  # noqa: BLE001 - a card with a broken source id only loses the line
        return ""
    by_id = {src.id: src for src in lesson.sources}
    named = []
    for source_id in card.sources[:2]:
        src = by_id.get(source_id)
        if src is not None:
            named.append(f"{src.title} ({src.date})" if src.date else src.title)
    return "; ".join(named)


# After a computed result, a card paragraph with a number of its own is some other job's
# worked example ("The cap (30 s) would first bite at retry 6" under a base-0.5/cap-8
# table). HTTP statuses ("never retry 400/401") and years ("reported in 2025") are the same
# whatever the learner's numbers.
_NUMBER = re.compile(r"(?<![\w.-])\d+(?:[.,]\d+)*(?![\w-])")
_STATUS = re.compile(r"[1-5]\d\d|(?:19|20)\d\d")
_NUMBERED = re.compile(r"\$\s?\d|\d[\d,.]*\s*(?:k|m|million|tokens?)\b", re.I)  # "$5", "2M"
# "Ask me with your own numbers and I will compute ...": done already.
_OFFER = re.compile(r"[^.!?]{0,200}\b(?:ask me|give me|tell me)\b[^.!?]{0,200}\bI(?:'ll| will)"
                    r"\s+(?:compute|calculate|work out)[^.!?]{0,200}[.!?]?", re.I)
_WORD = re.compile(r"[a-z][a-z0-9_-]{3,}")
REPEATS = 0.6  # share of a paragraph's words already in the tool's output: a repeat


def explanation(answer: str, limit: int = 2, shown: str = "") -> str:
    """The card's prose without tables, code, lists or worked figures of its own.

    Read line by line so a fenced block with blank lines inside is dropped whole, never
    cut into a stray closing fence; a paragraph mostly saying what ``shown`` (the tool's
    output) already says is dropped too.
    """
    shown_words = set(_WORD.findall(shown.lower()))
    keep = []
    for para in _paragraphs(answer):
        text = _OFFER.sub("", para).strip()
        if (not text or text.startswith(("|", "- ", "* ", "1."))
                or text.rstrip().endswith(":") or "\n|" in text or _NUMBERED.search(text)
                or any(not _STATUS.fullmatch(n) for n in _NUMBER.findall(text))):
            continue
        words = set(_WORD.findall(text.lower()))
        if shown_words and words and len(words & shown_words) >= REPEATS * len(words):
            continue
        keep.append(text)
    return "\n\n".join(keep[-limit:])


def _paragraphs(answer: str) -> list[str]:
    """Prose paragraphs of ``answer``, fenced blocks (and an unclosed fence's rest) left out."""
    out: list[str] = []
    lines: list[str] = []
    fence = ""
    for line in answer.strip().splitlines():
        mark = line.lstrip()[:3]
        if fence:
            if mark == fence:
                fence = ""
            continue
        if mark in ("```", "~~~"):
            fence = mark
            if lines:
                out.append("\n".join(lines))
                lines = []
            continue
        if line.strip():
            lines.append(line)
        elif lines:
            out.append("\n".join(lines))
            lines = []
    if lines:
        out.append("\n".join(lines))
    return out
