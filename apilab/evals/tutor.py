"""Measure the offline tutor on questions real learners asked in public.

The suite lives in ``suites/tutor/{dev,heldout}/<lab>.yaml``: each case is a
question in the asker's own words (a follow-up also carries the asker's earlier
messages in ``history``, each answered by the tutor first), its source link, and
checks taken from the answer that helped the asker (never from the tutor's reply). A reply passes
when every ``must`` group is met (any one alternative of the group appears), no
``must_not`` phrase appears, and the tutor did not class its own reply as a
non-answer ("I don't know", an off-topic redirect): listing a few "closest
questions" must not pass by accident.

The ``dev`` split is for tuning; ``heldout`` is run for its figure only, and its
failures are not printed unless asked, so whoever tunes the tutor does not read
them. ``thresholds.yaml`` holds the pass rates CI enforces.

Matching is literal (no regex from the data file): case-insensitive, whitespace
collapsed, Markdown ``*`` and backticks removed; an alternative that begins or
ends with a letter or digit must sit on a word boundary there.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from apilab.assistant.folds import without_folds

__all__ = [
    "SPLITS",
    "CaseResult",
    "SuiteReport",
    "TutorCase",
    "conversation_turn",
    "judge",
    "load_cases",
    "load_thresholds",
    "matches",
    "reply_kind",
    "run_cases",
    "tutor_turn",
]

SPLITS = ("dev", "heldout")
# Reply kinds that are not an answer, whatever words they happen to contain.
NON_ANSWERS = frozenset({"dont-know", "off-topic", "small-talk", "injection", "clarify", "repeat",
                         "declined", "greeting", "thanks", "help", "about"})


class TutorCase(BaseModel):
    """One real learner question with checks from the answer that helped them."""

    model_config = ConfigDict(extra="forbid")

    id: str
    lab: str
    source: str
    kind: str
    question: str = Field(min_length=1)
    # A follow-up: the learner's earlier messages in the same conversation, oldest first.
    # Each is sent (and answered by the tutor) before ``question``; only the reply to
    # ``question`` is judged.
    history: list[str] = Field(default_factory=list)
    answer: str
    must: list[list[str]] = Field(min_length=1)
    must_not: list[str] = Field(default_factory=list)
    asked: str | dt.date | None = None
    split: str = "dev"  # set by the loader from the folder


def _suite_root() -> Any:
    return resources.files("apilab.evals") / "suites" / "tutor"


def load_cases(split: str = "dev", lab: str | None = None) -> list[TutorCase]:
    """The cases of one split (``dev``, ``heldout`` or ``all``), optionally of one lab."""
    splits = SPLITS if split == "all" else (split,)
    if any(s not in SPLITS for s in splits):
        raise ValueError(f"unknown split {split!r}: use dev, heldout or all")
    cases: list[TutorCase] = []
    for name in splits:
        folder = _suite_root() / name
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            if not entry.name.endswith(".yaml"):
                continue
            for item in yaml.safe_load(entry.read_text(encoding="utf-8")) or []:
                case = TutorCase(**{**item, "split": name})
                if lab is None or case.lab == lab:
                    cases.append(case)
    return cases


def load_thresholds() -> dict[str, float]:
    """Minimum pass rates per split that CI enforces (set from the held-out figure)."""
    path = _suite_root() / "thresholds.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return {str(k): float(v) for k, v in (data or {}).items()}


_MARKUP = re.compile(r"[*`]")
_SPACE = re.compile(r"\s+")


def _normalise(text: str) -> str:
    return _SPACE.sub(" ", _MARKUP.sub("", text)).strip().lower()


@cache
def _pattern(alternative: str) -> re.Pattern[str]:
    text = _normalise(alternative)
    left = r"(?<![a-z0-9])" if text[:1].isalnum() else ""
    right = r"(?![a-z0-9])" if text[-1:].isalnum() else ""
    return re.compile(left + re.escape(text) + right)


def matches(reply: str, alternative: str) -> bool:
    """Whether ``alternative`` appears in ``reply`` under the suite's matching rules."""
    if not alternative.strip():
        return False
    return _pattern(alternative).search(_normalise(reply)) is not None


@dataclasses.dataclass(frozen=True)
class CaseResult:
    """The outcome of one case."""

    case: TutorCase
    passed: bool
    kind: str  # what the tutor said the reply was (answer, dont-know, ...)
    missing: list[list[str]]  # must-groups not met
    forbidden: list[str]  # must_not phrases found
    reply: str
    ms: float
    # Whether the answer alone passed, without the other answers folded under it.
    passed_unfolded: bool = False


