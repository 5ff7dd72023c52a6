"""The tools the offline tutor runs, through whole conversations (QA14: the cost calculator)."""

from __future__ import annotations

from apilab.assistant.offline import OfflineTutor
from tests.assistant._helpers import make_turn


def test_every_model_named_is_priced(real_tutor: OfflineTutor) -> None:
    """QA14 1e: "gpt-4o-mini vs claude-sonnet-4" priced only the first."""
    reply = real_tutor.compose(make_turn(
        real_tutor.course, "rate-limits-cost",
        "startup CTO here: 2,000 daily active users, each sends about 15 messages a day, avg "
        "1,200 input tokens and 250 output tokens per message. monthly cost on gpt-4o-mini vs "
        "claude-sonnet-4?"))
    assert "total **$297.00** per month" in reply.text
    assert "**`claude-sonnet-4" in reply.text and "total **$6,615.00** per month" in reply.text


def test_a_close_but_unknown_model_beside_a_known_one_is_priced_and_said(
        real_tutor: OfflineTutor) -> None:
    reply = real_tutor.compose(make_turn(
        real_tutor.course, "rate-limits-cost",
        "how much is 1M input and 200k output on gpt-4o-mini or claude-haiku-4.5?"))
    assert "**`gpt-4o-mini`**" in reply.text and "**`claude-haiku-4-5" in reply.text
    assert "I took `claude-haiku-4.5` to mean" in reply.text
