"""Stage 3 of the offline tutor: find the cards and lesson passages that answer the question.

Two views of closeness, combined:

- **words** (``index.KnowledgeIndex``, BM25F): which of the learner's own words a card
  uses, and where (its question phrasings count most). Precise, explainable, blind to
  other wordings.
- **meaning** (``semantic.Embedder``): cosine similarity between the learner's question
  and each phrasing of a card, from static embeddings. Finds "prompt hacking" ->
  injection, "hide a key in a Chrome extension" -> keys in client-side code.

``closeness`` is what the answer policy reads (tutor thresholds are in ``decide.py``):
a card that both views agree on scores highest; one view alone can still carry a card
when it is strong. Confidence is computed on the learner's *question* (``Reading.focus``),
never on pasted material.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from apilab.assistant.offline import semantic
from apilab.assistant.offline.index import CANDIDATES, Doc, Hit, KnowledgeIndex
from apilab.assistant.offline.text import content_terms

if TYPE_CHECKING:
    import numpy as np

    from apilab.content.models import Course

__all__ = ["Match", "Retriever", "providers_about", "providers_named"]

# Cosine similarities of mean-pooled static embeddings sit between about 0.2 (unrelated
# English) and 0.8 (paraphrases); map that band onto 0-1.
SEM_FLOOR = 0.30
SEM_SPAN = 0.45
HINT_FLOOR = 0.6
HINT_MARGIN = 0.15  # a card the paste names yields only to one this much closer
SEM_REL_SPAN = 0.25
SEMANTIC_CANDIDATES = 12
# Below this meaning, shared words are a coincidence (see ``closeness``).
COINCIDENCE = 0.10
# How much a card loses for sharing fewer of the learner's words than the best word match
# on its side (``Match.word_share``). Chosen on the dev split with round 7's fresh questions:
# 15 -> 17 of 27 before any tuning on them, 322 -> 324 of 367 over all dev.
WORD_SHARE_WEIGHT = 0.1
# The same shortfall once more, for the order of the cards only (closeness, which the answer
# policy and the folds read, keeps 0.1). In near ties the meaning view picked the card the
# learner did not mean about half the time ("any way to limit the tokens of a response?" ->
# "What is a token?", not max_tokens, which shares twice the words). Chosen on dev (rounds
# 6-11, answer alone 63 -> 65 of 134), then round 12 (new) dev 7/8 either way; held-out
# was run once afterwards (docs/tutor.md).
ORDER_WORD_SHARE = 0.2


@dataclasses.dataclass(frozen=True)
class Match:
    """One document with its evidence from both views."""

    hit: Hit
    semantic: float  # best cosine between the question and the document's phrasings
    part_lexical: float = 0.0  # best word match against one sentence of the question
    typical: float = 0.0  # the median similarity of this question to every document
    hinted: bool = False  # a pasted error names this card's topic exactly (signals.yaml)
    # The card's BM25 score over the best candidate's on its side, 0-1 (1.0: the best).
    word_share: float = 1.0

    @property
    def doc(self) -> Doc:
        return self.hit.doc

    @property
    def lexical(self) -> float:
        # One clear sentence of a long message counts nearly as much as the whole.
        return max(self.hit.confidence, self.part_lexical * 0.9)

    @property
    def meaning(self) -> float:
        """The semantic similarity mapped to 0-1."""
        # Relative to how similar the question is to documents in general: every card of a
        # lab about keys is "somewhat similar" to any question about keys; what singles out
        # the answer is standing well above that level (and above the absolute floor).
        absolute = (self.semantic - SEM_FLOOR) / SEM_SPAN
        relative = (self.semantic - self.typical) / SEM_REL_SPAN
        return min(1.0, max(0.0, min(absolute, relative)))

    @property
    def closeness(self) -> float:
        """0-1: how surely this document answers the question (both views combined)."""
        return min(1.0, self.strength)

    @property
    def strength(self) -> float:
        """``closeness`` before its cap at 1.0: two strong cards are ranked by it, not tied."""
        lex, sem = self.lexical, self.meaning
        score = max(lex, sem) * 0.75 + min(lex, sem) * 0.45
        # ``lexical`` is the share of the learner's words a card covers: in a long message
        # every card covers a small share, so it barely tells cards apart, and meaning alone
        # decides ("does a failed request cost anything?" went to the quota card, which
        # shares 12 of its words, not to the failed-requests card sharing 19). Relative to
        # the best word match on the same side it does tell them apart.
        score -= WORD_SHARE_WEIGHT * (1.0 - self.word_share)
        if sem < COINCIDENCE:
            # Words in common but nothing in common in meaning ("capital of France" against
            # a card that uses it as an example): a coincidence, not an answer.
            score *= 0.8
        if self.hinted:
            # The learner pasted the very error this card is about: a generic status-code
            # card that shares more words must not win over it.
            score = max(score, HINT_FLOOR) + 0.1
        return score

    @property
    def order(self) -> float:
        """What cards are ranked by: ``strength``, less a further ``ORDER_WORD_SHARE`` for
        sharing fewer of the learner's words than the best word match."""
        return self.strength - ORDER_WORD_SHARE * (1.0 - self.word_share)

    def as_meta(self) -> dict[str, object]:
        meta = self.hit.as_meta()
        meta.update({"semantic": round(self.semantic, 3), "closeness": round(self.closeness, 3)})
        return meta


