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
from pathlib import Path
from typing import Any

import yaml

from apilab.content import diskcache
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


def _yaml_list(text: str, name: str) -> list[dict[str, Any]]:
    data = _safe_load(text) or []
    if not isinstance(data, list):
        raise ValueError(f"{name}: expected a YAML list")
    return data


@functools.cache
def load_course() -> Course:
    """Load and validate the whole course (cached for the process)."""
    raw = _raw_course()
    lessons = [Lesson(**meta, body=body) for meta, body in raw["lessons"]]
    labs = [Lab(**item) for item in raw["labs"]]
    cards = [Card(**item) for item in raw["cards"]]
    lessons.sort(key=lambda lesson: lesson.number)
    return Course(lessons=lessons, labs=labs, cards=cards)


def _raw_course() -> dict[str, Any]:
    """The course files parsed into plain data, through the disk cache (``diskcache``):
    YAML construction is most of ``load_course``'s time and the files rarely change."""
    root = _root()
    lesson_files = [(e.name, e.read_text(encoding="utf-8"))
                    for e in sorted((root / "lessons").iterdir(), key=lambda p: p.name)
                    if e.name.endswith(".md")]
    labs_text = (root / "labs.yaml").read_text(encoding="utf-8")
    card_files = [(e.name, e.read_text(encoding="utf-8"))
                  for e in sorted((root / "cards").iterdir(), key=lambda p: p.name)
                  if e.name.endswith(".yaml")]
    key = diskcache.digest([Path(__file__).read_bytes(), labs_text,
                            *(part for pair in lesson_files + card_files for part in pair)])
    cached = diskcache.read_json("course", key)
    if isinstance(cached, dict):
        return cached
    lessons = []
    for name, text in lesson_files:
        meta, body = _split_front_matter(text, name)
        lessons.append([meta, _drop_leading_h1(body)])
    raw = {"lessons": lessons, "labs": _yaml_list(labs_text, "labs.yaml"),
           "cards": [item for name, text in card_files for item in _yaml_list(text, name)]}
    diskcache.write_json("course", key, raw)
    return raw
