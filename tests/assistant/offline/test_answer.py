"""What is kept of a card under a computed result (QA13 items 13 and 14)."""

from __future__ import annotations

from apilab.assistant.offline import OfflineTutor
from apilab.assistant.offline.answer import explanation
from tests.assistant._helpers import make_turn

CARD = """Keep the model in configuration:

```python
import os

MODELS = {"translate": os.environ.get("TRANSLATE_MODEL", "claude-3-haiku-20240307")}

client.messages.create(model=MODELS["translate"], max_tokens=1024, messages=msgs)
```

Cheap small models (Haiku, GPT-4o mini) suit **simple, high-volume tasks**; compare a
few real examples on both before switching."""


def test_a_fenced_block_with_blank_lines_is_dropped_whole() -> None:
    # Split on blank lines, the block's tail and its closing fence were kept: the reply
    # went on inside a code block that never opened.
    kept = explanation(CARD)
    assert "```" not in kept and "MODELS" not in kept and "client." not in kept
    assert kept.startswith("Cheap small models (Haiku, GPT-4o mini)")  # a name's digit is fine
    assert explanation("Intro.\n\n```python\nx = 1\n\ny = 2\n") == "Intro."  # never closed


def test_no_card_figures_or_repeats_follow_a_computed_result() -> None:
    card = ("The cap (30 s) would first bite at retry 6 (32 s becomes 30 s).\n\n"
            "Add **jitter** so clients do not retry in lock-step. If the server sent "
            "`Retry-After`, wait at least that long instead.\n\n"
            "Stop after a total deadline; never retry 400/401 (reported in 2024). Ask me "
            "for a schedule with other numbers and I will compute the table.")
    shown = ("**Why jitter:** clients that retry in lock-step ... If the server sent "
             "`Retry-After`, wait at least that long instead, add jitter.")
    assert explanation(card, shown=shown) == \
        "Stop after a total deadline; never retry 400/401 (reported in 2024)."


def test_the_backoff_table_is_not_followed_by_the_cards_own_example(
        real_tutor: OfflineTutor) -> None:
    reply = real_tutor.compose(make_turn(real_tutor.course, "rate-limits-cost",
                                         "backoff schedule base 0.5 cap 8 with 4 retries"))
    assert "backoff_schedule" in [t["name"] for t in reply.meta["tools"]]
    assert "30 s" not in reply.text and "31 s" not in reply.text
    assert reply.text.count("Retry-After") == 1  # the tool's advice, not the card's again


def test_a_cost_spliced_onto_a_card_leaves_no_unbalanced_fence(
        real_tutor: OfflineTutor) -> None:
    reply = real_tutor.compose(make_turn(
        real_tutor.course, "rate-limits-cost",
        "I have 3M messages a month, each 600 in / 200 out, on claude-3-5-haiku. monthly bill?"))
    assert "**$3,840.00** per month" in reply.text
    assert reply.text.count("```") % 2 == 0 and "MODELS = " not in reply.text