class Retriever:
    """Cards and lesson passages of a course, searchable by words and by meaning."""

    def __init__(self, course: Course, index: KnowledgeIndex | None = None) -> None:
        self.index = index or KnowledgeIndex.from_course(course)
        self._anchors = _anchors(self.index.docs)
        self._code_languages = {d.key: langs for d in self.index.docs if d.card is not None
                                and (langs := code_languages(d.card.answer))}
        plain = semantic.embedder()
        self._embedder: semantic.Blend | None = None
        self._vectors: np.ndarray | None = None
        self._projection: np.ndarray | None = None
        self._owner: list[int] = []
        if plain is not None:
            texts: list[str] = []
            for i, doc in enumerate(self.index.docs):
                for text in _phrasings(doc):
                    texts.append(text)
                    self._owner.append(i)
            # The texts are hashed once for both disk-cache keys (3,600 phrasings).
            texts_key = _texts_key(texts)
            self._embedder = semantic.Blend(plain, _cached_weighting(plain, texts, texts_key))
            import numpy as np

            # Rows and queries are projected onto the rows' top principal directions: the
            # product is the tutor's largest cost per message (compute-bound, about 0.5 ms
            # per text over 6,650 x 512 rows on one core, three times that once other
            # requests have pushed the rows out of the cache), and half the dimensions keep
            # 98.5% of the rows' energy (dev suite 334 -> 333 of 393).
            full = _cached_vectors(self._embedder, texts, texts_key)
            self._projection = _cached_projection(self._embedder, full, texts_key)
            self._vectors = np.ascontiguousarray(full @ self._projection)

            # Where each document's rows start (rows were appended in document order).
            starts = [i for i, owner in enumerate(self._owner)
                      if i == 0 or owner != self._owner[i - 1]]
            self._starts = np.asarray(starts)
            self._owners_with_rows = [self._owner[i] for i in starts]
            self._owner_array = np.asarray(self._owners_with_rows)
            self._doc_labs = np.asarray([self.index.docs[i].lab for i in self._owners_with_rows])
            # Documents without a phrasing row score 0.0 by meaning.
            self._zeros = np.zeros(len(self.index.docs), dtype=self._vectors.dtype)
            self._side_cache: dict[str, dict[bool, tuple[np.ndarray, np.ndarray]]] = {}

    def _semantic(self, texts: Sequence[str], lab: str) -> tuple[list[float] | None,
                                                               dict[bool, float],
                                                               dict[bool, list[int]]]:
        """Meaning scores for ``texts`` (the question, and each of its parts).

        Returns the best cosine per document (by position; ``None`` without embeddings),
        the median per side (this lab / the others), and each side's documents ranked by
        meaning (best first, a few).
        """
        # A one-sentence question is both the text and its only part: embed it once.
        texts = list(dict.fromkeys(t for t in texts if t.strip()))
        if (self._embedder is None or self._vectors is None or self._projection is None
                or not texts):
            return None, {True: 0.0, False: 0.0}, {True: [], False: []}
        import numpy as np

        # One matrix-vector product per text (BLAS gemv, limited to one thread when the
        # embedder loads; see semantic.py): about 240 us each over 6,650 projected rows,
        # where one (rows x dim) @ (dim x k) product for all the texts was slower (measured
        # 2026-12-04: 1.26 ms against 0.97 ms for two texts at 512 dimensions).
        vectors = self._vectors
        sims = None
        for query in self._embedder.embed(texts) @ self._projection:
            row = vectors @ query
            sims = row if sims is None else np.maximum(sims, row, out=sims)
        assert sims is not None
        sims = self._embedder.similarity(sims)
        # Rows are grouped by document, so one reduceat gives each document's best row.
        best = np.maximum.reduceat(sims, self._starts)
        typical = {}
        ranked = {}
        for side, (mask, owners) in self._sides(lab).items():
            values = best[mask]
            typical[side] = _median(values)
            top = np.argsort(values)[::-1][:SEMANTIC_CANDIDATES]
            ranked[side] = owners[top].tolist()
        by_position = self._zeros.copy()
        by_position[self._owner_array] = best
        return by_position.tolist(), typical, ranked

    def _sides(self, lab: str) -> dict[bool, tuple[np.ndarray, np.ndarray]]:
        """Per side (this lab, the others): the mask over documents with rows, and owners."""
        found = self._side_cache.get(lab)
        if found is None:
            in_lab = self._doc_labs == lab
            found = {side: (mask, self._owner_array[mask])
                     for side, mask in ((True, in_lab), (False, ~in_lab))}
            self._side_cache[lab] = found
        return found

    def _unanchored(self, doc: Doc, said: tuple[frozenset[str], str]) -> float:
        anchors = self._anchors.get(doc.key)
        if not anchors:
            return 0.0
        terms, squashed = said
        # "LM Studio" names the lmstudio card: the words run together count too.
        if anchors & terms or any(a in squashed for a in anchors):
            return 0.0
        return ANCHOR_PENALTY

    def _other_language(self, doc: Doc, languages: frozenset[str]) -> float:
        # Python is the course's language: with none named, a card whose code is all in
        # another one loses the tie too ("does this work with claude too?" after a JSON
        # question is not asking for TypeScript).
        shown = self._code_languages.get(doc.key)
        said = languages or _DEFAULT_LANGUAGE
        if not shown or shown & said:
            return 0.0
        # A card only in a language few learners use (Go, Ruby, PHP, C#, Java) answers only
        # someone who works in it: a Ruby learner gets the Python card and its note, not Go.
        return LANGUAGE_TIEBREAK if shown & _COMMON_LANGUAGES else RARE_LANGUAGE_PENALTY

    def _stale(self, doc: Doc, fresh: Sequence[str]) -> float:
        if not fresh or self.index.mentions(self.index.position(doc), fresh):
            return 0.0
        return FRESH_PENALTY

    def search(self, text: str, lab: str, *, extra: Sequence[str] = (),
               parts: Sequence[str] = (), hints: Sequence[str] = (),
               limit: int = 6, pasted: str = "", fresh: Sequence[str] = (),
               implied: Sequence[str] = (), languages: frozenset[str] = frozenset()
               ) -> tuple[list[Match], list[Match]]:
        """``(matches in lab, matches in the other labs)``, best first.

        ``text`` is the learner's question; ``parts`` its sentences, each also matched by
        meaning (a long message's one clear question is not averaged away); ``extra`` are
        words a pasted error stands for, which count as the learner's own; ``pasted`` is
        the pasted material, read only for the providers it names; ``fresh`` are the
        words a follow-up adds to the question it leans on (``text`` holds both), and a
        document using none of them loses a near tie; ``implied`` are words the
        conversation implies (its provider), which rank at a lower weight and do not
        count toward how much of the question a document covers.
        """
        full = " ".join([text, *extra]) if extra else text
        query = self.index.make_query(full, implied)
        scores = self.index.scores(query)
        sims, typical_by_side, ranked_by_side = self._semantic([full, *parts], lab)
        docs = self.index.docs

        # A sentence counts on its own only when it has some substance ("But I got this
        # error." would match every card that says "error").
        part_queries = [q for q in (self.index.make_query(p) for p in parts
                                    if p.strip() != text.strip()) if len(q.original) >= 3]
        own, other = [], []
        by_score = sorted(scores, key=scores.__getitem__, reverse=True)
        # The best word matches on each side, in one pass that stops once both are full.
        # Fewer candidates from the other labs: they only compete when far better.
        lexical_by_side: dict[bool, list[int]] = {True: [], False: []}
        wanted = {True: CANDIDATES, False: CANDIDATES // 2}
        for i in by_score:
            side = docs[i].lab == lab
            if len(lexical_by_side[side]) < wanted[side]:
                lexical_by_side[side].append(i)
                if all(len(lexical_by_side[k]) >= wanted[k] for k in (True, False)):
                    break
        # Providers the pasted material names count too: an OpenAI error body pasted under
        # "I just copied it from the dashboard??" is about OpenAI, not Gemini's bad-key card.
        named = providers_named(" ".join([text, *parts, *extra, pasted[:4000]]))
        spoken = " ".join([text, *extra, pasted[:4000]])
        said = (frozenset(content_terms(spoken)), re.sub(r"[\s_.-]+", "", spoken.lower()))
        for in_lab, bucket in ((True, own), (False, other)):
            typical = typical_by_side[in_lab]
            lexical = lexical_by_side[in_lab]
            meaning = ranked_by_side[in_lab][: SEMANTIC_CANDIDATES if in_lab else 6]
            hinted = [i for i in (self.index.positions_of(hints)) if (docs[i].lab == lab) == in_lab]
            candidates = list(dict.fromkeys([*hinted, *lexical, *meaning]))
            pairs = [(i, scores.get(i, 0.0)) for i in candidates]
            hits = self.index.evidence(query, pairs)
            best_part: dict[str, float] = {}
            for part_query in part_queries:
                for h in self.index.evidence(part_query, pairs):
                    best_part[h.doc.key] = max(best_part.get(h.doc.key, 0.0), h.confidence)
            hint_keys = {f"card:{c}" for c in hints}
            top_score = max((h.score for h in hits), default=0.0) or 1.0
            bucket.extend(Match(h, sims[self.index.position(h.doc)] if sims else 0.0,
                                best_part.get(h.doc.key, 0.0), typical,
                                h.doc.key in hint_keys, h.score / top_score) for h in hits)
            # A card the pasted error names exactly ranks first; closeness would otherwise
            # leave it tied with, or below, a card that merely sounds alike. The rest rank
            # by strength: two cards both at closeness's cap of 1.0 are not a tie.
            # Not when another card answers clearly better: "vllm: The model `X` does not
            # exist" names the generic model-not-found card, but the vLLM card is the answer.
            unhinted = max((m.closeness for m in bucket if not m.hinted), default=0.0)
            bucket.sort(key=lambda m: (m.hinted and m.closeness + HINT_MARGIN > unhinted,
                                       m.order - _provider_conflict(m.doc, named)
                                       - (self._unanchored(m.doc, said)
                                          if m.semantic < PHRASING_MATCH else 0.0)
                                       - self._stale(m.doc, fresh)
                                       - self._other_language(m.doc, languages)),
                        reverse=True)
            del bucket[limit:]
        return own, other


# Providers a card can be specifically about (its id names them) and the words a learner
# uses for each. A card about one provider's quirk ("rlc-openai-cache-not-hitting") loses
# a near tie to another card when the learner names only other providers ("Anthropic's
# prompt caching doesn't work"); the closeness itself, which the answer policy reads, is
# not changed.
_PROVIDER_WORDS = {
    "openai": ("openai", "chatgpt", "gpt-"), "anthropic": ("anthropic", "claude"),
    "gemini": ("gemini", "vertex", "google"), "azure": ("azure",),
    "bedrock": ("bedrock", "aws"), "ollama": ("ollama",), "deepseek": ("deepseek",),
    "mistral": ("mistral",), "openrouter": ("openrouter",), "groq": ("groq",),
    # Local servers and other platforms with cards of their own.
    "vllm": ("vllm",), "lmstudio": ("lm studio", "lmstudio", "lm-studio"),
    "llama-cpp": ("llama.cpp", "llama-cpp", "llama_cpp", "llama-server", "llama server"),
    "dashscope": ("dashscope", "qwen", "alibaba", "aliyun"), "xai": ("xai", "x.ai", "grok"),
}
# 0.05 until the tenth session: "401 invalid_api_key from openai" still went to Anthropic's
# x-api-key card; 0.1-0.2 all gave dev 416 -> 417. 0.4 since the thirteenth session: an
# OpenAI 429 with its x-ratelimit headers pasted went to the Groq headers card (dev
# unchanged at 418).
PROVIDER_TIEBREAK = 0.4
_DEFAULT_PROVIDER = frozenset({"openai"})
UNNAMED_PROVIDER_PENALTY = 0.3


# A card about one platform or tool ("ks-docker-inspect-env", "ks-fly-build-secrets") whose
# id names a word that is rare in the course loses a near tie when the learner never says
# that word: "How do you keep your API key secret?" went to docker inspect's card. The
# closeness the answer policy reads is not changed.
ANCHOR_PENALTY = 0.2
ANCHOR_MAX_CARDS = 6  # a word in at most this many cards' text is specific
# ...unless the learner said nearly one of the card's own phrasings: "what is an api key,
# really?" needs no "bearer" to mean the bearer-credential card.
PHRASING_MATCH = 0.9


# A card whose code is all in another language than the one the learner works in loses a
# near tie: a Node learner asking how to retry got the Python card, a Python learner asking
# about a proxy the Node one. The closeness the answer policy reads is not changed.
LANGUAGE_TIEBREAK = 0.15
RARE_LANGUAGE_PENALTY = 0.5
_COMMON_LANGUAGES = frozenset({"python", "js"})
_DEFAULT_LANGUAGE = frozenset({"python"})
_FENCE_LANGUAGE = re.compile(r"^[ \t]{0,4}```(python|py|js|javascript|ts|typescript|jsx|tsx|"
                             r"java|csharp|cs|go|ruby|php)\b", re.M)
_LANGUAGE_FAMILY = {"py": "python", "javascript": "js", "ts": "js", "typescript": "js",
                    "jsx": "js", "tsx": "js", "cs": "csharp"}
_LANGUAGES_SAID = {
    "python": re.compile(r"\bpython\b|\.py\b|\bpip install\b|\b(?:django|flask|fastapi|"
                         r"streamlit|jupyter|notebook|asyncio|pydantic)\b|^\s{0,8}def \w+\(",
                         re.I | re.M),
    "js": re.compile(r"\b(?:node(?:\.?js)?|javascript|typescript|express|next\.?js|react|"
                     r"deno|bun|npm|nestjs|vercel ai sdk)\b|\b(?:js|ts)\b|@anthropic-ai/sdk|"
                     r"\bopenai-node\b|\bpromise\.all\b|\brequire\(|=>|\bconst \w+ =", re.I),
    "java": re.compile(r"\b(?:java|spring(?: boot| ai)?|kotlin)\b", re.I),
    "csharp": re.compile(r"\b(?:c#|csharp|\.net|dotnet|asp\.net)(?!\w)", re.I),
    # A Laravel or WordPress learner is not helped by Python first either.
    "php": re.compile(r"\b(?:php|laravel|symfony|wordpress|wp_remote_post|composer require)\b",
                      re.I),
    "ruby": re.compile(r"\b(?:ruby|rails|sinatra|gemfile)\b", re.I),
    "go": re.compile(r"\b(?:golang|go (?:backend|server|service|app|code|sdk|program)|"
                     r"go get|go\.mod|in go)\b", re.I),
}


def code_languages(answer: str) -> frozenset[str]:
    """The language families of a card answer's code blocks ("python", "js", ...)."""
    found = (m.group(1).lower() for m in _FENCE_LANGUAGE.finditer(answer[:20000]))
    return frozenset(_LANGUAGE_FAMILY.get(lang, lang) for lang in found)


def languages_said(text: str) -> frozenset[str]:
    """The language families a learner's text says they work in."""
    # "no python pls": a language named to rule it out is not one they work in.
    head = _NOT_LANGUAGE.sub(" ", text[:4000])
    return frozenset(name for name, pattern in _LANGUAGES_SAID.items() if pattern.search(head))


_NOT_LANGUAGE = re.compile(r"\b(?:no|not|without|instead of|rather than)\s{1,3}(?:in\s{1,3})?"
                           r"(?:python|javascript|typescript|node|js|php|ruby|java)\b", re.I)


# A follow-up is matched together with the question it leans on ("where do I store my key
# in a react app?" + "but what if it's only for a demo?"), so the earlier words outweigh
# the new ones; a document that uses none of the new words loses a near tie. The closeness
# the answer policy reads is not changed.
FRESH_PENALTY = 0.15


def _anchors(docs: Sequence[Doc]) -> dict[str, frozenset[str]]:
    """For each card, the stems of the rare words its id names."""
    cards = [d for d in docs if d.kind == "card" and d.card is not None]
    texts = {d.key: set(content_terms(" ".join([*d.card.questions, d.card.answer])))
             for d in cards if d.card is not None}
    df: dict[str, int] = {}
    for terms in texts.values():
        for t in terms:
            df[t] = df.get(t, 0) + 1
    out: dict[str, frozenset[str]] = {}
    for d in cards:
        words = d.key.split(":", 1)[1].split("-")[1:]
        rare = frozenset(t for w in words for t in content_terms(w)
                         if len(w) >= 3 and 0 < df.get(t, 0) <= ANCHOR_MAX_CARDS
                         and t in texts[d.key])
        if rare:
            out[d.key] = rare
    return out


def providers_named(text: str) -> frozenset[str]:
    """The providers a message names (lower-case substring test; a few words)."""
    lowered = text.lower()
    return frozenset(p for p, words in _PROVIDER_WORDS.items()
                     if any(w in lowered for w in words))


@functools.cache
def providers_about(doc_key: str) -> frozenset[str]:
    """The providers a card's id names ("card:rlc-openai-cache-not-hitting" -> openai)."""
    name = f"-{doc_key.split(':', 1)[-1]}-"
    return frozenset(p for p, words in _PROVIDER_WORDS.items()
                     if any(f"-{alias}-" in name for alias in (p, *words)
                            if alias.replace("-", "").isalnum()))


def _provider_conflict(doc: Doc, named: frozenset[str]) -> float:
    # A message naming no provider is read as OpenAI's, the default of most tutorials and
    # SDKs: "what's temperature?" went to the Gemini 3 card, "least privilege" to xAI's.
    penalty = PROVIDER_TIEBREAK if named else UNNAMED_PROVIDER_PENALTY
    named = named or _DEFAULT_PROVIDER
    about = providers_about(doc.key)
    return penalty if about and not about & named else 0.0


def _median(values: np.ndarray) -> float:
    """``float(np.median(values))``, bit for bit, without np.median's per-call overhead
    (about 30 us a call; this runs twice per message)."""
    import numpy as np

    n = values.size
    if not n:
        return 0.0
    half = n // 2
    if n % 2:
        return float(np.partition(values, half)[half])
    part = np.partition(values, (half - 1, half))
    # np.median averages the two middle values in the array's dtype (float32 here).
    return float(np.mean(part[half - 1:half + 1]))


def _phrasings(doc: Doc) -> list[str]:
    """What a document is about, one text per row of the embedding matrix."""
    if doc.card is not None:
        card = doc.card
        lead = card.answer.strip().split("\n\n", 1)[0]
        return [*card.questions, " ".join(card.keywords), lead[:400]]
    return [f"{doc.title}. {doc.text[:300]}"]


def _texts_key(texts: list[str]) -> str:
    from apilab.content import diskcache

    return diskcache.digest(texts)


def _cache_key(fingerprint: str, texts_key: str) -> str:
    """Disk-cache key of data derived from the course's phrasings by this module's code
    and one model (its ``fingerprint``)."""
    from pathlib import Path

    from apilab.content import diskcache

    return diskcache.digest([Path(semantic.__file__).read_bytes(), fingerprint, texts_key])


def _cached_weighting(embedder: semantic.Embedder, texts: list[str],
                      texts_key: str) -> semantic.Embedder:
    """``embedder`` weighted by this course's texts (SIF), computed once per course."""
    from apilab.content import diskcache

    key = _cache_key(embedder.fingerprint, texts_key)
    weights = diskcache.read_array("sif-weights", key)
    common = diskcache.read_array("sif-common", key)
    if (weights is None or common is None or common.shape != (embedder.dim,)
            or weights.ndim != 1):
        weights, common = embedder.corpus_weighting(texts)
        diskcache.write_array("sif-weights", key, weights)
        diskcache.write_array("sif-common", key, common)
    return embedder.weighted(weights, common)


PROJECTED_DIMENSIONS = 256


def _cached_projection(embedder: semantic.Blend, vectors: np.ndarray,
                       texts_key: str) -> np.ndarray:
    """The rows' top ``PROJECTED_DIMENSIONS`` right singular vectors, as a (dim, k) matrix.

    Uncentred on purpose: what must survive the projection is each row's dot product with a
    query, not its distance from the mean row.
    """
    import numpy as np

    from apilab.content import diskcache

    key = _cache_key(embedder.fingerprint, texts_key)
    found = diskcache.read_array("card-projection", key)
    k = min(PROJECTED_DIMENSIONS, embedder.dim)
    if found is None or found.shape != (embedder.dim, k):
        _, _, right = np.linalg.svd(vectors.astype(np.float64), full_matrices=False)
        found = np.ascontiguousarray(right[:k].T.astype(np.float32))
        diskcache.write_array("card-projection", key, found)
    return found


def _cached_vectors(embedder: semantic.Blend, texts: list[str], texts_key: str) -> np.ndarray:
    """Every phrasing's row, computed once per course and model (disk cache)."""
    from apilab.content import diskcache

    key = _cache_key(embedder.fingerprint, texts_key)
    vectors = diskcache.read_array("card-vectors", key)
    if vectors is None or vectors.shape != (len(texts), embedder.dim):
        vectors = embedder.rows(texts)
        diskcache.write_array("card-vectors", key, vectors)
    return vectors
