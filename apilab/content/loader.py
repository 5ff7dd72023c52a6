"""Load the course from package data (never relative to the working directory).

Layout under ``apilab/content/course/``:

- ``lessons/NN-<lesson-id>.md``: YAML front matter (id, number, title, lab,
  summary, minutes, sources) then the Markdown body;
- ``labs.yaml``: a list of labs;
- ``cards/<lab-id>.yaml``: a list of answer cards for that lab.
"""

from __future__ import annotations

import functools
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import yaml

from apilab.content.models import Card, Course, Lab, Lesson

__all__ = ["LAB_IDS", "load_course"]

LAB_IDS = ("api-basics", "key-security", "rate-limits-cost", "production-prompts")


def _safe_load(text: str) -> Any:
    """``yaml.safe_load`` through libyaml when PyYAML has it (about 10x faster, same
    safe constructors): loading this package's data is on the CLI's start-up path."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _root() -> Traversable:
    return resources.files("apilab.content") / "course"


def _split_front_matter(text: str, name: str) -> tuple[dict[str, Any], str]:
    if not text.startswith("---\n"):
        raise ValueError(f"{name}: lesson files start with '---' YAML front matter")
    end = text.index("\n---\n", 4)
    meta = _safe_load(text[4:end]) or {}
    return meta, text[end + 5 :].lstrip("\n")


def _drop_leading_h1(body: str) -> str:
    """The page prints the front-matter title; a leading ``# Title`` would repeat it."""
    first, _, rest = body.partition("\n")
    return rest.lstrip("\n") if first.startswith("# ") else body


def _load_yaml_list(path: Traversable) -> list[dict[str, Any]]:
    data = _safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(data, list):
        raise ValueError(f"{path.name}: expected a YAML list")
    return data


@functools.cache
def load_course() -> Course:
    """Load and validate the whole course (cached for the process)."""
    root = _root()
    lessons = []
    lessons_dir = root / "lessons"
    for entry in sorted(lessons_dir.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".md"):
            meta, body = _split_front_matter(entry.read_text(encoding="utf-8"), entry.name)
            lessons.append(Lesson(**meta, body=_drop_leading_h1(body)))
    labs = [Lab(**item) for item in _load_yaml_list(root / "labs.yaml")]
    cards = []
    cards_dir = root / "cards"
    for entry in sorted(cards_dir.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            cards.extend(Card(**item) for item in _load_yaml_list(entry))
    lessons.sort(key=lambda lesson: lesson.number)
    return Course(lessons=lessons, labs=labs, cards=cards)
