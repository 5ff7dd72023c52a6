"""Review pasted code that calls an AI API, for the mistakes the four lessons teach.

Rule-based and deliberately small. Each rule has a pattern saying when it *applies*
(the code builds a client, calls ``messages.create``, streams, parses output...) and a
pattern for the mistake; a rule that does not apply is neither reported as passed nor as
failed, so a review never reports a mistake that is not in the code ("no timeout" needs
a client constructor in the paste) and never claims to have checked what is not there.
Patterns are anchored on literal words and bounded, so they stay linear.
"""

from __future__ import annotations

import dataclasses
import itertools
import re

__all__ = ["CodeFinding", "RuleResult", "applicable_rules", "review"]


@dataclasses.dataclass(frozen=True)
class CodeFinding:
    """One problem in the pasted code."""

    rule: str
    objective: str
    message: str


@dataclasses.dataclass(frozen=True)
class RuleResult:
    """One rule that applies to the code, and whether the mistake is there."""

    rule: str
    name: str  # what was checked, as "Already right: ..." wording
    objective: str
    found: bool
    problem: str
    fix: str


def _c(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I | re.S)


# A web route (Express/Koa/Hono, Next.js route handlers, Flask, FastAPI) in code that calls
# the AI API. Two lookaheads from the start only (``^`` without MULTILINE): one pass each.
_ROUTE = (r"^(?=.*?(?:\b(?:app|router|server)\.(?:post|get|put|all)\s*\(|export\s+(?:async\s+)?"
          r"function\s+(?:POST|GET)\b|@(?:app|router|bp)\.(?:post|route|get)\s*\())"
          r"(?=.*?(?:\.create\(|generateContent\(|\.stream\())")

class _RecursiveRetry:
    """Finds a function that calls itself again in its ``except`` block ("return
    ask(prompt)"). Written as a scan, not one regex: a backreference across bounded gaps
    was quadratic on many short functions."""

    # Python's def, JavaScript's function declarations and arrow functions.
    _DEF = re.compile(r"\b(?:def|function)\s+(\w{1,60})\s*\(|\b(?:const|let|var)\s+(\w{1,60})\s*="
                      r"\s*(?:async\s*)?\(")
    _SPAN = 2000  # characters of one function read after its ``def``

    def search(self, code: str) -> bool:
        for m in itertools.islice(self._DEF.finditer(code[:100_000]), 200):
            body = code[m.end():m.end() + self._SPAN]
            handler = max(body.find("except"), body.find("catch"))
            name = m.group(1) or m.group(2)
            if handler >= 0 and re.search(rf"\breturn\s+(?:await\s+)?{re.escape(name)}"
                                          r"\s*\(", body[handler:]):
                return True
        return False


class _FetchHeaderIndex:
    """Finds ``res.headers["retry-after"]`` on a ``fetch`` response: a ``Headers`` object
    answers only ``.get()``, so the bracket reads ``undefined`` and the wait is lost."""

    _FETCHED = re.compile(r"\b(\w{1,40})\s*=\s*await\s+fetch\s*\(")

    def search(self, code: str) -> bool:
        for m in itertools.islice(self._FETCHED.finditer(code[:100_000]), 50):
            if re.search(rf"\b{re.escape(m.group(1))}\.headers\s*\[", code[m.end():m.end() + 4000]):
                return True
        return False


class _Always:
    """A mistake pattern for rules whose ``applies`` check already found the mistake."""

    def search(self, code: str) -> bool:
        return True


