"""The derived-data disk cache: keyed by its inputs, rebuilt when corrupt, never code."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from apilab.content import diskcache, loader


@pytest.fixture
def cache(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("APILAB_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_round_trip_keeps_dates_and_drops_least_recently_used_entries(cache) -> None:  # type: ignore[no-untyped-def]
    import os

    data = {"asked": dt.date(2024, 3, 5), "at": dt.datetime(2024, 3, 5, 12, 0), "n": [1, "a"]}
    diskcache.write_json("thing", "k1", data)
    assert diskcache.read_json("thing", "k1") == data
    for n in range(2, diskcache.KEEP_PER_KIND + 1):
        diskcache.write_json("thing", f"k{n}", {"n": n})
    for n in range(1, diskcache.KEEP_PER_KIND + 1):  # k1 oldest ... k4 newest
        os.utime(cache / f"thing-k{n}.json", (1000 + n, 1000 + n))
    assert diskcache.read_json("thing", "k1") == data  # a read marks it used
    diskcache.write_json("thing", "new", {"n": 0})
    kept = sorted(p.name for p in cache.iterdir())
    assert len(kept) == diskcache.KEEP_PER_KIND
    assert "thing-new.json" in kept and "thing-k1.json" in kept
    assert "thing-k2.json" not in kept  # the least recently used went
    # Another kind is never touched.
    diskcache.write_json("other", "x", {})
    assert len(list(cache.glob("thing-*"))) == diskcache.KEEP_PER_KIND


def test_the_key_depends_on_every_part_and_its_boundaries() -> None:
    assert diskcache.digest(["ab", "c"]) != diskcache.digest(["a", "bc"])
    assert diskcache.digest(["a"]) == diskcache.digest([b"a"])
    assert diskcache.digest(["a"]) != diskcache.digest(["a", ""])


def test_a_corrupt_or_pickled_entry_is_ignored(cache) -> None:  # type: ignore[no-untyped-def]
    (cache / "thing-k.json").write_text("{not json")
    assert diskcache.read_json("thing", "k") is None
    # An object array would need pickle to load: refused, so the caller rebuilds.
    np.save(cache / "vec-k.npy", np.array([object()], dtype=object), allow_pickle=True)
    assert diskcache.read_array("vec", "k") is None
    diskcache.write_array("vec", "k", np.eye(2, dtype=np.float32))
    assert diskcache.read_array("vec", "k").tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_off_and_unwritable_mean_no_cache(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("APILAB_CACHE_DIR", "off")
    assert diskcache.cache_dir() is None
    diskcache.write_json("thing", "k", 1)
    assert diskcache.read_json("thing", "k") is None
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("APILAB_CACHE_DIR", str(blocker / "sub"))  # a path under a file
    diskcache.write_json("thing", "k", 1)  # no error
    assert diskcache.read_json("thing", "k") is None


def test_the_course_from_the_cache_equals_the_course_from_yaml(cache) -> None:  # type: ignore[no-untyped-def]
    fresh = loader._raw_course()
    assert list(cache.glob("course-*.json"))
    again = loader._raw_course()
    assert again == fresh
    # A tampered entry with another key is never read: the key is the files' digest.
    entry = next(cache.glob("course-*.json"))
    entry.rename(cache / "course-0000.json")
    assert loader._raw_course() == fresh


def test_an_edited_card_file_changes_the_key(cache, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    loader._raw_course()
    before = {p.name for p in cache.glob("course-*.json")}
    original_read = type(loader._root() / "labs.yaml").read_text

    def edited(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        text = original_read(self, *args, **kwargs)
        return text + "\n# edited\n" if self.name == "labs.yaml" else text

    monkeypatch.setattr(type(loader._root() / "labs.yaml"), "read_text", edited)
    loader._raw_course()
    after = {p.name for p in cache.glob("course-*.json")}
    assert after and after != before


def test_the_search_index_and_vectors_from_the_cache_equal_a_fresh_build(cache) -> None:  # type: ignore[no-untyped-def]
    from apilab.assistant.offline import semantic
    from apilab.assistant.offline.index import KnowledgeIndex
    from apilab.assistant.offline.retrieve import Retriever
    from apilab.content import load_course

    course = load_course()
    first, second = KnowledgeIndex.from_course(course), KnowledgeIndex.from_course(course)
    assert list(cache.glob("search-index-*.json"))
    assert first._tf == second._tf and first._question_terms == second._question_terms
    assert semantic.embedder() is not None  # wordllama is a declared dependency
    built, cached = Retriever(course, first), Retriever(course, second)
    assert list(cache.glob("card-vectors-*.npy"))
    assert np.array_equal(built._vectors, cached._vectors)
