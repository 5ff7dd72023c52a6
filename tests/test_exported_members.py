"""Every public package declares a sorted ``__all__`` whose names exist."""

from __future__ import annotations

import importlib

import pytest

import apilab

PUBLIC_PACKAGES = ["apilab", "apilab.errors", "apilab.settings", "apilab.content",
                   "apilab.assistant", "apilab.storage"]


def test_top_level_all_is_sorted_and_small() -> None:
    assert list(apilab.__all__) == sorted(apilab.__all__)
    assert len(apilab.__all__) <= 10


@pytest.mark.parametrize("name", PUBLIC_PACKAGES)
def test_all_names_exist(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported, f"{name} has no __all__"
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names missing attributes: {missing}"