# (rule, objective, checked-as, applies, mistake, problem, fix)
_RULES: tuple[tuple[str, str, str, re.Pattern[str] | _RecursiveRetry | _FetchHeaderIndex,
                    re.Pattern[str] | _Always, str, str], ...] = (
    ("messages-string", "request-anatomy", "`messages` is a list of role/content dicts",
     _c(r"\bmessages\s*[=:]\s*(?:\[|f?[\"'])"), _c(r"\bmessages\s*[=:]\s*f?[\"']"),
     "`messages` is a string.", "It must be a **list of `{\"role\": ..., \"content\": ...}` "
     "dicts**: `messages=[{\"role\": \"user\", \"content\": \"hello\"}]`."),
    ("hardcoded-key", "key-storage", "no key written in the code",
     _c(r"api_key|apiKey|Authorization"),
     # "…" is what the chat leaves of a real key it redacted ("sk-proj-…9f2a", or a bare
     # "…" once the tutor has set the key aside): still a key written in the code.
     _c(r"(?:api_key|apiKey)\s*[=:]\s*[\"'](?!\s*[\"'])[^\"'\s]{8,}[\"']|openai\.api_key\s*=\s*"
        r"[\"']|Bearer\s+(?:sk-|[A-Za-z0-9]{24,})|(?:api_key|apiKey)\s{0,3}[=:]\s{0,3}[\"']"
        r"[\w\-/]{0,24}…|Bearer\s{1,3}[\w\-/]{0,24}…"),
     "The API key is written in the code.", "Read it from the environment "
     "(`os.environ[\"OPENAI_API_KEY\"]`) and keep `.env` in `.gitignore`; if this code was "
     "ever committed or shared, revoke that key first."),
    ("anthropic-max-tokens", "request-anatomy", "`max_tokens` is passed to Anthropic",
     _c(r"\bmessages\.create\("),
     _c(r"\bmessages\.create\((?:(?!max_tokens)[^)]){0,2000}\)"),
     "Anthropic's `messages.create` has no `max_tokens`.", "It is **required** there - the "
     "call fails with a 400 without it."),
    ("no-timeout", "pre-flight", "the client has a timeout",
     _c(r"(?<![\w.])(?:OpenAI|Anthropic|AsyncOpenAI|AsyncAnthropic)\("),
     _c(r"(?<![\w.])(?:OpenAI|Anthropic|AsyncOpenAI|AsyncAnthropic)\((?:(?!timeout)[^)])"
        r"{0,500}\)"),
     "The client has no timeout.", "Pass one (`OpenAI(timeout=30)`); the SDK default is 10 "
     "minutes, so a slow provider can hang your app."),
    ("retry-no-backoff", "backoff-jitter", "the retry loop waits between attempts",
     _c(r"while\s+True\s*:|for\s+\w+\s+in\s+range\(.{0,40}\)\s*:.{0,300}?\bexcept\b"
        # JavaScript: "while (true) { try { ... } catch", "for (;;)", a counted for loop.
        r"|(?:while\s*\(\s*(?:true|1)\s*\)|for\s*\(\s*;\s*;\s*\)|for\s*\((?:let|var)\s[^)]{0,60}"
        r"\))\s*\{.{0,600}?\bcatch\b"),
     # One lookahead over the whole text: no wait anywhere (linear, anchored at the start).
     _c(r"^(?!.*(?:sleep|backoff|tenacity|setTimeout|wait_|retry\())"),
     "The retry loop does not wait.", "Sleep with exponential backoff and full jitter "
     "(a random wait up to `min(cap, base * 2 ** attempt)` seconds), honour `Retry-After`, "
     "and stop after a few attempts; a loop with no limit retries forever."),
    ("retry-recursion", "backoff-jitter", "the retry does not call itself again at once",
     # "def ask(p): ... except APIStatusError as e: ... return ask(p)": a retry by
     # recursion. (One function per match, bounded gaps.)
     _RecursiveRetry(),
     _c(r"^(?!.*(?:sleep|backoff|tenacity|wait_|retry\())"),
     "The function calls itself again on the error, at once and with no limit.",
     "Retry in a loop with a few attempts (or tenacity), waiting with exponential backoff and "
     "jitter between them; recursion retries as fast as it can fail and ends in a "
     "RecursionError. If the SDK already retries (`max_retries`), your layer multiplies it."),
    ("fetch-header-index", "backoff-jitter", "response headers are read with `.get()`",
     _FetchHeaderIndex(), _Always(),
     "`res.headers[\"retry-after\"]` is always `undefined` on a `fetch` response.",
     "`fetch` returns a `Headers` object: read it with `res.headers.get(\"retry-after\")` "
     "(seconds, as a string: `Number(...) * 1000` for `setTimeout`), or your wait is 0."),
    ("bare-except", "status-codes", "errors are caught by type",
     _c(r"\bexcept\b"), _c(r"except\s*:|except\s+Exception\s*(?:as\s+\w+\s*)?:"),
     "A bare `except` treats every error alike.", "Catch the SDK's errors by type "
     "(`RateLimitError`, `APITimeoutError`: retry with backoff; `BadRequestError`, "
     "`AuthenticationError`: fix, do not retry)."),
    ("stream-then-content", "streaming", "the stream is read chunk by chunk",
     _c(r"stream\s*=\s*True"), _c(r"stream\s*=\s*True.{0,2000}?\.choices\[0\]\.message\.content"),
     "`.message.content` is read from a stream.", "With `stream=True` the call returns "
     "chunks: read `chunk.choices[0].delta.content` in a loop."),
    ("legacy-api", "response-anatomy", "the current SDK interface is used",
     _c(r"openai\.\w+|choices\[0\]"),
     _c(r"openai\.(?:ChatCompletion|Completion)\.create|choices\[0\]\s*(?:\.text\b|\[[\"']text"
        r"[\"']\])"),
     "This is the pre-1.0 OpenAI interface.", "openai>=1.0 removed `openai.ChatCompletion`: "
     "create `client = OpenAI()` and call `client.chat.completions.create(...)`; the text is "
     "in `choices[0].message.content`."),
    ("regex-parse", "structured-output", "model output is not parsed with a regex",
     _c(r"\bre\.(?:search|match|findall)\("),
     _c(r"re\.(?:search|match|findall)\([^)]{0,200}(?:content|output|reply|response)"),
     "Model text is parsed with a regex.", "Ask for structured output (a JSON Schema in "
     "`response_format`, or a tool) and validate it instead."),
    ("json-no-validate", "output-validation", "parsed JSON is validated",
     _c(r"json\.loads\("),
     _c(r"^(?!.*(?:model_validate|validate\(|jsonschema|TypeAdapter|BaseModel)).*json\.loads\("),
     "`json.loads` output is used unchecked.", "Validate it against a schema (pydantic "
     "`model_validate_json`, `jsonschema`) and handle a parse failure before acting on it."),
    ("print-env", "key-storage", "the key is not printed or logged",
     _c(r"print\(|log\w*\.\w+\(|console\.log\("),
     _c(r"print\(\s*os\.environ\s*\)|(?:log\w*\.\w+|print|console\.log)\([^)\n]{0,80}"
        r"(?:api_key|API_KEY|apiKey)"),
     "The key (or the environment) is printed or logged.", "Logs are one of the five ways keys "
     "leak. Never log secrets."),
    # A server route that forwards the caller's request to the API (an "is this proxy safe?"
    # paste): the key is hidden, but the route itself is a free key for anyone who finds it.
    ("proxy-client-model", "spend-controls", "the model is chosen on the server",
     _c(_ROUTE), _c(r"\bmodel\s*[=:]\s*(?:req\.body|request\.(?:json|body|form|get_json\(\))|"
                    r"body|data|payload|params|input)\s{0,3}(?:\.|\[\s{0,3}[\"']|\?\.)\s{0,3}model"),
     "The caller chooses the model (`model` comes from the request).", "Fix the model on the "
     "server, or allow-list one or two names: otherwise anyone who finds this URL can run your "
     "most expensive model on your key."),
    ("proxy-client-messages", "leak-vectors", "the server builds `messages`",
     _c(_ROUTE), _c(r"\bmessages\s*[=:]\s*(?:req\.body|request\.(?:json|body|get_json\(\))|"
                    r"body|data|payload|input)\s{0,3}(?:\.|\[\s{0,3}[\"']|\?\.)\s{0,3}messages"),
     "The caller sends the whole `messages` list.", "Build it on the server: your system "
     "prompt plus the user's text, capped in length (say 4,000 characters), so a caller "
     "cannot rewrite your instructions or send a 100k-token prompt on your bill."),
    ("proxy-no-max-tokens", "spend-controls", "the route caps the output (`max_tokens`)",
     _c(_ROUTE), _c(r"^(?!.*(?:max_tokens|max_completion_tokens|maxTokens|max_output_tokens|"
                    r"maxOutputTokens))"),
     "The route sets no `max_tokens`.", "Cap the output per call; with no cap every request "
     "may generate the model's full output length."),
    ("proxy-no-limit", "leak-vectors", "the route checks who calls and how often",
     _c(_ROUTE), _c(r"^(?!.*(?:auth|session|req\.user|current_user|verify|rate.?limit|limiter|"
                    r"quota|jwt|login|passport|clerk|middleware|getUser|requireUser))"),
     "Nothing on this route checks who is calling or how often.", "Require your own sign-in "
     "(or at least a signed session), and a per-user limit (requests a minute, dollars a "
     "day) before the call: an open proxy is a free API key for whoever finds the URL."),
    ("temperature-range", "request-anatomy", "`temperature` is in range",
     _c(r"temperature\s*[=:]"), _c(r"temperature\s*[=:]\s*(?:[3-9]|2\.[0-9]*[1-9])"),
     "`temperature` is out of range.", "OpenAI accepts 0-2, Anthropic 0-1."),
)

def applicable_rules(code: str) -> list[RuleResult]:
    """Each rule that applies to ``code``, with whether its mistake is present."""
    out = []
    for rule, objective, name, applies, mistake, problem, fix in _RULES:
        if applies.search(code):
            out.append(RuleResult(rule, name, objective, bool(mistake.search(code)), problem,
                                  fix))
    return out


def review(code: str) -> list[CodeFinding]:
    """The rules the code breaks, in rule order, each at most once."""
    return [CodeFinding(r.rule, r.objective, f"{r.problem} {r.fix}")
            for r in applicable_rules(code) if r.found]
