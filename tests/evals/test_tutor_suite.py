"""The real-learner suite: well-formed, split mechanically, and the tutor above its floor.

The floor (``thresholds.yaml``) was set from the held-out figure, which is measured but
never tuned on; CI fails when the offline tutor drops below it.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from typer.testing import CliRunner

from apilab.cli import app
from apilab.content import load_course
from apilab.evals.tutor import judge_reply, load_cases, load_thresholds, matches, run_cases

CASES = load_cases("all")


def test_the_suite_is_large_enough_per_lab() -> None:
    labs = {lab.id for lab in load_course().labs}
    assert len(CASES) >= 200
    for lab in labs:
        assert sum(c.lab == lab for c in CASES) >= 40, lab
    assert {c.lab for c in CASES} == labs


def test_every_case_has_a_source_and_checks() -> None:
    sources = [c.source for c in CASES]
    assert len(sources) == len(set(sources)), "one question per thread"
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    for case in CASES:
        assert case.source.startswith("https://"), case.id
        assert all(group and all(alt.strip() for alt in group) for group in case.must), case.id


def test_the_split_is_the_mechanical_hash_of_the_source() -> None:
    for case in CASES:
        h = int(hashlib.sha256(case.source.encode()).hexdigest(), 16) % 10
        assert case.split == ("heldout" if h < 4 else "dev"), case.id


@pytest.mark.parametrize(("reply", "alternative", "expected"), [
    ("Set `max_retries=0` on the client", "max_retries", True),
    ("**Retry-After** header", "retry-after", True),
    ("rpms are", "rpm", False),  # word boundary on a letter
    ("see [DONE]", "[DONE]", True),  # no boundary needed next to punctuation
    ("gpt-4os", "gpt-4o", False),
    ("gpt-4o-mini", "gpt-4o", True),  # "-" is a boundary
    ("", "x", False),
])
def test_matching_rules(reply: str, alternative: str, expected: bool) -> None:
    assert matches(reply, alternative) is expected


def test_a_non_answer_never_passes_even_with_the_words() -> None:
    case = CASES[0]
    words = " ".join(group[0] for group in case.must)
    assert judge_reply(case, words, "answer")[0]
    assert not judge_reply(case, words, "dont-know")[0]


def test_the_tutor_stays_above_its_floor() -> None:
    report = run_cases(CASES)
    floors = load_thresholds()
    assert floors, "thresholds.yaml must set a floor for each split"
    for split, floor in floors.items():
        passed, total = report.count(split)
        print(f"{split}: {passed}/{total} ({report.rate(split):.1%}), floor {floor:.0%}")
        assert report.rate(split) >= floor, f"{split} {report.rate(split):.1%} < {floor:.0%}"


def test_cli_hides_held_out_failures_unless_asked() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["eval", "tutor", "--json", "--threshold", "0"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data["splits"]) == {"dev", "heldout"}
    assert all(f["split"] == "dev" for f in data["failures"])
    shown = json.loads(runner.invoke(app, ["eval", "tutor", "--json", "--threshold", "0",
                                           "--show-heldout"]).stdout)
    assert len(shown["failures"]) >= len(data["failures"])
    strict = runner.invoke(app, ["eval", "tutor", "--split", "dev", "--threshold", "1.0"])
    assert strict.exit_code == 1 and "Below threshold" in strict.output


# A planted canary in an Anthropic key's shape (not a real key).
_CANARY = "sk-ant-api03-" + "Xq7Lm2Rt9Vb4Nc8Pz3Kd6Wf1Hy5Js0Ga" * 3 + "AA"


def test_a_follow_up_is_asked_after_its_history_with_the_tutors_own_replies() -> None:
    from apilab.assistant.offline import OfflineTutor
    from apilab.assistant.offline.tutor import Composed
    from apilab.evals.tutor import TutorCase

    real = OfflineTutor()
    seen: list[tuple[str, list[tuple[str, str]], frozenset[str]]] = []

    class Recording:
        course = real.course

        def compose(self, turn):  # type: ignore[no-untyped-def]
            seen.append((turn.message, list(turn.history), turn.objectives_covered))
            counted = turn.message.startswith("first")
            return Composed(f"reply to {turn.message}", counted,
                            ["o-first"] if counted else [], [], {"answer_kind": "answer"})

    case = TutorCase(id="api-basics-s900", lab="api-basics", source="https://example.org/t",
                     kind="forum", question="what about anthropic?",
                     history=["first question", f"second, with {_CANARY}"],
                     answer="-", must=[["reply to what about"]])
    report = run_cases([case], Recording())
    assert [message for message, _, _ in seen][0] == "first question"
    assert _CANARY[20:40] not in seen[1][0]  # redacted as the page redacts it
    final_message, history, covered = seen[-1]
    assert final_message == "what about anthropic?"
    assert history[0] == ("user", "first question")
    assert history[1] == ("assistant", "reply to first question")
    assert history[2][0] == "user" and len(history) == 4
    assert covered == frozenset({"o-first"})  # only counted replies cover objectives
    assert report.results[0].passed
