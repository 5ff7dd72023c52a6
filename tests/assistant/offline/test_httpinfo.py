"""The HTTP explainer on what learners paste (QA13 item 15)."""

from __future__ import annotations

import time

import pytest

from apilab.assistant import httpinfo
from apilab.assistant.offline import OfflineTutor
from tests.assistant._helpers import make_turn

BODY = """now I get this back:
{
  "error": {
    "message": "Invalid type for 'messages': expected an array of objects, but got a \
string instead.",
    "type": "invalid_request_error",
    "param": "messages",
    "code": "invalid_type"
  }
}"""


def _log(calls: int) -> str:
    return "\n".join(
        f'2025-03-01T12:00:{i:02d}Z INFO httpx HTTP Request: POST https://api.openai.com/v1/'
        f'chat/completions "HTTP/1.1 200 OK" elapsed={2.1 + 0.37 * i:.2f}s '
        f"prompt_tokens={1200 + 310 * i} completion_tokens=800" for i in range(calls))


def test_an_invalid_request_body_without_a_status_is_a_400_and_never_says_none() -> None:
    text = httpinfo.explain(BODY)
    assert text is not None and "None" not in text
    assert text.startswith("**HTTP 400 Bad Request from OpenAI (`invalid_type`)**")
    assert "**Retry?** no" in text


def test_an_unknown_error_body_omits_what_it_cannot_say() -> None:
    text = httpinfo.explain('{"error": {"message": "odd", "type": "weird_error"}}')
    assert text is not None and "None" not in text and "What happened" not in text
    # A 401 body has the same type: its code decides, not the 400 guess.
    key = httpinfo.explain('{"error": {"message": "Incorrect API key provided", "type": '
                           '"invalid_request_error", "code": "invalid_api_key"}}')
    assert key is not None and "HTTP 400" not in key


def test_a_log_of_200s_is_success_headed_by_the_status_with_the_prompt_trend() -> None:
    text = httpinfo.explain("here is my whole log, why is it slow?\n\n" + _log(8))
    assert text is not None
    assert text.startswith("**HTTP 200 OK from OpenAI**\n")  # not '... elapsed=2.10s ...'
    assert "success" in text and "provider's side" not in text and "Retry?" not in text
    assert "from 1,200 to 3,370 tokens over 8 calls (about 310 more per call)" in text


def test_the_tutor_explains_a_200_log_as_success(real_tutor: OfflineTutor) -> None:
    reply = real_tutor.compose(make_turn(real_tutor.course, "api-basics",
                                         "here is my whole log, why is it slow?\n\n" + _log(40)))
    assert "**HTTP 200 OK from OpenAI**" in reply.text and "An unusual status" not in reply.text


@pytest.mark.parametrize("attack", ["HTTP/1.1 200 " + "a" * 7990, "prompt_tokens=1 " * 500,
                                    "HTTP/1.1 200 OK " * 500, "prompt_tokens" + " " * 7980 + "="])
def test_hostile_pastes_stay_linear(attack: str) -> None:
    started = time.perf_counter()
    httpinfo.explain(attack[:8000])
    assert time.perf_counter() - started < 0.5
