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
at import. Pooling is the same mean over tokens, then L2-normalised.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Embedder", "embedder"]

_WEIGHTS = ("weights", "l2_supercat_256.safetensors")
_TOKENIZER = ("tokenizers", "l2_supercat_tokenizer_config.json")
_MAX_TOKENS = 256  # a question is short; a long paste is cut rather than averaged away


class Embedder:
    """Text -> unit vector (256 floats) by mean-pooling static token embeddings."""

    def __init__(self, table: np.ndarray, tokenizer: Any, fingerprint: str = "") -> None:
        import numpy as np

        self._np = np
        # Which model files these vectors come from (the disk cache's key includes it).
        self.fingerprint = fingerprint
        self._table = table  # float16 rows, converted per lookup (half the memory)
        self._tokenizer = tokenizer
        self.dim = int(table.shape[1])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised row per text (a zero row for text with no tokens)."""
        np = self._np
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        limit = self._table.shape[0] - 1
        for row, text in enumerate(texts):
            # encode() per text: encode_batch's thread pool costs milliseconds for the
            # handful of short texts a message has.
            ids = self._tokenizer.encode(text[:4000], add_special_tokens=False).ids[:_MAX_TOKENS]
            if not ids:
                continue
            vec = self._table[np.clip(np.asarray(ids), 0, limit)].astype(np.float32).mean(axis=0)
            norm = float(np.linalg.norm(vec))
            if norm:
                out[row] = vec / norm
        return out



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
