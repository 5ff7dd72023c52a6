"""The request checker: a pasted curl command or Python call to an AI API (QA13 item 8)."""

from __future__ import annotations

import pytest

from apilab.assistant.offline import OfflineTutor
from apilab.assistant.offline.reqcheck import check_call, find_calls
from apilab.content.models import Course
from tests.assistant._helpers import fake_openai_key, make_turn

QA_CURL = """this curl returns an error, what's wrong?

curl https://api.openai.com/v1/chat/completions \\
  -H "Content-Type: application/json" \\
  -H "Authorization: $OPENAI_API_KEY" \\
  -d '{"model": "gpt-4o-mini", "messages": "Say hello"}'"""

GOOD_ANTHROPIC = """curl https://api.anthropic.com/v1/messages \\
  -H "x-api-key: $ANTHROPIC_API_KEY" \\
  -H "anthropic-version: 2023-06-01" \\
  -H "content-type: application/json" \\
  -d '{"model": "claude-haiku-4-5", "max_tokens": 200,
       "messages": [{"role": "user", "content": "Hello"}]}'"""


def _problems(text: str, code: str = "") -> list[str]:
    calls = find_calls(text, [code] if code else [])
    assert calls, "no call found"
    review = check_call(calls[0])
    assert review is not None
    return [p for p, _ in review.problems]


def test_the_qa_curl_gets_both_bugs_with_lines_and_a_corrected_command(
        real_tutor: OfflineTutor) -> None:
    reply = real_tutor.compose(make_turn(real_tutor.course, "api-basics", QA_CURL))
    text = reply.text
    assert reply.meta["answer_kind"] == "review" and reply.on_topic
    assert "review_request" in reply.tools_used and reply.meta["card"] is None  # no Dify card
    assert 'Line 3 (`-H "Authorization: $OPENAI_API_KEY"`): the key has no `Bearer `' in text
    assert "Line 4 (" in text and "`messages` is a string, not a list" in text
    assert 'The corrected command:\n\n```bash\ncurl https://api.openai.com/v1/chat/completions' \
        in text
    assert '-H "Authorization: Bearer $OPENAI_API_KEY"' in text
    assert '"messages": [{"role": "user", "content": "Say hello"}]' in text
    assert "request-anatomy" in reply.objectives


def test_a_correct_call_asked_about_says_what_was_checked(real_tutor: OfflineTutor) -> None:
    reply = real_tutor.compose(make_turn(real_tutor.course, "api-basics",
                                         f"is this request right?\n\n{GOOD_ANTHROPIC}"))
    assert "What to fix" not in reply.text
    assert "Already right: the URL (`/v1/messages`); POST; the key in `x-api-key`; " \
           "`anthropic-version`" in reply.text
    assert "I found nothing to fix among the checks above" in reply.text


def test_a_correct_call_under_another_question_is_left_to_the_notes(
        real_tutor: OfflineTutor) -> None:
    reply = real_tutor.compose(make_turn(real_tutor.course, "api-basics",
                                         f"how do I stream this?\n\n{GOOD_ANTHROPIC}"))
    assert "review_request" not in reply.tools_used


def test_anthropic_problems() -> None:
    problems = _problems("""curl https://api.anthropic.com/messages \\
  -H "Authorization: Bearer $ANTHROPIC_API_KEY" \\
  -d '{"model": "claude-haiku-4-5", "messages": [{"role": "system", "content": "be brief"},
       {"role": "user", "content": "hi"}]}'""")
    assert problems[0].startswith("Line 1 (`curl https://api.anthropic.com/messages`): the "
                                  "path `/messages` is missing `/v1`")
    joined = " ".join(problems)
    for expected in ("no `x-api-key` header", "no `anthropic-version` header",
                     "no `Content-Type: application/json`", "no `max_tokens`",
                     "a `system` message inside `messages`"):
        assert expected in joined
    assert len(problems) == 6


def test_get_to_a_post_endpoint() -> None:
    explicit = _problems("curl -X GET https://api.openai.com/v1/chat/completions -H "
                         "\"Authorization: Bearer $OPENAI_API_KEY\" --json '{\"model\": \"m\", "
                         "\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}'")
    assert explicit == ["Line 1 (`curl -X GET https://api.openai.com/v1/chat/completions -H "
                        "\"Authoriz...`): this sends a GET, and `/v1/chat/completions` "
                        "only takes POST."]
    implicit = _problems('curl https://api.openai.com/v1/chat/completions '
                         '-H "Authorization: Bearer $OPENAI_API_KEY"')
    assert implicit == ["Line 1 (`curl https://api.openai.com/v1/chat/completions -H "
                        "\"Authorization: ...`): there is no `-d` body, so curl sends a GET, "
                        "and `/v1/chat/completions` only takes POST."]


def test_single_quoted_variable_and_wrong_content_type() -> None:
    problems = _problems("curl https://api.openai.com/v1/chat/completions \\\n"
                         "  -H 'Authorization: Bearer $OPENAI_API_KEY' \\\n"
                         "  -H 'Content-Type: text/plain' \\\n"
                         "  -d '{\"model\": \"m\", \"messages\": [{\"role\": \"user\", "
                         "\"content\": \"hi\"}]}'")
    assert problems == [
        "Line 2 (`-H 'Authorization: Bearer $OPENAI_API_KEY'`): `OPENAI_API_KEY` is inside "
        "single quotes, so the shell sends it as the text `$OPENAI_API_KEY`, not the key.",
        "Line 3 (`-H 'Content-Type: text/plain'`): `Content-Type` is `text/plain`."]


