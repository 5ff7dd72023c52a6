"""Retrieval over the answer cards and the lesson text: a small in-memory BM25F index.

Why hand-written rather than SQLite FTS5: the tutor must decide, per question,
whether it has a *good* answer or should say "I don't know" / redirect. That
needs per-term evidence - which of the learner's words matched, and in which
field (a card's question phrasings vs its answer) - and a confidence that is
comparable across questions. FTS5's ``bm25()`` is an opaque, query-dependent
number and its stemmer cannot be shared with our synonym and typo handling.
The corpus is a few hundred short documents, so a Python inverted index answers
in well under a millisecond and builds in a few milliseconds.

Scoring: BM25F (k1=1.2, b=0.75) over weighted fields, then two explainable
signals: ``coverage`` (share of the learner's term weight, by IDF, found in the
document) and ``question_match`` (the same share against the card's best
question phrasing). ``confidence`` combines them; the tutor's thresholds are in
``tutor.py``.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from apilab.assistant.offline.text import (
    content_terms,
    correct,
    expand,
    has_synonyms,
    stem,
)
from apilab.content.models import Card, Course

__all__ = ["Doc", "Hit", "KnowledgeIndex", "Query"]

K1 = 1.2
B = 0.75
# Field weights: a card's question phrasings say best what it answers.
CARD_FIELDS = {"questions": 3.0, "keywords": 2.5, "answer": 1.0, "follow_up": 0.3}
LESSON_FIELDS = {"heading": 2.0, "body": 1.0}
# Fields whose words say what a document is *about*; a word found only in the body of
# a long answer is weaker evidence (it counts half towards coverage).
STRONG_FIELDS = {"questions", "keywords", "heading"}
WEAK_CREDIT = 0.5
SYNONYM_CREDIT = 0.7  # a learner word whose synonym (not itself) matched
CORRECTION_CREDIT = 0.7  # a misspelt word matched after correction
UNKNOWN_IDF_SHARE = 0.75
# Only the best BM25 candidates get the (slower) evidence scoring.
CANDIDATES = 16


@dataclasses.dataclass(frozen=True)
class Doc:
    """A retrievable unit: one answer card, or one passage of a lesson."""

    key: str  # "card:<id>" or "lesson:<lesson-id>#<n>"
    kind: str  # "card" | "lesson"
    lab: str
    title: str
    text: str
    card: Card | None = None
    objectives: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Query:
    """A learner message as weighted search terms."""

    terms: dict[str, float]  # stemmed term -> weight
    original: tuple[str, ...]  # the learner's own content terms (after typo correction)
    corrections: dict[str, str]
    unknown: tuple[str, ...]  # terms the course never uses
    synonyms: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Hit:
    """A scored document for a query."""

    doc: Doc
    score: float
    coverage: float
    question_match: float
    matched: tuple[str, ...]

    @property
    def confidence(self) -> float:
        """0-1: how well this document answers the learner's own words."""
        return max(self.coverage * 0.6 + self.question_match * 0.4, self.question_match * 0.9)

    def as_meta(self) -> dict[str, object]:
        return {"doc": self.doc.key, "lab": self.doc.lab, "score": round(self.score, 3),
                "confidence": round(self.confidence, 3), "matched": list(self.matched)}


def _lesson_passages(body: str) -> list[tuple[str, str]]:
    """(heading, passage) pairs: paragraphs under their heading, code kept with its prose."""
    passages: list[tuple[str, str]] = []
    heading = ""
    buf: list[str] = []

    def flush() -> None:
        text = "\n".join(buf).strip()
        if len(text) >= 60:
            passages.append((heading, text))
        buf.clear()

    in_code = False
    for line in body.splitlines():
        if line.startswith("```"):
            in_code = not in_code
            buf.append(line)
            continue
        if not in_code and re.match(r"#{1,4}\s", line):
            flush()
            heading = line.lstrip("#").strip()
            continue
        if not in_code and not line.strip():
            # A blank line ends a paragraph unless a code block follows it.
            if buf and not buf[-1].startswith("```") and len("\n".join(buf)) > 200:
                flush()
            elif buf:
                buf.append("")
            continue
        buf.append(line)
    flush()
    return passages


