"""The public sample questions, on the real course: each answer carries its key ideas.

Assertions are on ideas (a few alternative phrasings each), not exact wording, so
content edits keep passing while a wrong or empty answer fails. A second set of
paraphrases (typos, short forms) checks the tutor is built for learners, not for
these exact sentences.
"""

from __future__ import annotations

import re

import pytest

from apilab.assistant.offline import OfflineTutor
from apilab.content import load_course
from tests.assistant._helpers import make_turn

COURSE = load_course()

# (lab, question, [ideas]) - each idea is a regex; all must appear (case-insensitive).
SAMPLES: list[tuple[str, str, list[str]]] = [
    ("api-basics", "What goes in the Authorization header?",
     [r"Bearer", r"Authorization:\s*Bearer", r"environment|os\.environ"]),
    ("api-basics", "Why does my chatbot forget what I said two messages ago?",
     [r"stateless", r"resend|send the (whole|full|entire) (history|conversation)",
      r"messages"]),
    ("api-basics", "my response came back with finish_reason: length — what happened?",
     [r"max_tokens", r"truncat|cut off|cap"]),
    ("api-basics", "what's the difference between a 429 and a 503?",
     [r"rate limit", r"overload", r"retry|back ?off"]),
    ("api-basics", "How do I show the answer while it's being generated?",
     [r"stream", r"SSE|server-sent events"]),
    ("key-security", "Where should I keep my API key in a Python app?",
     [r"environment variable", r"os\.environ", r"\.gitignore|secret manager"]),
    ("key-security", "I just pushed my .env file to a public GitHub repo. What do I do first?",
     [r"revoke", r"rotate", r"audit|usage"]),
    ("key-security", "What is a project-scoped key and why would I want one?",
     [r"project", r"spending cap|cap|limit", r"revoke|blast radius|least privilege"]),
    ("key-security", "how do I stop keys from being committed in the first place",
     [r"pre-commit", r"\.gitignore", r"scan"]),
    ("rate-limits-cost",
     "How much do 2 million input tokens and 500k output tokens cost on gpt-4o-mini?",
     [r"\$0\.60", r"\$0\.30", r"\$0\.15"]),
    ("rate-limits-cost", "RPM vs TPM?",
     [r"requests per minute", r"tokens per minute", r"429|both"]),
    ("rate-limits-cost",
     "Give me a backoff schedule for 5 retries starting at 1 second with a 30 second cap",
     [r"\|\s*1\s*\|\s*1 s", r"\|\s*2\s*\|\s*2 s", r"\|\s*3\s*\|\s*4 s", r"\|\s*4\s*\|\s*8 s",
      r"\|\s*5\s*\|\s*16 s", r"30 s", r"jitter"]),
    ("rate-limits-cost", "why add jitter to retries?",
     [r"thundering herd|synchroni[sz]", r"random"]),
    ("production-prompts", "How do I get JSON back that my code can parse reliably?",
     [r"JSON schema|json_schema", r"structured output", r"validat"]),
    ("production-prompts", "What should a good system prompt contain?",
     [r"role", r"scope", r"format", r"tone|length", r"don't know|unsure|uncertain"]),
    ("production-prompts",
     "I summarize web pages with an LLM. How could a page attack my app?",
     [r"indirect prompt injection|prompt injection", r"instructions", r"data"]),
    ("production-prompts", "How do I test that a prompt change didn't break anything?",
     [r"eval", r"regression|pass rate|compare"]),
]

