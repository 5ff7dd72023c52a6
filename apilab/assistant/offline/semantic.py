"""Meaning-level matching for the offline tutor: static word embeddings shipped in a wheel.

BM25F matches words; learners use other words ("prompt hacking" for injection, "hide
my key in a Chrome extension" for keys in client-side code). A static embedding model
maps each token to a vector and averages them, so related wordings land close together
at a cost of microseconds per message, with no GPU and no download.

The vectors are WordLlama's ``l2_supercat`` 256-dimension table (token embeddings
distilled from Llama 2's, 32,000 tokens) and its tokenizer, both inside the PyPI wheel
``wordllama``. We read those two files directly instead of calling ``WordLlama.load()``:
that loader looks for the tokenizer in a folder the wheel does not have and then tries
to download it from Hugging Face, and its inference module configures the root logger
at import. Pooling is their mean over tokens, L2-normalised, blended with a mean
weighted by how rare each token is in the course (``Blend``).
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Blend", "Embedder", "embedder"]

_WEIGHTS = ("weights", "l2_supercat_256.safetensors")
_TOKENIZER = ("tokenizers", "l2_supercat_tokenizer_config.json")
_MAX_TOKENS = 256  # a question is short; a long paste is cut rather than averaged away
SIF_SMOOTHING = 1e-3  # SIF's a: a token much more frequent in the course than this weighs little


class Embedder:
    """Text -> unit vector (256 floats) by pooling static token embeddings.

    The shared embedder pools with a plain mean; ``weighted`` derives one that pools the
    SIF way (see ``Blend``).
    """

    def __init__(self, table: np.ndarray, tokenizer: Any, fingerprint: str = "",
                 weights: np.ndarray | None = None, common: np.ndarray | None = None) -> None:
        import numpy as np

        self._np = np
        # Which model files (and corpus weighting) these vectors come from; the disk
        # cache's key includes it.
        self.fingerprint = fingerprint
        self._table = table  # float16 rows, converted per lookup (half the memory)
        self._tokenizer = tokenizer
        self._weights = weights  # per token id, or None for a plain mean
        self._common = common  # a unit vector taken out of every pooled vector, or None
        self.dim = int(table.shape[1])

    def token_ids(self, text: str) -> np.ndarray:
        # encode() per text: encode_batch's thread pool costs milliseconds for the handful
        # of short texts a message has.
        ids = self._tokenizer.encode(text[:4000], add_special_tokens=False).ids[:_MAX_TOKENS]
        return self._np.clip(self._np.asarray(ids, dtype=self._np.int64), 0,
                             self._table.shape[0] - 1)

    def pool(self, ids: Sequence[np.ndarray], *, normalise: bool = True) -> np.ndarray:
        """One L2-normalised row per token-id array (a zero row for an empty one)."""
        np = self._np
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        for row, index in enumerate(ids):
            if not len(index):
                continue
            vectors = self._table[index].astype(np.float32)
            if self._weights is None:
                out[row] = vectors.mean(axis=0)
            else:
                weights = self._weights[index]
                out[row] = (weights @ vectors) / max(float(weights.sum()), 1e-9)
        if self._common is not None:
            out -= np.outer(out @ self._common, self._common)
        if not normalise:
            return out
        norms = np.linalg.norm(out, axis=1)
        nonzero = norms > 0
        out[nonzero] /= norms[nonzero, None]
        return out

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised row per text (a zero row for text with no tokens)."""
        return self.pool([self.token_ids(text) for text in texts])

    def corpus_weighting(self, corpus: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """SIF token weights from ``corpus``, and the corpus's common direction."""
        np = self._np
        ids = [self.token_ids(text) for text in corpus]
        counts = np.bincount(np.concatenate([np.zeros(0, dtype=np.int64), *ids]),
                             minlength=self._table.shape[0]).astype(np.float64)
        frequency = counts / max(float(counts.sum()), 1.0)
        weights = (SIF_SMOOTHING / (SIF_SMOOTHING + frequency)).astype(np.float32)
        # The paper's weighted averages, before any normalising.
        pooled = Embedder(self._table, self._tokenizer, weights=weights).pool(
            ids, normalise=False)
        pooled = pooled[np.linalg.norm(pooled, axis=1) > 0]
        # The first right singular vector of the pooled corpus: the direction that every
        # text of the course shares.
        common = (np.linalg.svd(pooled, full_matrices=False)[2][0] if len(pooled)
                  else np.zeros(self.dim))
        return weights, common.astype(np.float32)

    def weighted(self, weights: np.ndarray, common: np.ndarray) -> Embedder:
        """This embedder pooling with ``weights`` and without the ``common`` direction."""
        digest = hashlib.sha256(weights.tobytes() + common.tobytes()).hexdigest()[:16]
        return Embedder(self._table, self._tokenizer, f"{self.fingerprint} sif:{digest}",
                        weights, common if float(self._np.abs(common).sum()) else None)


class Blend:
    """Two views of a text's meaning, averaged: the plain mean and the SIF-weighted one.

    SIF (Arora, Liang and Ma, "A Simple but Tough-to-Beat Baseline for Sentence
    Embeddings", ICLR 2017) weighs each token ``a / (a + p(token))``, with ``p`` its
    frequency in the course's own texts, and takes out the direction all of them share.
    Every card of this course says "API", "key" and "OpenAI"; with a plain mean those
    words made any question about keys about 0.7 similar to every key card, and a card
    could win on them alone ("export did not set my key" answered with project-scoped
    keys). Measured (docs/tutor.md): a held-back card phrasing finds its own card first
    0.309 (plain) / 0.330 (weighted) / 0.340 (this blend) of the time over the course's
    2,506 phrasings (``bench/tutor_paraphrase.py``), and the 27 fresh dev questions of
    round 5 got 10 / 14 helpful answers (plain / blend) before any tuning on them.

    Rows are ``[plain, SCALE * weighted]`` and queries ``[plain, weighted]``, so one
    matrix-vector product gives ``plain + SCALE * weighted``; ``similarity`` maps that
    back onto the plain view's cosine band (where the tutor's thresholds were set).
    """

    # The weighted view's cosines mapped onto the plain view's band: a straight-line fit
    # of sorted scores (600 phrasings against the course's documents: the median, the
    # 2nd and the 6th best), plain ~= 0.95 * weighted + 0.107.
    SCALE = 0.95
    OFFSET = 0.107

    def __init__(self, plain: Embedder, weighted: Embedder) -> None:
        self._plain = plain
        self._weighted = weighted
        self.dim = plain.dim + weighted.dim
        self.fingerprint = f"{weighted.fingerprint} blend:{self.SCALE}"

    def rows(self, texts: Sequence[str]) -> np.ndarray:
        """The index's rows for ``texts``."""
        return self._views(texts, self.SCALE)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors: ``rows @ query`` is ``plain + SCALE * weighted`` cosine."""
        return self._views(texts, 1.0)

    def _views(self, texts: Sequence[str], weighted_scale: float) -> np.ndarray:
        import numpy as np

        ids = [self._plain.token_ids(text) for text in texts]  # one tokenisation, two poolings
        return np.hstack([self._plain.pool(ids), weighted_scale * self._weighted.pool(ids)])

    def similarity(self, raw: np.ndarray) -> np.ndarray:
        """``rows @ query`` as one cosine on the plain view's band (in place)."""
        raw += self.OFFSET
        raw *= 0.5
        return raw


_LOCK = threading.Lock()


@functools.cache
def _load() -> Embedder | None:
    try:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer
    except ImportError:
        return None
    base = _wheel_folder()
    if base is None:
        return None
    weights = base.joinpath(*_WEIGHTS)
    tokenizer_file = base.joinpath(*_TOKENIZER)
    if not weights.is_file() or not tokenizer_file.is_file():
        return None
    _one_blas_thread()
    table = load_file(str(weights))["embedding.weight"]
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    stats = [weights.stat(), tokenizer_file.stat()]
    fingerprint = " ".join(f"{s.st_size}:{s.st_mtime_ns}" for s in stats)
    return Embedder(table, tokenizer, f"{weights} {fingerprint}")


def _one_blas_thread() -> None:
    """Let numpy's OpenBLAS use one thread in this process.

    The similarity product is a few matrix-vector products of about 0.7 M multiply-adds;
    OpenBLAS splits anything over ~9 K across its thread pool, and waking that pool on a
    busy 2-core server cost up to 10 ms per message (measured) where one thread takes
    under 0.1 ms. Nothing else in apilab does BLAS work large enough to gain from threads.
    threadpoolctl sets it at run time (the environment variable only works before numpy
    is imported, which an embedding application may already have done).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a declared dependency; only slower without it
        return
    threadpool_limits(limits=1, user_api="blas")


def _wheel_folder() -> Path | None:
    """The installed ``wordllama`` package's folder, found without importing it.

    ``importlib.resources.files("wordllama")`` would run the package's ``__init__``,
    which imports its inference stack: 0.15-0.4 s of an ``apilab ask`` for two data
    files we read ourselves.
    """
    import importlib.util

    try:
        spec = importlib.util.find_spec("wordllama")
    except (ImportError, ValueError):
        return None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    return Path(locations[0]) if locations else None


def embedder() -> Embedder | None:
    """The shared embedder, loaded once (about 0.2 s); ``None`` if the wheel is missing."""
    with _LOCK:
        return _load()