@dataclasses.dataclass(frozen=True)
class SuiteReport:
    """Pass rates of a run, per split and per lab."""

    results: list[CaseResult]

    def rate(self, split: str | None = None, lab: str | None = None) -> float:
        chosen = [r for r in self.results if (split is None or r.case.split == split)
                  and (lab is None or r.case.lab == lab)]
        return sum(r.passed for r in chosen) / len(chosen) if chosen else 0.0

    def count(self, split: str | None = None, lab: str | None = None) -> tuple[int, int]:
        chosen = [r for r in self.results if (split is None or r.case.split == split)
                  and (lab is None or r.case.lab == lab)]
        return sum(r.passed for r in chosen), len(chosen)

    def as_dict(self, *, with_heldout_failures: bool = False) -> dict[str, Any]:
        splits = sorted({r.case.split for r in self.results})
        labs = sorted({r.case.lab for r in self.results})
        out: dict[str, Any] = {"splits": {}, "failures": []}
        for split in splits:
            passed, total = self.count(split)
            out["splits"][split] = {
                "passed": passed, "total": total, "rate": round(self.rate(split), 4),
                "labs": {lab: dict(zip(("passed", "total"), self.count(split, lab),
                                       strict=True)) for lab in labs},
            }
        for r in self.results:
            if r.passed or (r.case.split == "heldout" and not with_heldout_failures):
                continue
            out["failures"].append({"id": r.case.id, "split": r.case.split, "kind": r.kind,
                                    "missing": r.missing, "forbidden": r.forbidden})
        return out


def judge(must: list[list[str]], must_not: list[str], reply: str,
          kind: str) -> tuple[bool, list[list[str]], list[str]]:
    """``(passed, missing must-groups, must_not phrases found)`` for one reply.

    The one judging rule, shared with the eval runner's ``apilab:tutor-checks``
    assertion so both report the same pass rates.
    """
    missing = [group for group in must if not any(matches(reply, a) for a in group)]
    forbidden = [phrase for phrase in must_not if matches(reply, phrase)]
    passed = not missing and not forbidden and kind not in NON_ANSWERS
    return passed, missing, forbidden


def judge_reply(case: TutorCase, reply: str, kind: str) -> tuple[bool, list[list[str]],
                                                                 list[str]]:
    """``(passed, missing must-groups, must_not phrases found)`` for one reply."""
    return judge(case.must, case.must_not, reply, kind)


def tutor_turn(tutor: Any, lab_id: str, question: str) -> Any:
    """The ``Turn`` a learner's first message makes, redacted as the chat page redacts it."""
    from apilab.assistant.base import Turn
    from apilab.assistant.offline.tutor import finding_summary
    from apilab.secretscan import redact_text

    redacted, findings = redact_text(question)
    context: dict[str, Any] = {}
    if findings:
        context["secret_findings"] = [finding_summary(f, question) for f in findings]
    return Turn(lab=tutor.course.lab(lab_id), message=redacted, history=[], context=context)


def reply_kind(meta: dict[str, Any]) -> str:
    """What the tutor said its reply was (answer, dont-know, off-topic, ...)."""
    return str(meta.get("answer_kind") or meta.get("intent") or "")


def conversation_turn(tutor: Any, lab_id: str, question: str,
                      history: Iterable[str] = ()) -> Any:
    """The ``Turn`` ``question`` makes after the learner's earlier messages ``history``,
    each redacted and answered by the tutor first, as the chat page would (its replies,
    not the humans' in the thread); objectives cover what the counted replies covered."""
    turns: list[tuple[str, str]] = []
    covered: set[str] = set()
    for earlier in history:
        turn = dataclasses.replace(tutor_turn(tutor, lab_id, earlier), history=list(turns),
                                   objectives_covered=frozenset(covered))
        composed = tutor.compose(turn)
        turns += [("user", turn.message), ("assistant", composed.text)]
        if composed.on_topic:
            covered.update(composed.objectives)
    return dataclasses.replace(tutor_turn(tutor, lab_id, question), history=turns,
                               objectives_covered=frozenset(covered))


def run_cases(cases: Iterable[TutorCase], tutor: Any | None = None) -> SuiteReport:
    """Ask the offline tutor each case as a first message in its lab, and judge the replies.

    The message goes through the same redaction as the chat page, so a case that
    pastes a key is answered the way a learner would be answered.
    """
    from apilab.assistant.offline import OfflineTutor

    tutor = tutor or OfflineTutor()
    results = []
    for case in cases:
        turn = conversation_turn(tutor, case.lab, case.question, case.history)
        started = time.perf_counter()
        composed = tutor.compose(turn)
        ms = (time.perf_counter() - started) * 1000
        kind = reply_kind(composed.meta)
        passed, missing, forbidden = judge_reply(case, composed.text, kind)
        alone = judge_reply(case, without_folds(composed.text), kind)[0]
        results.append(CaseResult(case, passed, kind, missing, forbidden, composed.text, ms,
                                  alone))
    return SuiteReport(results)
