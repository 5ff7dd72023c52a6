"""Follow-ups in a conversation: read with what came before, answered on what is new."""

from __future__ import annotations

import pytest

from apilab.assistant.offline.answer import _OBJECTION


@pytest.mark.parametrize(("message", "objects"), [
    ("but the .env is in .gitignore, so nobody can see it, right?", True),
    ("wait, so I have to pay for failed calls?", True),
    ("but why", True),
    ("that's it, right?", True),
    ("but what if I only use it for a demo?", False),  # a new case, not pushback
    ("but how would the backend look then?", False),
    ("wait, can I do the same in node?", False),
])
def test_a_new_question_opened_with_but_is_not_an_objection(message: str,
                                                            objects: bool) -> None:
    assert bool(_OBJECTION.search(message)) is objects