PARAPHRASES: list[tuple[str, str, list[str]]] = [
    ("api-basics", "auth header?", [r"Bearer"]),
    ("api-basics", "my bot has no memory of earlier msgs", [r"stateless"]),
    ("api-basics", "why is the answer cut off halfway", [r"max_tokens"]),
    ("api-basics", "429?", [r"rate limit"]),
    ("api-basics", "how do i stream the reply", [r"stream=True|SSE"]),
    ("key-security", "is it ok to hardcode my key", [r"environment"]),
    ("key-security", "i leaked my key on github, help", [r"revoke"]),
    ("key-security", "whats a pre commit hook for secrets", [r"pre-commit"]),
    ("rate-limits-cost", "what's TPM", [r"tokens per minute"]),
    ("rate-limits-cost", "thundering herd?", [r"jitter"]),
    ("rate-limits-cost", "cost of 1M input + 1M output tokens on gpt-4o-mini",
     [r"\$0\.75"]),
    ("rate-limits-cost", "how many tokens is 500 words", [r"tokens"]),
    ("production-prompts", "json mode vs structured outputs", [r"schema"]),
    ("production-prompts", "what's indirect prompt injection", [r"injection"]),
    ("production-prompts", "how do i know a new prompt version is better",
     [r"eval|golden set|pass rate"]),
]


@pytest.fixture(scope="module")
def tutor() -> OfflineTutor:
    return OfflineTutor(COURSE)


def _check(tutor: OfflineTutor, lab: str, question: str, ideas: list[str]) -> None:
    reply = tutor.compose(make_turn(COURSE, lab, question))
    missing = [idea for idea in ideas if not re.search(idea, reply.text, re.I)]
    assert not missing, f"{question!r} lacks {missing}:\n{reply.text}"
    assert reply.on_topic, f"{question!r} should count in {lab}"
    assert reply.objectives, f"{question!r} should cover an objective"


@pytest.mark.parametrize(("lab", "question", "ideas"), SAMPLES,
                         ids=[q[:40] for _, q, _ in SAMPLES])
def test_sample_question(tutor: OfflineTutor, lab: str, question: str,
                         ideas: list[str]) -> None:
    _check(tutor, lab, question, ideas)


def test_pushed_env_says_revoke_before_rotate(tutor: OfflineTutor) -> None:
    reply = tutor.compose(make_turn(COURSE, "key-security", "I just pushed my .env file to a "
                                    "public GitHub repo. What do I do first?"))
    text = reply.text.lower()
    assert text.index("revoke") < text.index("rotate")


def test_cost_sample_shows_the_sum(tutor: OfflineTutor) -> None:
    reply = tutor.compose(make_turn(COURSE, "rate-limits-cost", SAMPLES[9][1]))
    assert "2M input x $0.15/1M = $0.30" in reply.text and "total **$0.60**" in reply.text


@pytest.mark.parametrize(("lab", "question", "ideas"), PARAPHRASES,
                         ids=[q[:40] for _, q, _ in PARAPHRASES])
def test_paraphrase(tutor: OfflineTutor, lab: str, question: str, ideas: list[str]) -> None:
    _check(tutor, lab, question, ideas)


def test_every_sample_question_is_fast(tutor: OfflineTutor) -> None:
    # Not a timing bar (that lives in bench/); a guard against a pathological slowdown.
    reply = tutor.compose(make_turn(COURSE, "api-basics", SAMPLES[0][1]))
    assert reply.meta["timing_ms"]["compose"] < 250


OFF_TOPIC = ["What's the weather in London?", "What's the capital of France?",
             "write me a poem about cats", "tell me a joke", "who won the world cup",
             "best pizza in rome?", "Help me with my calculus homework",
             "Can you recommend a restaurant?", "Explain photosynthesis",
             "what time is it", "how tall is mount everest"]


@pytest.mark.parametrize("lab", [lab.id for lab in COURSE.labs])
def test_off_topic_probes_never_count(tutor: OfflineTutor, lab: str) -> None:
    counted = [q for q in OFF_TOPIC if tutor.compose(make_turn(COURSE, lab, q)).on_topic]
    assert counted == []


def test_on_topic_but_unanswerable_is_not_called_off_topic(tutor: OfflineTutor) -> None:
    reply = tutor.compose(make_turn(COURSE, "api-basics", "is the api synchronous?"))
    assert reply.on_topic and "outside what I can help with" not in reply.text