def test_an_apostrophe_that_breaks_the_quotes() -> None:
    assert _problems("curl https://api.openai.com/v1/chat/completions -d '{\"messages\": "
                     "[{\"role\": \"user\", \"content\": \"what's up\"}]}'") == [
        "The quotes in the command do not pair up, so the shell cannot run it as pasted."]


@pytest.mark.parametrize("command", [
    GOOD_ANTHROPIC,
    # The body or the headers come from files: nothing said about what is not pasted.
    'curl https://api.openai.com/v1/chat/completions -H "Content-Type: application/json" '
    '-H "Authorization: Bearer $OPENAI_API_KEY" -d @body.json',
    "curl https://api.anthropic.com/v1/messages -H @headers.txt -d '{\"model\": \"m\", "
    "\"max_tokens\": 5, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}'",
    # --json sets the content type; a local server needs no key.
    "curl http://localhost:11434/v1/chat/completions --json '{\"model\": \"llama3\", "
    "\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}'",
    # Azure names the model in the URL.
    "curl 'https://x.openai.azure.com/openai/deployments/d/chat/completions?api-version=1' "
    "-H \"api-key: $AZURE_KEY\" -H 'Content-Type: application/json' "
    "-d '{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}'",
    # Windows line continuations and escaped quotes.
    'curl https://api.openai.com/v1/chat/completions ^\n  -H "Content-Type: application/json"'
    ' ^\n  -H "Authorization: Bearer %OPENAI_API_KEY%" ^\n  -d "{\\"model\\": \\"m\\", '
    '\\"messages\\": [{\\"role\\": \\"user\\", \\"content\\": \\"hi\\"}]}"',
])
def test_no_problem_is_reported_that_is_not_in_the_paste(command: str) -> None:
    assert _problems(command) == []


def test_other_apis_are_not_checked() -> None:
    for command in ("curl https://api.openai.com/v1/models -H \"Authorization: Bearer $K\"",
                    "curl https://generativelanguage.googleapis.com/v1beta/models/g:generate"
                    "Content -d '{}'", "curl is what I use"):
        calls = find_calls(command, [])
        assert not calls or check_call(calls[0]) is None


def test_python_requests_call(real_tutor: OfflineTutor) -> None:
    message = """my python code returns 401, what's wrong?

```python
import os, requests
payload = {"model": "gpt-4o-mini", "messages": "hello"}
r = requests.post("https://api.openai.com/v1/chat/completions",
                  headers={"Authorization": os.environ["OPENAI_API_KEY"]},
                  data=payload)
```"""
    reply = real_tutor.compose(make_turn(real_tutor.course, "api-basics", message))
    text = reply.text
    assert "Check of your `requests` call to OpenAI" in text
    assert "Line 4 (`headers=" in text and "the key has no `Bearer ` in front" in text
    assert "Line 5 (`data=payload)`): the body is sent form-encoded" in text
    assert text.count("`messages` is a string") == 1  # the code review's is not repeated
    assert "json={\"model\": \"gpt-4o-mini\", \"messages\": [{\"role\": \"user\", " \
           "\"content\": \"hello\"}]}" in text
    assert "f\"Bearer {os.environ['OPENAI_API_KEY']}\"" in text


def test_python_call_with_headers_from_a_function_is_not_guessed() -> None:
    code = ('r = requests.post("https://api.openai.com/v1/chat/completions", '
            'headers=make_headers(), data=json.dumps(body))')
    assert _problems("", code) == []


def test_a_pasted_key_is_not_echoed(fixture_tutor: OfflineTutor,
                                    fixture_course: Course) -> None:
    key = fake_openai_key()
    message = QA_CURL.replace("$OPENAI_API_KEY", key)
    reply = fixture_tutor.compose(make_turn(fixture_course, "api-basics", message))
    assert key not in reply.text and key[8:20] not in reply.text
    assert "the key has no `Bearer ` in front" in reply.text
    assert '-H "Authorization: Bearer $OPENAI_API_KEY"' in reply.text


def test_a_named_error_still_gets_the_notes_on_it(real_tutor: OfflineTutor) -> None:
    # The problems found may not be what caused the 401: the card on it follows the check.
    reply = real_tutor.compose(make_turn(real_tutor.course, "api-basics", QA_CURL.replace(
        "returns an error", "returns 401")))
    assert "**Check of your curl command" in reply.text
    assert reply.meta["card"] is not None and "401" in reply.text.split("The corrected")[1]


def test_empty_messages() -> None:
    assert _problems("curl https://api.openai.com/v1/chat/completions -H 'Content-Type: "
                     "application/json' -H \"Authorization: Bearer $K\" -d '{\"model\": \"m\", "
                     "\"messages\": []}'") == [
        "Line 1 (`...-d '{\"model\": \"m\", \"messages\": []}'`): `messages` is empty."]
