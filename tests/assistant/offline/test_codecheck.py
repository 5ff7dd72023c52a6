"""Pasted-code review: the teachable mistakes are found, clean code is not flagged."""

from __future__ import annotations

from apilab.assistant.offline.codecheck import review
from apilab.assistant.offline.read import read_message

BAD = '''
from openai import OpenAI
import json, re
client = OpenAI(api_key="not-a-real-key-but-hardcoded")
while True:
    try:
        r = client.chat.completions.create(model="gpt-4o", messages="hi", stream=True,
                                           temperature=3)
        print(r.choices[0].message.content)
        n = re.search(r"\\d+", r.choices[0].message.content)
        data = json.loads(r.choices[0].message.content)
        break
    except:
        pass
'''

GOOD = '''
import os
from openai import OpenAI
client = OpenAI(api_key=os.environ["OPENAI_API_KEY"], timeout=30)
resp = client.chat.completions.create(
    model="gpt-4o-mini",
    messages=[{"role": "user", "content": "hi"}],
    max_tokens=200,
)
print(resp.choices[0].message.content)
'''


def test_bad_code_trips_the_rules() -> None:
    rules = {f.rule for f in review(BAD)}
    assert {"messages-string", "hardcoded-key", "no-timeout", "retry-no-backoff",
            "bare-except", "stream-then-content", "regex-parse", "json-no-validate",
            "temperature-range"} <= rules


def test_good_code_is_clean() -> None:
    assert review(GOOD) == []


def test_anthropic_needs_max_tokens() -> None:
    code = 'client.messages.create(model="claude-3-5-haiku-latest", messages=[])'
    assert [f.rule for f in review(code)] == ["anthropic-max-tokens"]
    assert review('client.messages.create(model="m", max_tokens=100, messages=[])') == []


def test_extract_code_from_fences_or_code_looking_messages() -> None:
    assert read_message("look:\n```python\nprint(1)\n```").pasted_text("code") == "print(1)"
    assert read_message("import os\nprint(os.getcwd())").pasted_kinds() == {"code"}
    assert read_message("How do I stream a reply?").pasted == ()
    assert read_message('```json\n{"a": 1}\n```').pasted_kinds() == {"json"}  # not code


def test_an_error_message_about_messages_is_not_a_string_messages_mistake() -> None:
    # A pasted Anthropic error: "messages: first message must ..." is prose, not code.
    pasted = ('{"type": "invalid_request_error", "message": "messages: first message '
              'must use the \\"user\\" role"}')
    assert "messages-string" not in {f.rule for f in review(pasted)}
    assert "messages-string" in {f.rule for f in review('messages = f"{history}"')}


OPEN_PROXY = """app.post('/api/chat', async (req, res) => {
  const r = await openai.chat.completions.create({
    model: req.body.model,
    messages: req.body.messages,
  });
  res.json(r);
});"""

GUARDED_PROXY = """app.post('/api/chat', requireAuth, rateLimit({ windowMs: 60_000, max: 10 }),
  async (req, res) => {
    const text = String(req.body.text ?? '').slice(0, 4000);
    const r = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      max_tokens: 300,
      messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: text }],
    });
    res.json({ reply: r.choices[0].message.content });
  });"""


def test_an_open_proxy_is_reviewed_as_one() -> None:
    """QA pass 14: "is this proxy safe to put on the internet?" got "I found nothing to fix"
    for a route that forwards the caller's model and messages with no limit."""
    rules = {f.rule for f in review(OPEN_PROXY)}
    assert rules >= {"proxy-client-model", "proxy-client-messages", "proxy-no-max-tokens",
                     "proxy-no-limit"}
    flask = ('@app.post("/chat")\ndef chat():\n    data = request.get_json()\n'
             '    r = client.chat.completions.create(model=data["model"], '
             'messages=data["messages"])\n    return r.model_dump()')
    assert {"proxy-client-model", "proxy-client-messages"} <= {f.rule for f in review(flask)}


def test_a_guarded_proxy_passes_and_code_without_a_route_is_not_judged_as_one() -> None:
    assert not [f for f in review(GUARDED_PROXY) if f.rule.startswith("proxy-")]
    script = 'r = client.chat.completions.create(model="gpt-4o-mini", messages=msgs)'
    from apilab.assistant.offline.codecheck import applicable_rules
    assert not [r for r in applicable_rules(script) if r.rule.startswith("proxy-")]


def test_proxy_rules_stay_linear_on_repeated_routes() -> None:
    import time
    started = time.perf_counter()
    review("app.post(" * 4000 + ".create(")
    assert time.perf_counter() - started < 1.0


def test_a_javascript_retry_loop_with_no_wait_is_found() -> None:
    """QA pass 15: a Node `while (true)` that retries a 429 at once, forever, got "I found
    nothing to fix"."""
    loop = ("async function ask(prompt) {\n  while (true) {\n    try {\n      return await "
            "openai.chat.completions.create({ model: 'gpt-4o-mini', messages });\n    } catch "
            "(e) {\n      if (e.status === 429) continue;\n      throw e;\n    }\n  }\n}")
    assert "retry-no-backoff" in {f.rule for f in review(loop)}
    paced = loop.replace("continue;", "{ await new Promise((r) => setTimeout(r, 2 ** n * 1000)); "
                         "continue; }")
    assert "retry-no-backoff" not in {f.rule for f in review(paced)}


def test_a_fetch_header_read_with_brackets_is_found() -> None:
    """QA pass 16: `res.headers["retry-after"]` on a fetch response was "already right"."""
    code = ("async function ask(body) {\n  for (let i = 0; i < 5; i++) {\n    const res = await "
            "fetch(URL, { method: 'POST', headers, body });\n    if (res.status === 429) {\n"
            "      await new Promise((r) => setTimeout(r, res.headers['retry-after'] * 1000));\n"
            "      continue;\n    }\n    return res.json();\n  }\n}")
    assert "fetch-header-index" in {f.rule for f in review(code)}
    fixed = code.replace("res.headers['retry-after']", "Number(res.headers.get('retry-after'))")
    assert "fetch-header-index" not in {f.rule for f in review(fixed)}
