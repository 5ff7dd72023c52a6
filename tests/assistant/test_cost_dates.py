"""Cost questions that name a date or an output size per item are priced as asked."""

from __future__ import annotations

import asyncio

import pytest

from apilab.assistant.base import ReplyDone, Turn
from apilab.assistant.offline import OfflineTutor
from apilab.assistant.offline.intents import price_date
from apilab.assistant.offline.workload import parse_workload
from apilab.content import load_course


@pytest.mark.parametrize(("text", "expected"), [
    ("on 2024-06-01", "2024-06-01"), ("in June 2024", "2024-06-15"), ("in jun 2024", "2024-06-15"),
    ("in mid-2024", "2024-06-15"), ("late 2024", "2024-11-15"), ("today", None),
])
def test_price_date(text: str, expected: str | None) -> None:
    assert price_date(text) == expected


def test_per_item_output_tokens_are_output() -> None:
    req = parse_workload("cost of 10,000 documents of 650 tokens into 65-token summaries on "
                         "gpt-4o")
    assert req is not None
    assert (req.total_items, req.input_tokens, req.output_tokens) == (10_000, 650, 65)


def _reply(question: str) -> str:
    turn = Turn(lab=load_course().lab("rate-limits-cost"), message=question, history=[])

    async def run() -> str:
        async for event in OfflineTutor().respond(turn):
            if isinstance(event, ReplyDone):
                return event.text
        raise AssertionError("no reply")

    return asyncio.run(run())


def test_the_course_notes_batch_example_comes_out_right() -> None:
    text = _reply("What did 10,000 documents of 650 tokens with 65 token summaries cost on "
                  "gpt-4o in June 2024?")
    assert "$42.25" in text and "$32.50" in text and "$9.75" in text


def test_without_a_date_the_current_price_applies() -> None:
    text = _reply("cost of 10,000 documents of 650 tokens with 65 token summaries on gpt-4o")
    assert "$22.75" in text and "$42.25" not in text.split("_Prices")[0]
