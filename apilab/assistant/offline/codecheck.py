"""Review pasted code that calls an AI API, for the mistakes the four lessons teach.

Rule-based and deliberately small: each rule is a regular expression over the
pasted code, the objective it belongs to, and the fix in one or two sentences.
It catches the common, teachable mistakes (messages as a string, no timeout, a
retry loop without backoff, a hard-coded key, regex-parsing model output...);
it is not a linter and says so when it finds nothing.
"""

from __future__ import annotations

import dataclasses
import re

__all__ = ["CodeFinding", "extract_code", "review"]


@dataclasses.dataclass(frozen=True)
class CodeFinding:
    """One problem in the pasted code."""

    rule: str
    objective: str
    message: str


_RULES: tuple[tuple[str, str, re.Pattern[str], str], ...] = tuple(
    (rule, objective, re.compile(pattern, re.I | re.S), message)
    for rule, objective, pattern, message in (
        ("messages-string", "request-anatomy",
         r"messages\s*=\s*[\"']",
         "`messages` must be a **list of `{\"role\": ..., \"content\": ...}` dicts**, not a "
         "string: `messages=[{\"role\": \"user\", \"content\": \"hello\"}]`."),
        ("hardcoded-key", "key-storage",
         r"(api_key\s*=\s*[\"'][^\"'\s]{8,}[\"']|openai\.api_key\s*=\s*[\"'])",
         "The API key is written in the code. Read it from the environment "
         "(`os.environ[\"OPENAI_API_KEY\"]`) and keep `.env` in `.gitignore`; if this code was "
         "ever committed or shared, revoke that key first."),
        ("anthropic-max-tokens", "request-anatomy",
         r"messages\.create\((?:(?!max_tokens)[^)])*\)",
         "Anthropic's `messages.create` **requires `max_tokens`** - the call fails with a 400 "
         "without it."),
        ("no-timeout", "pre-flight",
         r"(?:OpenAI|Anthropic|AsyncOpenAI|AsyncAnthropic)\((?:(?!timeout)[^)])*\)",
         "No timeout is set on the client. Pass one (`OpenAI(timeout=30)`, "
         "`anthropic.Anthropic(timeout=30)`) so a slow provider cannot hang your app."),
        ("retry-no-backoff", "backoff-jitter",
         r"while\s+True\s*:(?:(?!sleep|backoff|tenacity|retry\().){0,600}?except",
         "This retry loop has no wait between attempts. Sleep with exponential backoff and "
         "jitter (`random.uniform(0, min(cap, base * 2 ** n))`), honour `Retry-After`, and stop "
         "after a few attempts - a tight loop keeps you rate-limited and can run up the bill."),
        ("bare-except", "status-codes",
         r"except\s*:|except\s+Exception\s*:",
         "A bare `except` treats every error alike. Catch the SDK's specific errors "
         "(`RateLimitError`, `APITimeoutError`: retry with backoff; `BadRequestError`, "
         "`AuthenticationError`: fix, do not retry)."),
        ("stream-then-content", "streaming",
         r"stream\s*=\s*True.*?\.choices\[0\]\.message\.content",
         "With `stream=True` the call returns an iterator of chunks: read "
         "`chunk.choices[0].delta.content` in a loop, not `.message.content`."),
        ("legacy-text", "response-anatomy",
         r"choices\[0\]\s*(?:\.text\b|\[[\"']text[\"']\])",
         "Chat responses carry the text in `choices[0].message.content`; `.text` is the old "
         "completions API."),
        ("regex-parse", "structured-output",
         r"re\.(?:search|match|findall)\([^)]*(?:content|output|reply|response)",
         "Parsing model text with a regex is fragile. Ask for structured output (a JSON Schema "
         "in `response_format`, or function calling) and validate it instead."),
        ("json-no-validate", "output-validation",
         r"^(?!.*(?:model_validate|validate\(|jsonschema|TypeAdapter)).*json\.loads\(",
         "`json.loads` alone trusts the model's output. Validate it against a schema "
         "(pydantic `model_validate_json` or `jsonschema`) and handle a parse failure before "
         "acting on it."),
        ("print-env", "key-storage",
         r"print\(\s*os\.environ\s*\)|log\w*\.\w+\([^)]*(?:api_key|API_KEY)",
         "This prints or logs the environment or the key - logs are one of the five ways keys "
         "leak. Never log secrets."),
        ("temperature-range", "request-anatomy",
         r"temperature\s*=\s*(?:[3-9]|2\.[0-9]*[1-9])",
         "`temperature` above 2 is rejected (OpenAI accepts 0-2, Anthropic 0-1)."),
    )
)

_FENCED = re.compile(r"```[\w+-]*\s*\n(.*?)```", re.S)
_CODE_HINTS = re.compile(r"(^|\n)\s*(import |from \w+ import|def |client\s*=|\w+\s*=\s*\w+\(|"
                         r"print\(|await |async def |const |fetch\()")


def extract_code(text: str) -> str | None:
    """The code in a message: fenced blocks, or the whole message if it reads as code."""
    fenced = [m.group(1) for m in _FENCED.finditer(text)]
    if fenced:
        code = "\n".join(fenced)
        return code if not code.lstrip().startswith(("{", "[")) else None
    lines = text.strip().splitlines()
    code_lines = [ln for ln in lines if _CODE_HINTS.search("\n" + ln)]
    if len(lines) >= 2 and len(code_lines) >= 2:
        return text
    return None


def review(code: str) -> list[CodeFinding]:
    """The rules the code breaks, in rule order, each at most once."""
    return [CodeFinding(rule, objective, message)
            for rule, objective, pattern, message in _RULES if pattern.search(code)]