class KnowledgeIndex:
    """BM25F over cards and lesson passages of a course, with per-term evidence."""

    def __init__(self, docs: Iterable[tuple[Doc, dict[str, list[str]], dict[str, float]]],
                 stats: list[DocStats] | None = None) -> None:
        entries = list(docs)
        if stats is None:
            stats = [doc_stats(fields, weights) for _, fields, weights in entries]
        self.docs: list[Doc] = []
        self._tf: list[dict[str, float]] = []
        self._len: list[float] = []
        self._question_terms: list[list[tuple[set[str], float]]] = []
        self._all_terms: list[set[str]] = []
        self._strong_terms: list[set[str]] = []
        postings: dict[str, list[int]] = defaultdict(list)
        for (doc, _, _), (tf, strong, questions) in zip(entries, stats, strict=True):
            idx = len(self.docs)
            self.docs.append(doc)
            self._tf.append(tf)
            self._len.append(sum(tf.values()))
            self._all_terms.append(set(tf))
            self._strong_terms.append(set(strong))
            self._question_terms.append([(set(q), 0.0) for q in questions])
            for term in tf:
                postings[term].append(idx)
        self._postings = dict(postings)
        n = max(len(self.docs), 1)
        self._avg_len = (sum(self._len) / n) or 1.0
        self._idf = {
            t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in postings.items()
        }
        self._max_idf = max(self._idf.values(), default=1.0)
        self._norm = [K1 * (1 - B + B * length / self._avg_len) for length in self._len]
        # Each question phrasing with the IDF mass of its terms (for the length penalty).
        self._question_terms = [
            [(qterms, sum(self._idf[t] for t in qterms)) for qterms, _ in questions if qterms]
            for questions in self._question_terms
        ]
        by_initial: dict[str, list[str]] = defaultdict(list)
        for term in self._postings:
            if term.isalpha() and len(term) >= 4:
                by_initial[term[0]].append(term)
        self._by_initial = dict(by_initial)
        # Unstemmed course words too, so "jiter" can find "jitter".
        self.vocabulary = frozenset(self._postings)
        self._positions = {doc.key: i for i, doc in enumerate(self.docs)}
        self._shares: dict[str, list[tuple[int, float]]] = {}  # filled on first use

    # --- building --------------------------------------------------------------

    @classmethod
    def from_course(cls, course: Course) -> KnowledgeIndex:
        """Index every card and every lesson passage of ``course``."""
        entries: list[tuple[Doc, dict[str, list[str]], dict[str, float]]] = []
        for card in course.cards:
            doc = Doc(key=f"card:{card.id}", kind="card", lab=card.lab, title=card.questions[0],
                      text=card.answer, card=card, objectives=tuple(card.objectives))
            fields = {"questions": list(card.questions), "keywords": list(card.keywords),
                      "answer": [card.answer], "follow_up": [card.follow_up]}
            entries.append((doc, fields, CARD_FIELDS))
        for lesson in course.lessons:
            for n, (heading, passage) in enumerate(_lesson_passages(lesson.body)):
                doc = Doc(key=f"lesson:{lesson.id}#{n}", kind="lesson", lab=lesson.lab,
                          title=heading or lesson.title, text=passage)
                entries.append((doc, {"heading": [heading], "body": [passage]}, LESSON_FIELDS))
        return cls(entries, _cached_stats(entries))

    # --- querying --------------------------------------------------------------

    def idf(self, term: str) -> float:
        """IDF of a term; a word the course never uses weighs 3/4 of the rarest word.

        Not the full weight: learners add casual words ("stuff", "lol") that should
        not sink an otherwise clear question; not zero either, because a question
        made mostly of unknown words is off-topic.
        """
        return self._idf.get(term, UNKNOWN_IDF_SHARE * self._max_idf)

    def make_query(self, text: str, extra: Iterable[str] = ()) -> Query:
        """Terms of a learner message: typo-corrected, with synonym expansions.

        ``extra`` are words the message implies without saying (a pasted error's code
        stands for "context window"): they help ranking at a lower weight but do not
        count as the learner's own words for confidence.
        """
        original: list[str] = []
        corrections: dict[str, str] = {}
        unknown: list[str] = []
        for term in dict.fromkeys(content_terms(text)):
            if term in self._postings or has_synonyms(term):
                # A word the synonym table knows ("discord") is not a typo of a course word.
                original.append(term)
                continue
            fixed = correct(term, self._by_initial)
            if fixed is None and term.endswith("in") and len(term) >= 5:
                # Chat spelling drops the g: "cachin", "hittin", "streamin".
                dropped_g = stem(term + "g")
                fixed = dropped_g if dropped_g in self._postings else None
            if fixed:
                corrections[term] = fixed
                original.append(fixed)
            else:
                original.append(term)
                unknown.append(term)
        terms = {t: 1.0 for t in original}
        expansions, synonyms = expand(text, original)
        for term, weight in expansions.items():
            terms.setdefault(term, weight)
        for word in extra:
            for term in content_terms(word):
                terms.setdefault(term, 0.6)
        return Query(terms, tuple(original), corrections, tuple(unknown), synonyms)

    def scores(self, query: Query) -> dict[int, float]:
        """BM25F score of every document sharing a term with ``query``, by position."""
        return self._scores(query)

    def evidence(self, query: Query, candidates: list[tuple[int, float]]) -> list[Hit]:
        """Evidence (coverage, question match) for the given ``(position, score)`` pairs."""
        return self._hits(query, candidates, len(candidates))

    def positions_of(self, card_ids: Iterable[str]) -> list[int]:
        """Positions of the named cards that exist in this index."""
        return [self._positions[k] for k in (f"card:{c}" for c in card_ids)
                if k in self._positions]

    def knows(self, term: str) -> bool:
        """Whether any document uses ``term`` (a stem)."""
        return term in self._postings

    def mentions(self, position: int, terms: Iterable[str]) -> bool:
        """Whether the document at ``position`` uses any of ``terms`` (stems), in any field."""
        found = self._all_terms[position]
        return any(t in found for t in terms)

    def position(self, doc: Doc) -> int:
        """The position of ``doc`` in ``docs``."""
        return self._positions[doc.key]

    def _scores(self, query: Query) -> dict[int, float]:
        """BM25F score of every document sharing a term with ``query``."""
        scores: dict[int, float] = defaultdict(float)
        for term, weight in query.terms.items():
            idf = self._idf.get(term)
            if idf is None:
                continue
            if weight == 1.0:
                # The learner's own words (weight 1): each posting's share, computed once
                # per index with the same arithmetic, so the sums are bit-identical.
                for idx, share in self._unit_shares(term):
                    scores[idx] += share
                continue
            for idx in self._postings[term]:
                tf = self._tf[idx][term]
                scores[idx] += weight * idf * tf * (K1 + 1) / (tf + self._norm[idx])
        return scores

    def _unit_shares(self, term: str) -> list[tuple[int, float]]:
        found = self._shares.get(term)
        if found is None:
            idf = self._idf[term]
            found = []
            for idx in self._postings[term]:
                tf = self._tf[idx][term]
                found.append((idx, 1.0 * idf * tf * (K1 + 1) / (tf + self._norm[idx])))
            self._shares[term] = found
        return found

    def _hits(self, query: Query, candidates: list[tuple[int, float]], limit: int) -> list[Hit]:
        """Score evidence (coverage, question match) for the best BM25 candidates only."""
        corrected = set(query.corrections.values())
        # Per learner term: (term, idf, its synonyms, correction factor) - computed once.
        terms = [(t, self.idf(t), frozenset(query.synonyms.get(t, ())),
                  CORRECTION_CREDIT if t in corrected else 1.0) for t in query.original]
        denom = sum(idf for _, idf, _, _ in terms) or 1.0
        query_terms = query.terms
        hits = []
        for idx, score in candidates:
            found = self._all_terms[idx]
            strong = self._strong_terms[idx]
            covered = 0.0
            matched = []
            for term, idf, syns, factor in terms:
                if term in found:
                    matched.append(term)
                    covered += idf * factor * (1.0 if term in strong else WEAK_CREDIT)
                elif syns and not syns.isdisjoint(found):
                    weight = 1.0 if not syns.isdisjoint(strong) else WEAK_CREDIT
                    covered += idf * factor * SYNONYM_CREDIT * weight
            qmatch = 0.0
            for qterms, qsum in self._question_terms[idx]:
                inter = 0.0
                for term, idf, syns, factor in terms:
                    if term in qterms:
                        inter += idf * factor
                    elif syns and not syns.isdisjoint(qterms):
                        inter += idf * factor * SYNONYM_CREDIT
                if not inter:
                    continue
                # Penalise long phrasings that share one word with a short question.
                extra = qsum - sum(self._idf.get(t, 0.0) for t in qterms if t in query_terms)
                qmatch = max(qmatch, inter / (denom + 0.35 * extra))
            hits.append(Hit(self.docs[idx], score, covered / denom, qmatch, tuple(matched)))
        hits.sort(key=lambda h: (h.score * (0.35 + h.confidence)), reverse=True)
        return hits[:limit]

    def search(self, query: Query, *, lab: str | None = None, kind: str | None = None,
               limit: int = 5) -> list[Hit]:
        """Best documents for ``query``, optionally within one lab and/or one kind."""
        scores = self._scores(query)
        ranked = sorted(
            ((i, sc) for i, sc in scores.items()
             if (not lab or self.docs[i].lab == lab) and (not kind or self.docs[i].kind == kind)),
            key=lambda item: item[1], reverse=True,
        )
        return self._hits(query, ranked[:CANDIDATES], limit)

    def search_split(self, query: Query, lab: str, limit: int = 5) -> tuple[list[Hit], list[Hit]]:
        """``(hits in lab, hits in the other labs)`` from one scoring pass."""
        scores = self._scores(query)
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
        own = [item for item in ranked if self.docs[item[0]].lab == lab][:CANDIDATES]
        other = [item for item in ranked if self.docs[item[0]].lab != lab][: CANDIDATES // 2]
        return self._hits(query, own, limit), self._hits(query, other, limit)


# Per document: term frequencies (field-weighted), the terms of its strong fields, and the
# terms of each question phrasing. Plain lists and dicts, so the disk cache can keep them.
DocStats = tuple[dict[str, float], list[str], list[list[str]]]


def doc_stats(fields: dict[str, list[str]], weights: dict[str, float]) -> DocStats:
    """Stem a document's fields (most of the work of building the index)."""
    tf: Counter[str] = Counter()
    strong: set[str] = set()
    for field, texts in fields.items():
        w = weights[field]
        for text in texts:
            for term in content_terms(text):
                tf[term] += w
                if field in STRONG_FIELDS:
                    strong.add(term)
    questions = [content_terms(q) for q in fields.get("questions", [])]
    return dict(tf), sorted(strong), questions


def _cached_stats(entries: list[tuple[Doc, dict[str, list[str]], dict[str, float]]]
                  ) -> list[DocStats]:
    """``doc_stats`` of every document, through the disk cache: keyed by the documents'
    texts and weights and by this module's and the stemmer's source."""
    import json
    from pathlib import Path

    from apilab.assistant.offline import text as text_module
    from apilab.content import diskcache

    key = diskcache.digest([Path(text_module.__file__).read_bytes(), Path(__file__).read_bytes(),
                            json.dumps([[f, w] for _, f, w in entries], sort_keys=True)])
    cached = diskcache.read_json("search-index", key)
    if isinstance(cached, list) and len(cached) == len(entries):
        return [(tf, strong, questions) for tf, strong, questions in cached]
    stats = [doc_stats(fields, weights) for _, fields, weights in entries]
    diskcache.write_json("search-index", key, stats)
    return stats
