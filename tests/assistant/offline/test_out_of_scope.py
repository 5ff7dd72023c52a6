"""Topics outside the course are said plainly (``rules/out_of_scope.yaml``)."""

from __future__ import annotations

import pytest

from apilab.assistant.offline import OfflineTutor


@pytest.mark.parametrize(("lab", "message", "topic"), [
    ("production-prompts", "how do i do RAG with a vector database like pinecone for my docs?",
     "vector database"),
    ("api-basics", "how do i fine-tune gpt-4o-mini on my support tickets? what format does the "
     "training file need", "fine-tuning"),
    ("key-security", "how do i set up OAuth2 login with google for my flask app users?",
     "signing your app's users in"),
])
def test_a_topic_outside_the_course_is_said_plainly_and_does_not_count(
        real_tutor: OfflineTutor, lab: str, message: str, topic: str) -> None:
    from apilab.evals.tutor import tutor_turn

    reply = real_tutor.compose(tutor_turn(real_tutor, lab, message))
    assert reply.text.startswith("**Not covered in this course:") and topic in reply.text
    assert reply.meta["answer_kind"] == "dont-know" and not reply.on_topic


def test_a_card_that_names_the_topic_still_answers(real_tutor: OfflineTutor) -> None:
    from apilab.evals.tutor import tutor_turn

    reply = real_tutor.compose(tutor_turn(real_tutor, "rate-limits-cost",
                                          "how much does fine-tuning cost, training and usage?"))
    assert reply.meta["card"] == "rlc-fine-tuning-cost"


def test_out_of_scope_patterns_are_linear_on_hostile_input() -> None:
    import time

    from apilab.assistant.offline.answer import out_of_scope

    for text in ("fine-tune " * 400, "oauth " * 600 + "x", "which " * 800 + "vector",
                 "fine tuning " + "a " * 3000 + "format"):
        started = time.perf_counter()
        out_of_scope(text)
        assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize("said", [
    "my pgvector rag app sometimes shows one customer's docs to another, how do i stop that?",
    "our autoscaled workers all hit 429 at the same time, how do i fix that",
    "should i keep my openai key in hashicorp vault or aws secrets manager?",
    "my app uses oauth for users, where do i keep the openai key?",
])
def test_a_topic_named_in_passing_is_not_out_of_scope(said: str) -> None:
    from apilab.assistant.offline.answer import out_of_scope

    assert out_of_scope(said) is None
