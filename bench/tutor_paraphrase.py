"""Does a held-back phrasing of a card find its own card? The meaning view, on the course alone.

Every answer card lists 4-7 ways learners ask its question. Each phrasing in turn is held
back and used as a query against all the others (its card keeps its remaining phrasings,
keywords and lead): a good meaning view ranks the phrasing's own card first. Prints top-1
and mean reciprocal rank for the plain mean of token vectors, the SIF-weighted view and the
blend the tutor uses (``semantic.Blend``), all in one run. Needs no eval suite, so it is
safe to run while changing the tutor, and it grows with the course.

    .venv/bin/python bench/tutor_paraphrase.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from apilab.assistant.offline import semantic  # noqa: E402
from apilab.assistant.offline.index import KnowledgeIndex  # noqa: E402
from apilab.assistant.offline.retrieve import _phrasings  # noqa: E402
from apilab.content import load_course  # noqa: E402


def ranks(similarity: np.ndarray, owner: np.ndarray, queries: np.ndarray,
          documents: int) -> tuple[float, float]:
    """(top-1 share, mean reciprocal rank) of each query row's own document."""
    similarity = similarity.copy()
    np.fill_diagonal(similarity, -9.0)  # the held-back phrasing itself is not in the index
    top1 = reciprocal = 0.0
    for row in queries:
        best = np.full(documents, -9.0)
        np.maximum.at(best, owner, similarity[row])
        rank = int((best > best[owner[row]]).sum()) + 1
        top1 += rank == 1
        reciprocal += 1 / rank
    return top1 / len(queries), reciprocal / len(queries)


def main() -> int:
    index = KnowledgeIndex.from_course(load_course())
    texts: list[str] = []
    owner: list[int] = []
    is_question: list[bool] = []
    for position, doc in enumerate(index.docs):
        asked = len(doc.card.questions) if doc.card is not None else 0
        for k, text in enumerate(_phrasings(doc)):
            texts.append(text)
            owner.append(position)
            is_question.append(k < asked)
    plain = semantic.embedder()
    if plain is None:
        print("The wordllama wheel is not installed: no meaning view to measure.")
        return 1
    weighted = plain.weighted(*plain.corpus_weighting(texts))
    blend = semantic.Blend(plain, weighted)
    owners = np.asarray(owner)
    queries = np.flatnonzero(is_question)
    plain_rows, weighted_rows = plain.embed(texts), weighted.embed(texts)
    views = {
        "plain mean": plain_rows @ plain_rows.T,
        "SIF-weighted": weighted_rows @ weighted_rows.T,
        "blend (tutor)": blend.similarity(blend.rows(texts) @ blend.embed(texts).T),
    }
    print(f"{len(queries)} held-back phrasings, {len(index.docs)} documents")
    print(f"{'view':16s} {'top-1':>7s} {'MRR':>7s}")
    for name, similarity in views.items():
        top1, mrr = ranks(similarity, owners, queries, len(index.docs))
        print(f"{name:16s} {top1:7.3f} {mrr:7.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
