"""The ``similar`` assertion's score, computed with no model and no network.

promptfoo's ``similar`` embeds both texts with a model API and compares the
cosine. apilab runs with no key, so the score is the mean of two cheap,
deterministic measures, each in [0, 1]:

- **lexical**: cosine of the two texts' word-count vectors (lowercased words
  and numbers), which rewards the same words, in any order;
- **static embedding**: cosine of mean-pooled static word embeddings (the
  WordLlama table the offline tutor already ships), which gives credit for
  related words ("refund" / "money back"), clipped at 0.

Without the embedding table only the lexical score is used. Measured figures
(tests/evals/test_similarity.py): the same sentence reordered 0.97, a close
paraphrase sharing most words 0.94, a paraphrase in other words ("refunds are
issued within 5 business days" / "we send your money back within five working
days") 0.43, unrelated text below 0.1. The default threshold is promptfoo's,
0.75, which passes rewordings but not paraphrases in other words: set
``threshold`` (0.4 is a fair start) when that is what you mean.
"""

from __future__ import annotations

import math
import re
from collections import Counter

__all__ = ["DEFAULT_THRESHOLD", "lexical", "similarity"]

DEFAULT_THRESHOLD = 0.75
_WORD = re.compile(r"[a-z0-9]+")
_MAX_CHARS = 20_000


def lexical(a: str, b: str) -> float:
    """Cosine similarity of word-count vectors."""
    ca = Counter(_WORD.findall(a[:_MAX_CHARS].lower()))
    cb = Counter(_WORD.findall(b[:_MAX_CHARS].lower()))
    if not ca or not cb:
        return 1.0 if not ca and not cb else 0.0
    dot = sum(n * cb[w] for w, n in ca.items())
    return dot / (math.sqrt(sum(n * n for n in ca.values()))
                  * math.sqrt(sum(n * n for n in cb.values())))


def _semantic(a: str, b: str) -> float | None:
    from apilab.assistant.offline.semantic import embedder

    model = embedder()
    if model is None:
        return None
    va, vb = model.embed([a[:_MAX_CHARS], b[:_MAX_CHARS]])
    return max(0.0, float(va @ vb))


def similarity(a: str, b: str) -> float:
    """The documented similarity score of two texts, in [0, 1]."""
    lex = lexical(a, b)
    sem = _semantic(a, b)
    return lex if sem is None else (lex + sem) / 2
